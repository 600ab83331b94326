package trunktest

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// RegistrarConfig scripts a registrar.
type RegistrarConfig struct {
	Realm, Username, Password string // digest credentials a REGISTER must carry (401 first)
	Expires                   int    // granted seconds; 0 means what was asked
	Refuse                    int    // when set, every authenticated REGISTER gets this code (e.g. 403)
	// Callee, when set, answers the INVITEs sent to the registrar (the
	// carrier's outbound side: calls the registered account places) as a
	// UAS with this script, e.g. with digest Password and ProxyAuth.
	// Otherwise they get 486.
	Callee *UASConfig
}

// Registration is one REGISTER the registrar accepted.
type Registration struct {
	At      time.Time
	Contact string         // Contact user
	Addr    netip.AddrPort // Contact host:port
	Expires int            // granted seconds (0 = a removal)
	CSeq    uint32
	CallID  string
}

// Registrar is a Phone that also answers REGISTER (RFC 3261 §10.3) with
// digest authentication: the carrier side of a registration-based trunk.
// Calls it places come from the same address as its registrar.
type Registrar struct {
	*Phone
	cfg   RegistrarConfig
	nonce string

	callee *UAS // when cfg.Callee is set

	mu       sync.Mutex // guards following
	regs     []Registration
	requests int
	regCh    chan Registration
}

// NewRegistrar starts a registrar phone on 127.0.0.1 over transport.
func NewRegistrar(t testing.TB, transport string, cfg RegistrarConfig) *Registrar {
	t.Helper()
	r := &Registrar{cfg: cfg, nonce: sip.GenerateTagN(16), regCh: make(chan Registration, 64)}
	r.Phone = newPhone(t, transport, nil, func(srv *sipgo.Server, p *Phone) {
		srv.OnRegister(r.onRegister)
		if cfg.Callee != nil {
			cc := *cfg.Callee
			cc.Transport = transport
			r.callee = newUASState(cc)
			r.callee.addr = p.addr
			r.callee.install(srv, p.client, "carrier", p.dialogs.ReadBye)
		}
	})
	return r
}

// Callee returns the UAS answering INVITEs sent to the registrar, or nil
// without RegistrarConfig.Callee.
func (r *Registrar) Callee() *UAS { return r.callee }

// Registered delivers each accepted REGISTER (buffered; extra ones dropped).
func (r *Registrar) Registered() <-chan Registration { return r.regCh }

// Requests returns how many REGISTER requests arrived.
func (r *Registrar) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Last returns the last accepted registration.
func (r *Registrar) Last() (Registration, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.regs) == 0 {
		return Registration{}, false
	}
	return r.regs[len(r.regs)-1], true
}

func (r *Registrar) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	r.mu.Lock()
	r.requests++
	r.mu.Unlock()
	if !r.authorized(req) {
		res := sip.NewResponseFromRequest(req, 401, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate",
			fmt.Sprintf(`Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"`, r.cfg.Realm, r.nonce)))
		_ = tx.Respond(res)
		return
	}
	if r.cfg.Refuse != 0 {
		_ = tx.Respond(sip.NewResponseFromRequest(req, r.cfg.Refuse, "Forbidden", nil))
		return
	}
	asked := 3600
	if h := req.GetHeader("Expires"); h != nil {
		asked, _ = strconv.Atoi(strings.TrimSpace(h.Value()))
	}
	granted := asked
	if r.cfg.Expires != 0 && asked != 0 {
		granted = r.cfg.Expires
	}
	reg := Registration{At: time.Now(), Expires: granted}
	if c := req.Contact(); c != nil {
		reg.Contact = c.Address.User
		if ip, err := netip.ParseAddr(c.Address.Host); err == nil {
			reg.Addr = netip.AddrPortFrom(ip, uint16(c.Address.Port))
		}
	}
	if cs := req.CSeq(); cs != nil {
		reg.CSeq = cs.SeqNo
	}
	if id := req.CallID(); id != nil {
		reg.CallID = id.Value()
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	if c := req.Contact(); c != nil {
		ch := c.Clone()
		ch.Params = sip.NewParams()
		ch.Params.Add("expires", strconv.Itoa(granted))
		res.AppendHeader(ch)
	}
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(granted)))
	_ = tx.Respond(res)
	r.mu.Lock()
	r.regs = append(r.regs, reg)
	r.mu.Unlock()
	select {
	case r.regCh <- reg:
	default:
	}
}

// authorized checks REGISTER digest credentials (RFC 2617, MD5).
func (r *Registrar) authorized(req *sip.Request) bool {
	return checkDigest(req, "REGISTER", false, r.cfg.Realm, r.cfg.Username, r.cfg.Password, r.nonce)
}

// CallContact places a call to a registered Contact, as a carrier
// delivers a call for the number dialled: the Request-URI is the Contact
// (its user the registered one) and the To user is dialled.
func (r *Registrar) CallContact(ctx context.Context, reg Registration, dialled string, sdp []byte) (*Dialog, error) {
	iv, err := r.startInvite(ctx, reg.Addr, reg.Contact, dialled, sdp)
	if err != nil {
		return nil, err
	}
	return iv.Wait(ctx)
}
