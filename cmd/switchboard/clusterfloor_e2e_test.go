package main

import (
	"testing"
	"time"

	"switchboard/internal/redistest"
	"switchboard/signaling/ws/wstest"
)

// floorState is the part of `state` this test reads: the leader and the
// whole floor as the leader published it.
type floorState struct {
	Cluster *struct {
		Leader   string `json:"leader"`
		Token    int64  `json:"token"`
		IsLeader bool   `json:"is_leader"`
		Floor    *struct {
			Token  int64 `json:"token"`
			Ready  bool  `json:"ready"`
			Agents []struct {
				ID        string `json:"id"`
				Node      string `json:"node"`
				Connected bool   `json:"connected"`
				Activity  string `json:"activity"`
				Load      int    `json:"load"`
			} `json:"agents"`
		} `json:"floor"`
	} `json:"cluster"`
}

func readFloor(t *testing.T, g *child) floorState {
	t.Helper()
	st, raw := stateAs[floorState](t, g)
	if st.Cluster == nil {
		t.Fatalf("state has no cluster member: %s", raw)
	}
	return st
}

// floorAgent says where st's floor has agent id: its node and activity
// ("" when the floor does not list it as connected).
func floorAgent(st floorState, id string) (node, activity string, token int64) {
	f := st.Cluster.Floor
	if f == nil || !f.Ready {
		return "", "", 0
	}
	for _, a := range f.Agents {
		if a.ID == id && a.Connected {
			return a.Node, a.Activity, f.Token
		}
	}
	return "", "", f.Token
}

// One floor over three gateway binaries: an agent logged in on n2 shows,
// with its activity, in the `state` of every node (cluster.floor, from the
// leader's router). SIGKILL of the leader (n1): the new leader rebuilds the
// floor from the surviving nodes' reports, and every survivor shows the
// agent on n2 again, under the new term, within 5 s.
func TestBinaryClusterFloor(t *testing.T) {
	rs := redistest.Start(t)
	ids := []string{"n1", "n2", "n3"}
	nodes := map[string]*child{}
	args := func(id string) []string {
		return []string{"-cluster", rs.URL(), "-node-id", id, "-admin-token", "tok", "-cluster-lease", "1s"}
	}
	nodes["n1"] = startGateway(t, 40000, args("n1")...)
	waitUntil(t, 5*time.Second, "n1 leads", func() bool { return readFloor(t, nodes["n1"]).Cluster.IsLeader })
	for i, id := range ids[1:] {
		nodes[id] = startGateway(t, 42000+2000*i, args(id)...)
	}
	for _, id := range ids { // each node has its own SQLite: the same agent on each
		dialAdmin(t, nodes[id]).MustCall("agent.put", map[string]any{"id": "x", "name": "X", "extension": "100", "password": "secret-x"}, nil)
	}
	ws := wstest.Dial(t, "ws://"+nodes["n2"].httpAddr+"/ws/agent", nil)
	defer ws.Close()
	ws.MustCall("login", map[string]string{"agent": "x", "password": "secret-x"}, nil)
	ws.MustCall("activity.set", map[string]string{"activity": "break"}, nil)
	var first int64
	for _, id := range ids {
		waitUntil(t, 5*time.Second, id+" shows x on n2 in break", func() bool {
			n, act, tok := floorAgent(readFloor(t, nodes[id]), "x")
			first = tok
			return n == "n2" && act == "break"
		})
	}
	killed := time.Now()
	_ = nodes["n1"].cmd.Process.Kill() // SIGKILL: no release, no leave
	_ = nodes["n1"].cmd.Wait()
	for _, id := range ids[1:] {
		waitUntil(t, 5*time.Second-time.Since(killed), id+" shows x on n2 under a new term", func() bool {
			n, act, tok := floorAgent(readFloor(t, nodes[id]), "x")
			return n == "n2" && act == "break" && tok > first
		})
	}
	t.Logf("SIGKILL of leader n1 (term %d): both survivors show the rebuilt floor after %v (lease 1 s)", first, time.Since(killed).Round(time.Millisecond))
	// The agent logs out: the floor shows it gone.
	ws.Close()
	waitUntil(t, 5*time.Second, "n3 shows x logged out", func() bool {
		n, _, _ := floorAgent(readFloor(t, nodes["n3"]), "x")
		return n == ""
	})
}

// waitUntil polls cond every 20 ms until it holds, failing t after d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
