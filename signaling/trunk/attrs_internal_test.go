package trunk

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func parseInvite(t *testing.T, from string, extra ...string) *sip.Request {
	t.Helper()
	raw := "INVITE sip:5000@127.0.0.1 SIP/2.0\r\n" +
		"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n" +
		"From: " + from + ";tag=1\r\n" +
		"To: <sip:5000@127.0.0.1>\r\n" +
		"Call-ID: attrs-1\r\n" +
		"CSeq: 1 INVITE\r\n" +
		"Contact: <sip:caller@127.0.0.1:5070>\r\n"
	for _, h := range extra {
		raw += h + "\r\n"
	}
	raw += "Content-Length: 0\r\n\r\n"
	m, err := sip.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m.(*sip.Request)
}

// The caller name is the From display name, unquoted and cleaned; X-
// headers are kept by name, bounded in number and length.
func TestCallAttributesFromInvite(t *testing.T) {
	for _, tt := range []struct{ from, want string }{
		{`"Ann Smith" <sip:+4930123@127.0.0.1>`, "Ann Smith"},
		{`Bob <sip:+4930123@127.0.0.1>`, "Bob"},
		{`<sip:+4930123@127.0.0.1>`, ""},
		{`sip:+4930123@127.0.0.1`, ""},
		{`"Say \"hi\"" <sip:1@127.0.0.1>`, `Say "hi"`},
		{`"Zoë Müller" <sip:1@127.0.0.1>`, "Zoë Müller"},
		{`"` + strings.Repeat("é", 100) + `" <sip:1@127.0.0.1>`, strings.Repeat("é", 64)},
	} {
		c := &Call{log: slog.New(slog.DiscardHandler)}
		c.readAttributes(parseInvite(t, tt.from))
		if c.CallerName() != tt.want {
			t.Errorf("From %s: caller name %q, want %q", tt.from, c.CallerName(), tt.want)
		}
		if len(c.CallerName()) > MaxCallerNameBytes {
			t.Errorf("caller name %d bytes", len(c.CallerName()))
		}
	}
	c := &Call{log: slog.New(slog.DiscardHandler)}
	c.readAttributes(parseInvite(t, `<sip:1@127.0.0.1>`))
	if c.XHeaders() != nil {
		t.Errorf("no X- headers: %v, want nil", c.XHeaders())
	}

	hdrs := []string{"X-Customer-Id: 4711", "x-lang: es", "X-Customer-Id: 9999", "Xylophone: no", "Subject: hello",
		"X-Long: " + strings.Repeat("v", 1000)}
	for i := range 40 {
		hdrs = append(hdrs, fmt.Sprintf("X-N%02d: %d", i, i))
	}
	c = &Call{log: slog.New(slog.DiscardHandler)}
	c.readAttributes(parseInvite(t, `<sip:1@127.0.0.1>`, hdrs...))
	x := c.XHeaders()
	if x["X-Customer-Id"] != "4711" || x["x-lang"] != "es" {
		t.Errorf("X- headers %v: want X-Customer-Id 4711 (the first), x-lang es", x)
	}
	if _, ok := x["Xylophone"]; ok {
		t.Error("Xylophone taken for an X- header")
	}
	if _, ok := x["Subject"]; ok {
		t.Error("Subject kept")
	}
	if len(x["X-Long"]) != MaxXHeaderBytes {
		t.Errorf("X-Long kept %d bytes, want %d", len(x["X-Long"]), MaxXHeaderBytes)
	}
	if len(x) != MaxXHeaders {
		t.Errorf("%d X- headers kept, want %d", len(x), MaxXHeaders)
	}
	if _, ok := x["X-N28"]; !ok {
		t.Error("X-N28 (the 32nd) dropped")
	}
	if _, ok := x["X-N29"]; ok {
		t.Error("X-N29 (the 33rd) kept")
	}
	if got := cleanText("a\x00b\x1bc\u0085d", 10); got != "abcd" {
		t.Errorf("cleanText = %q", got)
	}
}
