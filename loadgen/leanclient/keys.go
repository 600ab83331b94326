package leanclient

import (
	"errors"

	"github.com/pion/dtls/v3"
	"github.com/pion/srtp/v3"
)

// keys exports the SRTP keys (RFC 5764 §4.2) as the DTLS client.
func (c *Client) keys(conn *dtls.Conn) error {
	state, ok := conn.ConnectionState()
	if !ok {
		return errors.New("no connection state")
	}
	sel, ok := conn.SelectedSRTPProtectionProfile()
	if !ok {
		return errors.New("no srtp profile")
	}
	profile := srtp.ProtectionProfileAes128CmHmacSha1_80
	if sel == dtls.SRTP_AEAD_AES_128_GCM {
		profile = srtp.ProtectionProfileAeadAes128Gcm
	}
	cfg := srtp.Config{Profile: profile}
	if err := cfg.ExtractSessionKeysFromDTLS(&state, true); err != nil {
		return err
	}
	tx, err := srtp.CreateContext(cfg.Keys.LocalMasterKey, cfg.Keys.LocalMasterSalt, profile)
	if err != nil {
		return err
	}
	rx, err := srtp.CreateContext(cfg.Keys.RemoteMasterKey, cfg.Keys.RemoteMasterSalt, profile, srtp.SRTPReplayProtection(64))
	if err != nil {
		return err
	}
	c.rx.Store(rx)
	c.wmu.Lock()
	c.tx = tx
	c.wmu.Unlock()
	return nil
}
