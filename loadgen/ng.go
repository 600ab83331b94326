package loadgen

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"
)

// ngClient speaks rtpengine's ng control protocol: one UDP datagram per
// request, "<cookie> <bencoded dictionary>", answered with the same
// cookie. It is what Kamailio's rtpengine module sends. Requests are
// retried on timeout (the cookie makes a retry idempotent in rtpengine's
// cache). Safe for concurrent use; at most maxNGInFlight requests wait at
// once.
type ngClient struct {
	conn *net.UDPConn
	addr netip.AddrPort

	mu      sync.Mutex // guards following
	waiting map[string]chan []byte
	closed  bool

	wg sync.WaitGroup
}

const (
	maxNGInFlight = 4096
	ngTimeout     = 2 * time.Second
	ngTries       = 3
)

func newNGClient(addr netip.AddrPort) (*ngClient, error) {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(localFor(addr.Addr()), 0)))
	if err != nil {
		return nil, fmt.Errorf("ng: %w", err)
	}
	c := &ngClient{conn: conn, addr: addr, waiting: map[string]chan []byte{}}
	c.wg.Go(c.read)
	return c, nil
}

func localFor(a netip.Addr) netip.Addr {
	if a.Is6() && !a.Is4In6() {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

func (c *ngClient) read() {
	buf := make([]byte, 65536)
	for {
		n, err := c.conn.Read(buf)
		if err != nil {
			return
		}
		cookie, body, ok := bytes.Cut(buf[:n], []byte(" "))
		if !ok {
			continue
		}
		c.mu.Lock()
		ch := c.waiting[string(cookie)]
		delete(c.waiting, string(cookie))
		c.mu.Unlock()
		if ch != nil {
			ch <- bytes.Clone(body) // buffered 1
		}
	}
}

// call sends one command and returns rtpengine's reply dictionary; a
// reply with result "error" becomes an error with its error-reason.
func (c *ngClient) call(ctx context.Context, req map[string]any) (map[string]any, error) {
	return c.do(ctx, req, ngTries)
}

// callOnce is call without retries (readiness polling).
func (c *ngClient) callOnce(ctx context.Context, req map[string]any) (map[string]any, error) {
	return c.do(ctx, req, 1)
}

func (c *ngClient) do(ctx context.Context, req map[string]any, tries int) (map[string]any, error) {
	var cb [8]byte
	_, _ = rand.Read(cb[:])
	cookie := hex.EncodeToString(cb[:])
	msg := append([]byte(cookie+" "), bencode(nil, req)...)
	ch := make(chan []byte, 1)
	c.mu.Lock()
	if c.closed || len(c.waiting) >= maxNGInFlight {
		c.mu.Unlock()
		return nil, errors.New("ng: client closed or too many requests in flight")
	}
	c.waiting[cookie] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiting, cookie)
		c.mu.Unlock()
	}()
	for range tries {
		if _, err := c.conn.WriteToUDPAddrPort(msg, c.addr); err != nil {
			return nil, fmt.Errorf("ng: %w", err)
		}
		t := time.NewTimer(ngTimeout)
		select {
		case body := <-ch:
			t.Stop()
			v, rest, err := bdecode(body)
			if err != nil || len(rest) != 0 {
				return nil, fmt.Errorf("ng: bad reply %.60q", body)
			}
			d, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("ng: reply is not a dictionary")
			}
			if r, _ := d["result"].(string); r != "ok" && r != "pong" {
				reason, _ := d["error-reason"].(string)
				return d, fmt.Errorf("ng %v: %s %s", req["command"], r, reason)
			}
			return d, nil
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("ng %v: %w", req["command"], ctx.Err())
		}
	}
	return nil, fmt.Errorf("ng %v: no reply from %v", req["command"], c.addr)
}

func (c *ngClient) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	_ = c.conn.Close()
	c.wg.Wait()
}

// bencode appends v (string, []byte, int, []string, []any or
// map[string]any, nested) in bencoding; dictionary keys are sorted.
func bencode(b []byte, v any) []byte {
	switch x := v.(type) {
	case string:
		b = strconv.AppendInt(b, int64(len(x)), 10)
		b = append(b, ':')
		return append(b, x...)
	case []byte:
		b = strconv.AppendInt(b, int64(len(x)), 10)
		b = append(b, ':')
		return append(b, x...)
	case int:
		b = append(b, 'i')
		b = strconv.AppendInt(b, int64(x), 10)
		return append(b, 'e')
	case []string:
		b = append(b, 'l')
		for _, e := range x {
			b = bencode(b, e)
		}
		return append(b, 'e')
	case []any:
		b = append(b, 'l')
		for _, e := range x {
			b = bencode(b, e)
		}
		return append(b, 'e')
	case map[string]any:
		b = append(b, 'd')
		for _, k := range slices.Sorted(maps.Keys(x)) {
			b = bencode(b, k)
			b = bencode(b, x[k])
		}
		return append(b, 'e')
	}
	panic(fmt.Sprintf("bencode: unsupported type %T", v))
}

// bdecode parses one bencoded value: strings come back as string,
// integers as int64, lists as []any, dictionaries as map[string]any.
func bdecode(b []byte) (any, []byte, error) {
	return bdecodeDepth(b, 0)
}

func bdecodeDepth(b []byte, depth int) (any, []byte, error) {
	if depth > 32 {
		return nil, nil, errors.New("bencode: nested too deep")
	}
	if len(b) == 0 {
		return nil, nil, errors.New("bencode: truncated")
	}
	switch c := b[0]; {
	case c == 'i':
		end := bytes.IndexByte(b, 'e')
		if end < 0 {
			return nil, nil, errors.New("bencode: unterminated integer")
		}
		n, err := strconv.ParseInt(string(b[1:end]), 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("bencode: integer: %w", err)
		}
		return n, b[end+1:], nil
	case c == 'l' || c == 'd':
		rest := b[1:]
		var list []any
		dict := map[string]any{}
		for {
			if len(rest) == 0 {
				return nil, nil, errors.New("bencode: unterminated list")
			}
			if rest[0] == 'e' {
				if c == 'l' {
					return list, rest[1:], nil
				}
				return dict, rest[1:], nil
			}
			v, r, err := bdecodeDepth(rest, depth+1)
			if err != nil {
				return nil, nil, err
			}
			if c == 'l' {
				list, rest = append(list, v), r
				continue
			}
			k, ok := v.(string)
			if !ok {
				return nil, nil, errors.New("bencode: dictionary key is not a string")
			}
			v, rest, err = bdecodeDepth(r, depth+1)
			if err != nil {
				return nil, nil, err
			}
			dict[k] = v
		}
	case c >= '0' && c <= '9':
		colon := bytes.IndexByte(b, ':')
		if colon < 0 {
			return nil, nil, errors.New("bencode: string without length")
		}
		n, err := strconv.Atoi(string(b[:colon]))
		if err != nil || n < 0 || n > len(b)-colon-1 {
			return nil, nil, errors.New("bencode: bad string length")
		}
		return string(b[colon+1 : colon+1+n]), b[colon+1+n:], nil
	}
	return nil, nil, fmt.Errorf("bencode: unexpected byte %q", b[0])
}
