package wstest

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// DialTLS connects to url (wss://...) trusting what cfg trusts (RootCAs)
// and fails t on error. It returns the client and the server's leaf
// certificate, so tests can tell which certificate a handshake got.
func DialTLS(t testing.TB, url string, header http.Header, cfg *tls.Config) (*Client, *tls.ConnectionState) {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: cfg}
	conn, resp, err := d.Dial(url, header)
	if err != nil {
		if resp != nil {
			err = fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		t.Fatalf("dial %s: %v", url, err)
	}
	tc, ok := conn.NetConn().(*tls.Conn)
	if !ok {
		t.Fatalf("dial %s: not a TLS connection", url)
	}
	st := tc.ConnectionState()
	return start(t, conn), &st
}
