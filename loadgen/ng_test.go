package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"switchboard/signaling/ws"
	"switchboard/signaling/ws/wsclient"
)

func TestBencodeEncoding(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{"spam", "4:spam"},
		{"", "0:"},
		{[]byte("ab"), "2:ab"},
		{42, "i42e"},
		{-3, "i-3e"},
		{[]string{"a", "bc"}, "l1:a2:bce"},
		{[]any{"x", 1, []string{}}, "l1:xi1elee"},
		// keys sorted, whatever the map order
		{map[string]any{"zeta": 1, "alpha": "b", "mid": map[string]any{}}, "d5:alpha1:b3:midde4:zetai1ee"},
	} {
		if got := string(bencode(nil, tc.v)); got != tc.want {
			t.Errorf("bencode(%#v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestBencodeRoundTrip(t *testing.T) {
	in := map[string]any{
		"command": "offer", "call-id": "c1@x", "from-tag": "ft", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n",
		"flags": []any{"trust-address"}, "n": 7, "nested": map[string]any{"l": []any{"a", 2}},
	}
	b := bencode(nil, in)
	out, rest, err := bdecode(b)
	if err != nil || len(rest) != 0 {
		t.Fatalf("bdecode: %v, %d bytes left", err, len(rest))
	}
	want := map[string]any{
		"command": "offer", "call-id": "c1@x", "from-tag": "ft", "sdp": "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n",
		"flags": []any{"trust-address"}, "n": int64(7), "nested": map[string]any{"l": []any{"a", int64(2)}},
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("round trip = %#v, want %#v", out, want)
	}
	// A value followed by more bytes leaves them.
	if v, rest, err := bdecode([]byte("i5e3:abc")); err != nil || v != int64(5) || string(rest) != "3:abc" {
		t.Fatalf("bdecode prefix = %v %q %v", v, rest, err)
	}
}

func TestBdecodeRejectsBadInput(t *testing.T) {
	for _, in := range []string{
		"", "i12", "ixe", "5:abc", "-1:a", "3abc", "l1:a", "d1:a", "di1ei2ee", "x",
		strings.Repeat("l", 40) + strings.Repeat("e", 40),
	} {
		if v, _, err := bdecode([]byte(in)); err == nil {
			t.Errorf("bdecode(%q) = %#v, want an error", in, v)
		}
	}
}

// The ng requests carry exactly issue 18's flags, encoded as rtpengine
// reads them (SDES and rtcp-mux as lists).
func TestRTPEngineFlags(t *testing.T) {
	offer := string(bencode(nil, rtpengineOfferFlags(map[string]any{"command": "offer"})))
	want := "d4:DTLS7:passive3:ICE5:force4:SDESl3:offe7:command5:offer8:rtcp-muxl7:requiree18:transport-protocol17:UDP/TLS/RTP/SAVPFe"
	if offer != want {
		t.Errorf("offer = %q\nwant    %q", offer, want)
	}
	answer := string(bencode(nil, rtpengineAnswerFlags(map[string]any{"command": "answer"})))
	want = "d3:ICE6:remove7:command6:answer18:transport-protocol7:RTP/AVPe"
	if answer != want {
		t.Errorf("answer = %q\nwant     %q", answer, want)
	}
}

func TestWithMid(t *testing.T) {
	in := []byte("v=0\r\ns=-\r\nt=0 0\r\nm=audio 4000 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 127.0.0.1\r\na=rtcp-mux\r\n")
	got := string(withMid(in))
	want := "v=0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 4000 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\nc=IN IP4 127.0.0.1\r\na=rtcp-mux\r\n"
	if got != want {
		t.Fatalf("withMid = %q\nwant      %q", got, want)
	}
	has := []byte("v=0\r\nm=audio 1 RTP/AVP 0\r\na=mid:audio\r\n")
	if !bytes.Equal(withMid(has), has) {
		t.Fatal("withMid changed an SDP that has a mid")
	}
}

// loginRetry redials after "busy" (the gateway closes that socket) and
// gives up on any other refusal at once.
func TestLoginRetryRedialsOnBusy(t *testing.T) {
	var conns, logins atomic.Int32
	h, err := ws.NewHandler(ws.Config{}, func(ctx context.Context, c *ws.Conn) ws.Session {
		conns.Add(1)
		tried := false
		return ws.SessionFunc(func(ctx context.Context, method string, params json.RawMessage) (any, error) {
			if method != "login" {
				return nil, ws.InvalidParams("method: login only")
			}
			if tried {
				return nil, ws.InvalidParams("login again on a refused socket")
			}
			tried = true
			var p struct{ Agent, Password string }
			_ = json.Unmarshal(params, &p)
			if p.Password != "pw" {
				return nil, ws.Unauthorized("wrong agent or password")
			}
			if logins.Add(1) <= 2 {
				return nil, ws.Unauthorized("busy")
			}
			return map[string]string{"agent": p.Agent}, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer h.Close()
	dial := func(ctx context.Context) (*wsclient.Client, error) {
		return wsclient.Dial(ctx, wsclient.URL(srv.URL, "/"), wsclient.Options{})
	}
	c, err := loginRetry(t.Context(), dial, "a1", "pw", 10)
	if err != nil {
		t.Fatalf("loginRetry: %v", err)
	}
	_ = c.Close()
	if conns.Load() != 3 {
		t.Errorf("%d sockets, want 3 (two busy, one logged in)", conns.Load())
	}
	before := conns.Load()
	if _, err := loginRetry(t.Context(), dial, "a1", "bad", 10); err == nil || !strings.Contains(err.Error(), "wrong agent or password") {
		t.Errorf("bad password: %v", err)
	}
	if conns.Load() != before+1 {
		t.Errorf("bad password dialled %d times, want once", conns.Load()-before)
	}
	logins.Store(0)
	if _, err := loginRetry(t.Context(), dial, "a1", "pw", 2); err == nil || !isBusy(err) {
		t.Errorf("2 tries on a busy gateway: %v, want busy", err)
	}
}
