package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Commands between nodes (PROTOCOL §13 "one floor"): a node asks the node
// that holds a call to act on it (an admin console's call.hangup served by
// another node) and waits for its answer. Both ride Redis pub/sub:
// <prefix>:cmd:<node> carries the commands to node, <prefix>:reply:<node>
// the answers to node. Pub/sub keeps nothing: a command to a node that is
// not subscribed (dead, or not started) reaches nobody, which PUBLISH says
// at once (ErrNotListening); a node that is subscribed but does not answer
// in time (paused, overloaded) gives ErrNoAnswer after the asker's
// timeout. A command carries its deadline, and the node that receives it
// after that deadline refuses it instead of acting, so an action the asker
// gave up on is never done late (the nodes' clocks must agree to well
// within the timeout: NTP).

// Bounds of the command path.
const (
	// CommandTimeout is how long Ask waits for an answer by default.
	CommandTimeout = 2 * time.Second
	// MaxPendingAsks bounds the asks a node waits for at once (more:
	// ErrBusy at once).
	MaxPendingAsks = 256
	// commandQueue bounds the commands a node has received and not yet
	// handled (more: dropped with a log, the asker reports no answer);
	// commandWorkers handle them.
	commandQueue   = 64
	commandWorkers = 4
	// subscribeWait bounds the wait for Redis to confirm the subscription.
	subscribeWait = 5 * time.Second
	// maxCommandBytes bounds a command's or an answer's encoding.
	maxCommandBytes = 64 << 10
)

// Errors of Ask (wrapped, with the node's id).
var (
	// ErrNotListening: no node is subscribed to the command channel of
	// the node asked (it is down, or has not joined yet).
	ErrNotListening = errors.New("does not listen for commands (down?)")
	// ErrNoAnswer: the node asked did not answer within the timeout.
	ErrNoAnswer = errors.New("did not answer in time")
	// ErrBusy: too many asks or commands at once.
	ErrBusy = errors.New("too many commands at once")
	// ErrNotReady: this node's own subscription is not (yet) confirmed,
	// so an answer could not reach it.
	ErrNotReady = errors.New("cluster: commands: not subscribed yet")
)

// Command is what a node asks another to do.
type Command struct {
	ID       string          `json:"id"`   // unique per asker: <node>.<nonce>.<n>
	From     string          `json:"from"` // the asker's node: the answer goes to its reply channel
	Method   string          `json:"method"`
	Params   json.RawMessage `json:"params,omitempty"`
	Deadline time.Time       `json:"deadline"` // act only before it
}

// Reply is the answer to a Command: Result, or Err.
type Reply struct {
	ID     string          `json:"id"`
	From   string          `json:"from"` // the node that answers
	Result json.RawMessage `json:"result,omitempty"`
	Err    *CommandError   `json:"error,omitempty"`
}

// CommandError is a handler's refusal, carried to the asker as it was
// given: a JSON-RPC code (PROTOCOL §6), its message and reason.
type CommandError struct {
	Code    int    `json:"code"`
	Message string `json:"message,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("%s (%d): %s", cmp.Or(e.Message, "refused"), e.Code, e.Reason)
}

// CodeInternal is the JSON-RPC code of a command's failure that is not a
// *CommandError (PROTOCOL §6's internal error).
const CodeInternal = -32603

// CommandHandler acts on a command received by this node; its result is
// encoded as the Reply's Result. An error that is a *CommandError goes to
// the asker as it is; any other is CodeInternal with its text. ctx ends
// at the command's deadline.
type CommandHandler func(ctx context.Context, method string, params json.RawMessage) (any, error)

// Commander sends this node's commands and answers the ones sent to it.
// Run must be running for either. Safe for concurrent use.
type Commander struct {
	rdb    *redis.Client
	prefix string
	node   string
	handle CommandHandler
	log    *slog.Logger
	nonce  string
	seq    atomic.Uint64
	ready  atomic.Bool

	mu      sync.Mutex
	pending map[string]chan Reply // by Command.ID; each buffered 1
}

// NewCommander makes node's commander under key prefix; handle acts on
// the commands other nodes send (nil: every command is refused).
func NewCommander(rdb *redis.Client, prefix, node string, handle CommandHandler, log *slog.Logger) *Commander {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	if log == nil {
		log = slog.Default()
	}
	return &Commander{rdb: rdb, prefix: prefix, node: node, handle: handle, log: log, nonce: hex.EncodeToString(b), pending: map[string]chan Reply{}}
}

func (c *Commander) cmdChannel(node string) string   { return c.prefix + ":cmd:" + node }
func (c *Commander) replyChannel(node string) string { return c.prefix + ":reply:" + node }

// Ask sends method with params to node and waits for its answer, at most
// timeout (CommandTimeout if 0). The error is the node's *CommandError, or
// wraps ErrNotListening, ErrNoAnswer, ErrBusy or ErrNotReady, or a Redis
// error.
func (c *Commander) Ask(ctx context.Context, node, method string, params any, timeout time.Duration) (json.RawMessage, error) {
	if !c.ready.Load() {
		return nil, ErrNotReady
	}
	if timeout <= 0 {
		timeout = CommandTimeout
	}
	ps, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	cmd := Command{
		ID: c.node + "." + c.nonce + "." + strconv.FormatUint(c.seq.Add(1), 36), From: c.node,
		Method: method, Params: ps, Deadline: time.Now().Add(timeout),
	}
	js, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	if len(js) > maxCommandBytes {
		return nil, fmt.Errorf("cluster: command %s: %d bytes, more than %d", method, len(js), maxCommandBytes)
	}
	ch := make(chan Reply, 1)
	c.mu.Lock()
	if len(c.pending) >= MaxPendingAsks {
		c.mu.Unlock()
		return nil, fmt.Errorf("cluster: command %s: %w", method, ErrBusy)
	}
	c.pending[cmd.ID] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, cmd.ID)
		c.mu.Unlock()
	}()
	ctx, cancel := context.WithDeadline(ctx, cmd.Deadline)
	defer cancel()
	n, err := c.rdb.Publish(ctx, c.cmdChannel(node), js).Result()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("node %s %w (%v: Redis did not take the command)", node, ErrNoAnswer, timeout)
	case err != nil:
		return nil, fmt.Errorf("cluster: command %s to node %s: %w", method, node, err)
	case n == 0:
		return nil, fmt.Errorf("node %s %w", node, ErrNotListening)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Result, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("node %s %w (%v)", node, ErrNoAnswer, timeout)
		}
		return nil, ctx.Err()
	}
}

// Run subscribes to this node's command and reply channels, answers the
// commands and delivers the answers until ctx ends. It returns an error
// only if the subscription was never confirmed.
func (c *Commander) Run(ctx context.Context) error {
	work := make(chan Command, commandQueue)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(work)
	for range commandWorkers {
		wg.Go(func() {
			for cmd := range work {
				c.answer(ctx, cmd)
			}
		})
	}
	defer c.ready.Store(false)
	err := follow(ctx, c.rdb, []string{c.cmdChannel(c.node), c.replyChannel(c.node)}, commandQueue,
		func() { c.ready.Store(true) }, func(m *redis.Message) { c.received(ctx, m, work) })
	if err != nil {
		return fmt.Errorf("cluster: commands: %w", err)
	}
	return nil
}

// received dispatches one pub/sub message: an answer to its waiting Ask,
// a command to the workers (refused at once when they are all busy).
func (c *Commander) received(ctx context.Context, m *redis.Message, work chan<- Command) {
	if len(m.Payload) > maxCommandBytes {
		c.log.Warn("cluster: command message too large, dropped", "channel", m.Channel, "bytes", len(m.Payload))
		return
	}
	if m.Channel == c.replyChannel(c.node) {
		var r Reply
		if err := json.Unmarshal([]byte(m.Payload), &r); err != nil {
			c.log.Warn("cluster: malformed command answer, dropped", "err", err)
			return
		}
		c.mu.Lock()
		ch := c.pending[r.ID]
		c.mu.Unlock()
		if ch == nil { // its Ask gave up already
			c.log.Info("cluster: late command answer dropped", "id", r.ID, "from", r.From)
			return
		}
		select {
		case ch <- r:
		default: // a second answer to one command: the first counts
		}
		return
	}
	var cmd Command
	if err := json.Unmarshal([]byte(m.Payload), &cmd); err != nil || cmd.ID == "" || cmd.From == "" {
		c.log.Warn("cluster: malformed command, dropped", "err", err)
		return
	}
	select {
	case work <- cmd:
	default:
		// Dropped, not answered busy: a reply is a Redis round trip, and on
		// this goroutine it would hold up the answers to this node's own
		// commands (one subscription carries both). The asker reports no
		// answer within its bound.
		c.log.Warn("cluster: command queue full, command dropped", "method", cmd.Method, "from", cmd.From)
	}
}

// answer runs cmd's handler and sends its answer.
func (c *Commander) answer(ctx context.Context, cmd Command) {
	if !time.Now().Before(cmd.Deadline) {
		c.log.Warn("cluster: command arrived after its deadline, not done", "method", cmd.Method, "from", cmd.From, "late", time.Since(cmd.Deadline))
		c.reply(ctx, cmd, nil, &CommandError{Code: CodeInternal, Reason: "node " + c.node + ": the command arrived after its deadline (are the nodes' clocks apart?)"})
		return
	}
	if c.handle == nil {
		c.reply(ctx, cmd, nil, &CommandError{Code: -32601, Reason: "unknown method " + cmd.Method})
		return
	}
	hctx, cancel := context.WithDeadline(ctx, cmd.Deadline)
	res, err := c.handle(hctx, cmd.Method, cmd.Params)
	cancel()
	if err != nil {
		var ce *CommandError
		if !errors.As(err, &ce) {
			ce = &CommandError{Code: CodeInternal, Reason: cmd.Method + ": " + err.Error()}
		}
		c.reply(ctx, cmd, nil, ce)
		return
	}
	js, err := json.Marshal(res)
	if err != nil {
		c.reply(ctx, cmd, nil, &CommandError{Code: CodeInternal, Reason: cmd.Method + ": " + err.Error()})
		return
	}
	c.reply(ctx, cmd, js, nil)
}

// reply publishes the answer to cmd (logged if it cannot: the asker then
// reports no answer).
func (c *Commander) reply(ctx context.Context, cmd Command, res json.RawMessage, e *CommandError) {
	js, err := json.Marshal(Reply{ID: cmd.ID, From: c.node, Result: res, Err: e})
	if err == nil {
		rctx, cancel := context.WithTimeout(ctx, time.Until(cmd.Deadline)+time.Second)
		err = c.rdb.Publish(rctx, c.replyChannel(cmd.From), js).Err()
		cancel()
	}
	if err != nil && ctx.Err() == nil {
		c.log.Warn("cluster: command answer not sent", "method", cmd.Method, "to", cmd.From, "err", err)
	}
}
