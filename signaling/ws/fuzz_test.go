package ws_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"switchboard/signaling/ws"
)

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"auth","params":{"token":"t"}}`,
		`{"jsonrpc":"2.0","id":"a","method":"agent.put","params":{"id":"bob","extension":"1001","queues":["sales"]}}`,
		`{"jsonrpc":"2.0","method":"note","params":[1,2]}`,
		`{"jsonrpc":"2.0","id":null,"method":"x"}`,
		`{"jsonrpc":"2.0","id":1,"method":"x","params":null}`,
		`[{"jsonrpc":"2.0","id":1,"method":"x"}]`,
		`{"jsonrpc":"1.0","id":1,"method":"x"}`,
		`{"id":{},"method":"x"}`,
		`{"jsonrpc":"2.0","id":1,"method":"x","params":"s"}`,
		`{"jsonrpc":"2.0","id":1e400,"method":"x"}`,
		"\xff\xfe",
		``,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, id, err := ws.Decode(data)
		if err != nil {
			if err.Code != ws.CodeParseError && err.Code != ws.CodeInvalidRequest {
				t.Fatalf("Decode(%q) code %d", data, err.Code)
			}
			if id != nil && !json.Valid(id) {
				t.Fatalf("Decode(%q) returned invalid id %q", data, id)
			}
			return
		}
		if req.Method == "" {
			t.Fatalf("Decode(%q) accepted an empty method", data)
		}
		// Round trip: Encode then Decode gives the same request.
		enc, eErr := ws.Encode(req)
		if eErr != nil {
			t.Fatalf("Encode(%+v): %v", req, eErr)
		}
		again, _, dErr := ws.Decode(enc)
		if dErr != nil {
			t.Fatalf("Decode(Encode(%q)) = %v (encoded %q)", data, dErr, enc)
		}
		if again.Method != req.Method || !jsonEqual(again.ID, req.ID) || !jsonEqual(again.Params, req.Params) {
			t.Fatalf("round trip of %q: %+v != %+v", data, again, req)
		}
	})
}

func jsonEqual(a, b json.RawMessage) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}
