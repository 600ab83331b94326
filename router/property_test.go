package router

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	nAgents = 6
	nQueues = 3
	opSize  = 3 // bytes per operation
)

func agentID(i byte) AgentID { return AgentID("a" + strconv.Itoa(int(i)%nAgents)) }
func queueID(i byte) QueueID { return QueueID("q" + strconv.Itoa(int(i)%nQueues)) }

// extOf names a target extension: 10N or 20N; N = nAgents is nobody's.
func extOf(i byte) string {
	return []string{"10", "20"}[(i>>4)&1] + strconv.Itoa(int(i)%(nAgents+1))
}

// Operations, weighted by how often they appear in opTable.
const (
	opPutQueue = iota
	opRemoveQueue
	opPutAgent
	opRemoveAgent
	opConnect
	opActivity
	opAddTask
	opCancel
	opAccept
	opReject
	opCallEnded
	opWrapupOrTime
	opOutbound
)

var opTable = [32]byte{
	opPutQueue, opPutQueue, opRemoveQueue, opPutAgent, opPutAgent, opRemoveAgent,
	opConnect, opConnect, opActivity, opActivity, opActivity,
	opAddTask, opAddTask, opAddTask, opAddTask, opAddTask, opAddTask,
	opCancel, opAccept, opAccept, opAccept, opAccept, opReject, opReject, opReject,
	opCallEnded, opCallEnded, opCallEnded, opWrapupOrTime, opWrapupOrTime, opWrapupOrTime, opOutbound,
}

// step interprets one operation (op, x, y) against the router and the model,
// then checks everything. It returns a description for failure messages.
func (m *model) step(op, x, y byte) string {
	// Time moves on; deadlines up to now are handled first, on their own.
	m.now = m.now.Add(time.Duration(y%4) * time.Second)
	m.r.Advance(m.now)
	m.flush()
	var desc string
	var err error
	switch opTable[int(op)%len(opTable)] {
	case opPutQueue:
		q := Queue{ID: queueID(x), Priority: int(y>>2) % 3, AllowBusyAgents: y&0x40 != 0}
		if y&0x10 != 0 {
			q.OfferTimeout = 5 * time.Second
		}
		if y&0x20 != 0 {
			q.Wrapup = 10 * time.Second
		}
		desc = fmt.Sprintf("PutQueue(%+v)", q)
		if old := m.queues[q.ID]; old != nil {
			old.cfg = q
		} else {
			m.qgen++
			m.queues[q.ID] = &mQueue{cfg: q, gen: m.qgen}
		}
		err = m.r.PutQueue(q, m.now)
	case opRemoveQueue:
		if y&3 != 0 {
			break
		}
		id := queueID(x)
		desc = fmt.Sprintf("RemoveQueue(%s)", id)
		delete(m.queues, id)
		err = m.r.RemoveQueue(id, m.now)
		if errors.Is(err, ErrUnknownQueue) {
			err = nil
		}
	case opPutAgent:
		id := agentID(x)
		cfg := AgentConfig{ID: id, Extension: []string{"10", "20"}[(y>>3)&1] + string(id[1:]), Capacity: 1 + int(y>>6)%3}
		for i := range nQueues {
			if y&(1<<i) != 0 {
				cfg.Queues = append(cfg.Queues, queueID(byte(i)))
			}
		}
		desc = fmt.Sprintf("PutAgent(%+v)", cfg)
		a := m.agents[id]
		if a == nil {
			a = &mAgent{activity: ActivityOffline, idleSince: m.now}
			m.agents[id] = a
		}
		a.cfg = cfg
		err = m.r.PutAgent(cfg, m.now)
	case opRemoveAgent:
		id := agentID(x)
		desc = fmt.Sprintf("RemoveAgent(%s)", id)
		if a := m.agents[id]; a != nil {
			a.removed = true
			err = m.r.RemoveAgent(id, m.now)
			m.flush()
			delete(m.agents, id)
		}
	case opConnect:
		on := y&3 != 0
		desc = fmt.Sprintf("SetConnected(%s, %v)", agentID(x), on)
		err = m.ignoreUnknown(m.r.SetConnected(agentID(x), on, m.now))
	case opActivity:
		act := []Activity{ActivityAvailable, ActivityAvailable, ActivityAvailable, ActivityUnavailable, ActivityBreak, ActivityOffline}[int(y>>2)%6]
		desc = fmt.Sprintf("SetActivity(%s, %s)", agentID(x), act)
		err = m.ignoreUnknown(m.r.SetActivity(agentID(x), act, m.now))
	case opAddTask:
		m.nextID++
		task := Task{ID: TaskID("t" + strconv.Itoa(m.nextID)), Priority: int(y>>3) % 3}
		switch y >> 6 {
		case 0, 1, 2:
			task.Kind, task.Queue = KindQueue, queueID(x)
		default:
			if y&1 == 0 {
				task.Kind, task.TargetExtension = KindDirect, extOf(x)
				break
			}
			task.Kind = KindTransfer
			if x&0x80 != 0 {
				task.TargetExtension = extOf(x)
			} else {
				task.Queue = queueID(x)
			}
			task.Exclude = []AgentID{agentID(x >> 3)}
		}
		if y&4 != 0 {
			task.Arrived = m.now.Add(-time.Duration(x%32) * time.Second)
		}
		desc = fmt.Sprintf("AddTask(%+v)", task)
		m.pending = &task
		err = m.r.AddTask(task, m.now)
	case opCancel:
		if t := pick[TaskID](m.liveTasks(func(t *mTask) bool { return t.state != TaskAssigned }), x); t != "" {
			desc = fmt.Sprintf("CancelTask(%s)", t)
			err = m.r.CancelTask(t, m.now)
		}
	case opAccept, opReject:
		if id := pick[ReservationID](m.liveRes(), x); id != "" && y&3 != 0 {
			if opTable[int(op)%len(opTable)] == opAccept {
				desc = fmt.Sprintf("Accept(%s)", id)
				err = m.r.Accept(id, m.now)
			} else {
				desc = fmt.Sprintf("Reject(%s)", id)
				err = m.r.Reject(id, m.now)
			}
		}
	case opCallEnded:
		if t := pick[TaskID](m.liveTasks(func(t *mTask) bool { return t.state == TaskAssigned }), x); t != "" {
			desc = fmt.Sprintf("CallEnded(%s)", t)
			err = m.r.CallEnded(t, m.now)
		}
	case opWrapupOrTime:
		if y&1 == 0 {
			desc = fmt.Sprintf("WrapupDone(%s)", agentID(x))
			err = m.ignoreUnknown(m.r.WrapupDone(agentID(x), m.now))
		} else {
			m.now = m.now.Add(time.Duration(x%90) * time.Second)
			desc = "Advance"
			m.r.Advance(m.now)
		}
	case opOutbound:
		id := agentID(x)
		a := m.agents[id]
		if a == nil {
			break
		}
		if y&1 == 0 {
			desc = fmt.Sprintf("AddCall(%s)", id)
			err = m.r.AddCall(id, m.now)
			switch {
			case err == nil:
				a.calls++
				a.outbound++
				if a.load() > a.cfg.Capacity {
					m.failf("rule 1: AddCall took %s over capacity", id)
				}
			case errors.Is(err, ErrAtCapacity) && a.load() >= a.cfg.Capacity:
				err = nil
			}
		} else {
			desc = fmt.Sprintf("EndCall(%s)", id)
			if a.outbound == 0 {
				if err = m.r.EndCall(id, m.now); errors.Is(err, ErrNoCall) {
					err = nil
				}
				break
			}
			a.outbound--
			a.calls--
			if a.calls == 0 && !a.wrapup {
				a.idleSince = m.now
			}
			err = m.r.EndCall(id, m.now)
		}
	}
	if err != nil && !errors.Is(err, ErrDuplicateExtension) {
		m.failf("%s: %v", desc, err)
	}
	if errors.Is(err, ErrDuplicateExtension) {
		m.failf("%s: %v (generator never reuses extensions)", desc, err)
	}
	m.flush()
	m.pending = nil
	m.checkState()
	return desc
}

func (m *model) ignoreUnknown(err error) error {
	if errors.Is(err, ErrUnknownAgent) {
		return nil
	}
	return err
}

func (m *model) flush() {
	m.evs = m.r.Drain(m.evs[:0])
	m.apply(m.evs)
	if m.rona != "" {
		m.failf("rule 6: %s's offer timed out but the agent was not set unavailable", m.rona)
		m.rona = ""
	}
}

func (m *model) liveTasks(ok func(*mTask) bool) []string {
	var ids []string
	for id, t := range m.tasks {
		if ok(t) {
			ids = append(ids, string(id))
		}
	}
	return ids
}

func (m *model) liveRes() []string {
	var ids []string
	for id := range m.res {
		ids = append(ids, string(id))
	}
	return ids
}

func pick[T ~string](ids []string, x byte) T {
	if len(ids) == 0 {
		return ""
	}
	slices.Sort(ids)
	return T(ids[int(x)%len(ids)])
}

// runOps interprets ops (3 bytes each) and reports the first violation.
func runOps(t testing.TB, ops []byte) *model {
	m := newModel()
	var trace []string
	for i := 0; i+opSize <= len(ops); i += opSize {
		trace = append(trace, m.step(ops[i], ops[i+1], ops[i+2]))
		if len(m.errs) > 0 {
			if len(trace) > 40 {
				trace = trace[len(trace)-40:]
			}
			t.Fatalf("step %d: %s\nlast steps:\n  %s", i/opSize, strings.Join(m.errs, "\n"), strings.Join(trace, "\n  "))
		}
	}
	return m
}

// TestPropertyRandomSequences runs fixed seeds of random operation
// sequences; see model.go for what is checked after every step.
func TestPropertyRandomSequences(t *testing.T) {
	sequences, steps := 200, 300
	total := map[string]int{}
	if testing.Short() {
		sequences = 20
	}
	for seed := range sequences {
		rng := rand.New(rand.NewPCG(uint64(seed), 3))
		ops := make([]byte, steps*opSize)
		for i := range ops {
			ops[i] = byte(rng.UintN(256))
		}
		// Start with every queue and agent set up.
		var setup []byte
		for i := range byte(nQueues) {
			setup = append(setup, 0, i, ops[i])
		}
		for i := range byte(nAgents) {
			setup = append(setup, 3, i, ops[i], 6, i, 1, 8, i, 0)
		}
		copy(ops, setup)
		t.Run(strconv.Itoa(seed), func(t *testing.T) {
			for k, n := range runOps(t, ops).counts {
				total[k] += n
			}
		})
	}
	// The generator must reach every outcome, or the test proves little.
	for _, k := range slices.Sorted(maps.Keys(total)) {
		t.Logf("%6d %s", total[k], k)
	}
	for _, k := range []string{"reservation.created ", "reservation.accepted ", "reservation.rejected ",
		"reservation.timeout ", "reservation.canceled canceled", "reservation.canceled disconnected",
		"reservation.canceled activity", "reservation.canceled agent_removed", "task.completed ",
		"task.canceled ", "task.fallback busy", "task.fallback rejected", "task.fallback timeout",
		"task.fallback unavailable", "task.fallback unknown_extension", "task.fallback disconnected",
		"task.fallback unknown_queue", "agent.wrapup started", "agent.wrapup done", "agent.wrapup timer",
		"agent.activity rona"} {
		if total[k] < 5 && !testing.Short() {
			t.Errorf("the random sequences produced %q only %d times", k, total[k])
		}
	}
}

// FuzzRouter feeds arbitrary operation sequences to the same interpreter.
func FuzzRouter(f *testing.F) {
	f.Add([]byte{0, 0, 0, 3, 0, 1, 6, 0, 0, 8, 0, 0, 10, 0, 0, 13, 0, 0, 15, 0, 0})
	f.Add([]byte{0, 1, 0x70, 3, 1, 0xc3, 6, 1, 0, 8, 1, 0, 3, 2, 0x43, 6, 2, 0, 8, 2, 0,
		10, 1, 0, 10, 1, 1, 10, 1, 2, 14, 0, 0, 16, 19, 1, 16, 19, 1, 12, 0, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 3000 {
			ops = ops[:3000]
		}
		runOps(t, ops)
	})
}
