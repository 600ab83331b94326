package netns

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"switchboard/signaling/ws/wsclient"
)

// healthy says whether n's /healthz answers 200.
func (c *clusterT) healthy(n *node) bool {
	cl := http.Client{Timeout: time.Second}
	resp, err := cl.Get(n.http + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// admin opens an authenticated admin console on n; onEvent, when set,
// gets the events it is subscribed to.
func (c *clusterT) admin(n *node, onEvent func(map[string]any)) (*wsclient.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opt := wsclient.Options{}
	if onEvent != nil {
		opt.OnNotify = func(method string, params json.RawMessage) {
			var e map[string]any
			if method == "event" && json.Unmarshal(params, &e) == nil {
				onEvent(e)
			}
		}
	}
	a, err := wsclient.Dial(ctx, wsclient.URL(n.http, "/ws/admin"), opt)
	if err != nil {
		return nil, err
	}
	if err := a.Call(ctx, "auth", map[string]string{"token": adminToken}, nil); err != nil {
		_ = a.Close()
		return nil, err
	}
	if onEvent != nil {
		if err := a.Call(ctx, "subscribe", map[string]any{}, nil); err != nil {
			_ = a.Close()
			return nil, err
		}
	}
	return a, nil
}

// call is one admin request on a fresh console of n.
func (c *clusterT) adminCall(n *node, method string, params, out any) error {
	a, err := c.admin(n, nil)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Call(ctx, method, params, out); err != nil {
		return fmt.Errorf("%s on %s: %w", method, n.id, err)
	}
	return nil
}

// floorAgent is one agent of the leader's published floor.
type floorAgent struct {
	ID        string `json:"id"`
	Node      string `json:"node"`
	Connected bool   `json:"connected"`
	Load      int    `json:"load"`
}

// clusterView is what this test reads of `state`.cluster: the leader
// and its term, and the floor it published.
type clusterView struct {
	Leader   string `json:"leader"`
	IsLeader bool   `json:"is_leader"`
	Token    int64  `json:"token"`
	Floor    *struct {
		Ready  bool         `json:"ready"`
		Token  int64        `json:"token"`
		Agents []floorAgent `json:"agents"`
	} `json:"floor"`
}

// view is n's `state`.cluster (zero when n does not answer), through its
// event console once there is one.
func (c *clusterT) view(n *node) clusterView {
	var st struct {
		Cluster *clusterView `json:"cluster"`
	}
	if c.events != nil {
		if !c.events.call(n, "state", &st) || st.Cluster == nil {
			return clusterView{}
		}
		return *st.Cluster
	}
	if err := c.adminCall(n, "state", map[string]any{}, &st); err != nil || st.Cluster == nil {
		return clusterView{}
	}
	return *st.Cluster
}

// connected counts the agents n's published floor has connected.
func (v clusterView) connected() int {
	if v.Floor == nil || !v.Floor.Ready {
		return 0
	}
	k := 0
	for _, a := range v.Floor.Agents {
		if a.Connected {
			k++
		}
	}
	return k
}
