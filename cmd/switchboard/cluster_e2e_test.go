package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"switchboard/internal/redistest"
	"switchboard/signaling/ws/wstest"
)

// clusterState is the "cluster" member of `state` (nil without -cluster).
type clusterState struct {
	Cluster *struct {
		Node     string `json:"node"`
		Addr     string `json:"addr"`
		Leader   string `json:"leader"`
		Token    int64  `json:"token"`
		IsLeader bool   `json:"is_leader"`
		Nodes    []struct {
			ID   string `json:"id"`
			Addr string `json:"addr"`
		} `json:"nodes"`
	} `json:"cluster"`
}

// dialAdmin opens g's admin console authenticated with token "tok"; it
// is closed when t ends.
func dialAdmin(t *testing.T, g *child) *wstest.Client {
	t.Helper()
	c, err := wstest.DialErr(t, "ws://"+g.httpAddr+"/ws/admin", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.MustCall("auth", map[string]string{"token": "tok"}, nil)
	return c
}

func adminState(t *testing.T, g *child) clusterState {
	t.Helper()
	st, raw := stateAs[clusterState](t, g)
	if !strings.Contains(string(raw), `"agents"`) {
		t.Fatalf("state lost the floor: %s", raw)
	}
	return st
}

// stateAs is the admin console's `state` of g, decoded into T, and as it
// came.
func stateAs[T any](t *testing.T, g *child) (T, json.RawMessage) {
	t.Helper()
	c := dialAdmin(t, g)
	defer c.Close()
	var raw json.RawMessage
	c.MustCall("state", nil, &raw)
	var st T
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	return st, raw
}

// Three gateways with -cluster on one Redis: each joins the presence set
// and shows it in `state`; exactly one leads; SIGKILL of the leader gives
// another node the lease (with a higher fencing token) within 5 s, and
// the dead node leaves the set. A gateway without -cluster shows no
// cluster member (single node unchanged, no Redis).
func TestBinaryClusterLeader(t *testing.T) {
	rs := redistest.Start(t)
	ids := []string{"n1", "n2", "n3"}
	nodes := map[string]*child{}
	for i, id := range ids {
		nodes[id] = startGateway(t, 40000+2000*i, "-cluster", rs.URL(), "-node-id", id, "-admin-token", "tok", "-cluster-lease", "1s")
	}
	// wait until every node sees all three and they agree on one leader
	var leader string
	var token int64
	deadline := time.Now().Add(10 * time.Second)
	for {
		agree, leaders := true, 0
		leader = ""
		for _, id := range ids {
			st := adminState(t, nodes[id])
			if st.Cluster == nil {
				t.Fatalf("node %s: state has no cluster member", id)
			}
			if st.Cluster.Node != id || !strings.HasPrefix(st.Cluster.Addr, "127.0.0.1:") {
				t.Fatalf("node %s reports itself as %q at %q", id, st.Cluster.Node, st.Cluster.Addr)
			}
			if st.Cluster.IsLeader {
				leaders++
				token = st.Cluster.Token
			}
			if len(st.Cluster.Nodes) != 3 || (leader != "" && st.Cluster.Leader != leader) || st.Cluster.Leader == "" {
				agree = false
			}
			leader = st.Cluster.Leader
		}
		if leaders > 1 {
			t.Fatalf("%d nodes say they lead", leaders)
		}
		if agree && leaders == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the three nodes did not agree on one leader and three live nodes within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("leader %s with token %d", leader, token)
	killed := time.Now()
	dead := nodes[leader]
	_ = dead.cmd.Process.Kill() // SIGKILL: no release, no leave
	_ = dead.cmd.Wait()
	var rest []string
	for _, id := range ids {
		if id != leader {
			rest = append(rest, id)
		}
	}
	for {
		var newLeader string
		leaders, gone := 0, true
		for _, id := range rest {
			st := adminState(t, nodes[id])
			if st.Cluster.IsLeader {
				leaders++
				newLeader = id
				if st.Cluster.Token <= token {
					t.Fatalf("new leader %s has token %d, not above the dead leader's %d", id, st.Cluster.Token, token)
				}
			}
			for _, n := range st.Cluster.Nodes {
				if n.ID == leader {
					gone = false
				}
			}
		}
		if leaders > 1 {
			t.Fatalf("%d surviving nodes say they lead", leaders)
		}
		if leaders == 1 && gone {
			t.Logf("SIGKILL of leader %s: %s leads and %s left the live set after %v (lease 1 s)", leader, newLeader, leader, time.Since(killed).Round(time.Millisecond))
			break
		}
		if time.Since(killed) > 5*time.Second {
			t.Fatalf("no new leader (or dead node still live) 5 s after SIGKILL of %s", leader)
		}
		time.Sleep(20 * time.Millisecond)
	}
	single := startGateway(t, 46000, "-admin-token", "tok")
	if st := adminState(t, single); st.Cluster != nil {
		t.Fatalf("a node without -cluster reports a cluster: %+v", *st.Cluster)
	}
}
