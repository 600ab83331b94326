package main

import (
	"testing"

	"switchboard/internal/pgtest"
	"switchboard/signaling/ws/wstest"
)

// Two gateways with -store on one PostgreSQL share the configuration: a
// queue written through node 1's console is read through node 2's, and
// both keep their own -data for files.
func TestBinaryStorePostgres(t *testing.T) {
	srv := pgtest.Start(t)
	srv.NewDB(t) // t1
	url := srv.URL("t1")
	n1 := startGateway(t, 52000, "-store", url, "-admin-token", "tok")
	n2 := startGateway(t, 54000, "-store", url, "-admin-token", "tok")
	dial := func(g *child) *wstest.Client {
		t.Helper()
		c, err := wstest.DialErr(t, "ws://"+g.httpAddr+"/ws/admin", nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.MustCall("auth", map[string]string{"token": "tok"}, nil)
		return c
	}
	dial(n1).MustCall("queue.put", map[string]any{"id": "shared", "name": "Shared", "wrapup_seconds": 7}, nil)
	var q struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		WrapupSeconds int    `json:"wrapup_seconds"`
	}
	dial(n2).MustCall("queue.get", map[string]any{"id": "shared"}, &q)
	if q.ID != "shared" || q.Name != "Shared" || q.WrapupSeconds != 7 {
		t.Fatalf("node 2 reads queue %+v, want node 1's write", q)
	}
}
