package trunk

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Registration timing (PROTOCOL §9).
const (
	defaultRegisterExpires = time.Hour
	defaultRegisterRetry   = 30 * time.Second
	registerTimeout        = 32 * time.Second // one REGISTER exchange (Timer F)
	resolveTimeout         = 5 * time.Second
)

// registration keeps one carrier registered (RFC 3261 §10): REGISTER with
// digest authentication on 401/407, a refresh before the granted expiry,
// back-off on failure. Its loop runs on a goroutine of Trunk.regs.
type registration struct {
	t      *Trunk
	c      *carrier
	callID string
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has returned

	startOnce sync.Once
	stopOnce  sync.Once

	mu      sync.Mutex // guards following
	state   string
	until   time.Time
	lastErr string
	cseq    uint32
}

// startRegistration starts c's registration loop once the trunk serves.
func (t *Trunk) startRegistration(c *carrier) {
	t.cmu.Lock()
	if c.reg == nil {
		c.reg = &registration{t: t, c: c, callID: sip.GenerateTagN(24), done: make(chan struct{})}
	}
	r := c.reg
	cur := t.carriers[c.cfg.ID]
	t.cmu.Unlock()
	t.mu.Lock()
	ended := t.ended
	t.mu.Unlock()
	if cur != c || ended || !t.running.Load() {
		return // replaced, shutting down, or not serving yet (Run starts it)
	}
	r.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(t.baseCtx)
		r.mu.Lock()
		r.cancel = cancel
		r.mu.Unlock()
		t.regs.Go(func() {
			defer close(r.done)
			r.loop(ctx)
		})
	})
}

// stop ends the loop and waits for it (if it ever started).
func (r *registration) stop() {
	r.stopOnce.Do(func() {
		r.mu.Lock()
		cancel := r.cancel
		r.mu.Unlock()
		if cancel != nil {
			cancel()
			<-r.done
		}
	})
}

// stopRegistrations stops every registration loop and waits for them.
func (t *Trunk) stopRegistrations() {
	for _, c := range t.carrierList() {
		if c.reg != nil {
			c.reg.stop()
		}
	}
	t.regs.Wait()
}

func (r *registration) status(st *CarrierStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st.Registration, st.LastError = r.state, r.lastErr
	if r.state == "" { // the loop has not run yet
		st.Registration = RegRegistering
	}
	if r.state == RegRegistered {
		st.RegisteredUntil = r.until
	}
}

// set records a state and reports a change through OnRegistration.
func (r *registration) set(state string, until time.Time, err error) {
	r.mu.Lock()
	changed := r.state != state
	r.state, r.until = state, until
	errText := ""
	if err != nil {
		errText = err.Error()
		r.lastErr = errText
	}
	r.mu.Unlock()
	log := r.t.log.With("carrier", r.c.cfg.ID)
	switch {
	case err != nil:
		log.Warn("registration failed", "err", errText)
	case state == RegRegistered:
		log.Info("registered", "until", until.Format(time.RFC3339))
	}
	if changed && r.t.cfg.OnRegistration != nil {
		r.t.cfg.OnRegistration(r.c.cfg.ID, state, errText)
	}
}

func (r *registration) loop(ctx context.Context) {
	retry := r.t.cfg.RegisterRetry
	if retry <= 0 {
		retry = defaultRegisterRetry
	}
	backoff := retry
	expires := r.c.cfg.RegisterExpires
	if expires <= 0 {
		expires = defaultRegisterExpires
	}
	r.set(RegRegistering, time.Time{}, nil)
	for {
		granted, err := r.register(ctx, expires)
		if ctx.Err() != nil {
			r.unregister()
			return
		}
		var wait time.Duration
		if err != nil {
			r.set(RegFailed, time.Time{}, err)
			wait = backoff
			backoff = min(backoff*2, 10*retry)
		} else {
			r.set(RegRegistered, time.Now().Add(granted), nil)
			backoff = retry
			// Refresh before the binding runs out: half-way for short
			// bindings, 30 s ahead for long ones.
			wait = granted - min(granted/2, 30*time.Second)
		}
		tm := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			tm.Stop()
			r.unregister()
			return
		case <-tm.C:
		}
	}
}

// unregister removes the binding (Expires 0), best effort, when the
// registration is stopped while registered.
func (r *registration) unregister() {
	r.mu.Lock()
	was := r.state == RegRegistered
	r.mu.Unlock()
	if !was {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := r.register(ctx, 0); err != nil {
		r.t.log.Debug("unregister failed", "carrier", r.c.cfg.ID, "err", err)
	}
}

// RegisterError is a REGISTER the registrar refused.
type RegisterError struct {
	Code   int
	Reason string
}

func (e *RegisterError) Error() string { return "register: " + strconv.Itoa(e.Code) + " " + e.Reason }

// register sends one REGISTER (and its authenticated retry) and returns
// the expiry the registrar granted.
func (r *registration) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	cfg := r.c.cfg
	addrs, err := resolve(ctx, cfg.Host)
	if err != nil {
		return 0, err
	}
	r.c.setAddrs(addrs)
	transport := cfg.transport()
	ruri := sip.Uri{Scheme: "sip", Host: cfg.Host, Port: cfg.port()}
	if transport != "udp" {
		ruri.UriParams = sip.NewParams()
		ruri.UriParams.Add("transport", transport)
	}
	req := sip.NewRequest(sip.REGISTER, ruri)
	req.SetTransport(strings.ToUpper(transport))
	req.SetDestination(net.JoinHostPort(addrs[0].String(), strconv.Itoa(cfg.port())))
	aor := sip.Uri{Scheme: "sip", User: cfg.contactUser(), Host: cfg.Host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	cid := sip.CallIDHeader(r.callID)
	req.AppendHeader(&cid)
	r.mu.Lock()
	r.cseq++
	seq := r.cseq
	r.mu.Unlock()
	req.AppendHeader(&sip.CSeqHeader{SeqNo: seq, MethodName: sip.REGISTER})
	contact := r.t.contactFor(transport)
	contact.Address.User = cfg.contactUser()
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(int(expires/time.Second))))
	req.AppendHeader(sip.NewHeader("Allow", allowMethods))

	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	res, err := r.t.client.Do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("register: %w", err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		if cfg.Username == "" {
			return 0, &RegisterError{Code: res.StatusCode, Reason: res.Reason + " (no username configured)"}
		}
		res, err = r.t.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: cfg.Username, Password: cfg.Password})
		if err != nil {
			return 0, fmt.Errorf("register: %w", err)
		}
		if cs := req.CSeq(); cs != nil {
			r.mu.Lock()
			r.cseq = max(r.cseq, cs.SeqNo)
			r.mu.Unlock()
		}
	}
	if !res.IsSuccess() {
		return 0, &RegisterError{Code: res.StatusCode, Reason: res.Reason}
	}
	return grantedExpires(res, expires), nil
}

// grantedExpires reads the binding's lifetime from a 2xx to REGISTER: the
// Contact's expires parameter, else the Expires header, else what we
// asked for (RFC 3261 §10.2.4).
func grantedExpires(res *sip.Response, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		if ch, ok := h.(*sip.ContactHeader); ok && ch.Params != nil {
			if v, ok := ch.Params.Get("expires"); ok {
				if n, err := strconv.Atoi(v); err == nil && n > 0 {
					return time.Duration(n) * time.Second
				}
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	if asked <= 0 {
		return defaultRegisterExpires
	}
	return asked
}

// resolve returns the addresses of host (an IP or a DNS name).
func resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return nil, errors.New("resolve " + host + ": no address")
	}
	for i := range addrs {
		addrs[i] = addrs[i].Unmap()
	}
	return addrs, nil
}
