package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"switchboard/cluster"
	"switchboard/internal/redistest"
	"switchboard/internal/waittest"
)

// runCommander runs node's commander on srv until the test ends and
// waits until its subscription is confirmed.
func runCommander(t *testing.T, srv *redistest.Server, node string, h cluster.CommandHandler) *cluster.Commander {
	t.Helper()
	rdb := srv.Client()
	t.Cleanup(func() { rdb.Close() })
	c := cluster.NewCommander(rdb, "sb", node, h, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: Run: %v", node, err)
		}
	})
	waittest.For(t, node+" subscribed", 5*time.Second, func() bool {
		_, err := c.Ask(ctx, node, "ping", nil, time.Second)
		return !errors.Is(err, cluster.ErrNotReady)
	})
	return c
}

// A command to another node is answered with its handler's result or its
// refusal (a *CommandError, as given); a node nobody runs is not listening
// (at once); a node that does not answer gives ErrNoAnswer after the
// timeout, and the command it gets after its deadline is refused, not done.
func TestCommandAskAnswer(t *testing.T) {
	srv := redistest.Start(t)
	var acted atomic.Int32
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	gaveUp := make(chan struct{}) // closed when the stalled command's Ask has returned
	n2 := func(ctx context.Context, method string, params json.RawMessage) (any, error) {
		switch method {
		case "echo":
			var p map[string]string
			if err := json.Unmarshal(params, &p); err != nil {
				return nil, err
			}
			acted.Add(1)
			return map[string]string{"got": p["call"]}, nil
		case "refuse":
			return nil, &cluster.CommandError{Code: -32002, Message: "Not found", Reason: "call c9"}
		case "fail":
			return nil, errors.New("boom")
		case "stall":
			// A node that does not answer in time: it answers only once
			// the asker has given up (answering at its own deadline raced
			// the asker's timer: the answer sometimes came first).
			select {
			case <-gaveUp:
			case <-time.After(5 * time.Second): // the asker never gave up: answer, and the test fails
			case <-release:
			}
			return nil, errors.New("too late")
		}
		return nil, nil
	}
	ask := runCommander(t, srv, "n1", nil)
	runCommander(t, srv, "n2", n2)
	ctx := t.Context()

	res, err := ask.Ask(ctx, "n2", "echo", map[string]string{"call": "c1"}, 0)
	if err != nil || string(res) != `{"got":"c1"}` || acted.Load() != 1 {
		t.Fatalf("echo = %s, %v (acted %d), want {\"got\":\"c1\"}", res, err, acted.Load())
	}
	_, err = ask.Ask(ctx, "n2", "refuse", nil, 0)
	var ce *cluster.CommandError
	if !errors.As(err, &ce) || ce.Code != -32002 || ce.Reason != "call c9" {
		t.Errorf("refuse = %v, want the handler's -32002 call c9", err)
	}
	if _, err = ask.Ask(ctx, "n2", "fail", nil, 0); !errors.As(err, &ce) || ce.Code != cluster.CodeInternal || ce.Reason != "fail: boom" {
		t.Errorf("fail = %v, want -32603 fail: boom", err)
	}
	// n1 runs without a handler: it refuses every command.
	if _, err = runCommander(t, srv, "n3", nil).Ask(ctx, "n1", "echo", nil, 0); !errors.As(err, &ce) || ce.Code != -32601 {
		t.Errorf("a command to a node without a handler = %v, want -32601", err)
	}

	began := time.Now()
	if _, err = ask.Ask(ctx, "n9", "echo", nil, 0); !errors.Is(err, cluster.ErrNotListening) {
		t.Errorf("a command to n9 (nobody) = %v, want ErrNotListening", err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("ErrNotListening after %v, want at once", d)
	}

	began = time.Now()
	const bound = 300 * time.Millisecond
	_, err = ask.Ask(ctx, "n2", "stall", nil, bound)
	close(gaveUp)
	if !errors.Is(err, cluster.ErrNoAnswer) {
		t.Errorf("a stalled command = %v, want ErrNoAnswer", err)
	}
	if d := time.Since(began); d < bound || d > bound+time.Second {
		t.Errorf("ErrNoAnswer after %v, want the timeout %v", d, bound)
	}
}

// A command whose deadline has passed when the node gets it is refused
// and not done.
func TestCommandAfterDeadlineNotDone(t *testing.T) {
	srv := redistest.Start(t)
	var acted atomic.Int32
	runCommander(t, srv, "n2", func(_ context.Context, method string, _ json.RawMessage) (any, error) {
		if method == "echo" {
			acted.Add(1)
		}
		return nil, nil
	})
	rdb := srv.Client()
	defer rdb.Close()
	ctx := t.Context()
	ps := rdb.Subscribe(ctx, "sb:reply:n1")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil { // the subscription's confirmation
		t.Fatal(err)
	}
	js, _ := json.Marshal(cluster.Command{ID: "n1.x.1", From: "n1", Method: "echo", Deadline: time.Now().Add(-time.Millisecond)})
	if err := rdb.Publish(ctx, "sb:cmd:n2", js).Err(); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m, err := ps.ReceiveMessage(rctx)
	if err != nil {
		t.Fatal(err)
	}
	var r cluster.Reply
	if err := json.Unmarshal([]byte(m.Payload), &r); err != nil || r.ID != "n1.x.1" || r.Err == nil || r.From != "n2" {
		t.Fatalf("answer %s (%v), want n2's refusal of n1.x.1", m.Payload, err)
	}
	if acted.Load() != 0 {
		t.Errorf("the late command was done %d times, want 0", acted.Load())
	}
}
