package webrtcclient

import (
	"context"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// Answer applies a remote offer (for example rtpengine's, when the client
// plays the browser side of a media relay) and returns the complete
// (non-trickle) SDP answer. Like SetAnswer it does not wait for the
// connection (see WaitConnected).
func (c *Client) Answer(ctx context.Context, offer []byte) ([]byte, error) {
	err := c.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: string(offer)})
	if err != nil {
		return nil, fmt.Errorf("webrtcclient: offer: %w", err)
	}
	answer, err := c.pc.CreateAnswer(nil)
	if err != nil {
		return nil, fmt.Errorf("webrtcclient: answer: %w", err)
	}
	return c.local(ctx, answer)
}
