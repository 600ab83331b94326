package router

import (
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Issue 3 scale: 15,000 agents, 50 queues, 10,000 waiting tasks.
const (
	benchAgents = 15000
	benchQueues = 50
	benchTasks  = 10000
)

// benchQueue is queue i's id (made once: the benchmarks time the router,
// not the making of ids).
func benchQueue(i int) QueueID { return benchQueueIDs[i%benchQueues] }

var benchQueueIDs = func() []QueueID {
	ids := make([]QueueID, benchQueues)
	for i := range ids {
		ids[i] = QueueID("q" + strconv.Itoa(i))
	}
	return ids
}()

// benchFloor builds the floor. Agents of the first half of the queues are
// busy (one outbound call each, queues not allowing busy agents) and the
// 10,000 tasks wait there; agents of the second half are idle.
func benchFloor(b *testing.B) (*Router, time.Time, []AgentID) {
	b.Helper()
	r := New(Config{})
	now := t0
	for i := range benchQueues {
		if err := r.PutQueue(Queue{ID: benchQueue(i)}, now); err != nil {
			b.Fatal(err)
		}
	}
	var busy []AgentID
	half := benchQueues / 2
	for i := range benchAgents {
		id := AgentID("a" + strconv.Itoa(i))
		base := (i % 2) * half // even agents: queues 0..24, odd: 25..49
		qs := []QueueID{benchQueue(base + i%half), benchQueue(base + (i+7)%half), benchQueue(base + (i+13)%half)}
		now = now.Add(time.Millisecond)
		must(b, r.PutAgent(AgentConfig{ID: id, Extension: strconv.Itoa(10000 + i), Queues: qs}, now))
		must(b, r.SetConnected(id, true, now))
		if i%2 == 0 {
			must(b, r.AddCall(id, now))
			busy = append(busy, id)
		}
		must(b, r.SetActivity(id, ActivityAvailable, now))
	}
	for i := range benchTasks {
		now = now.Add(time.Millisecond)
		must(b, r.AddTask(Task{ID: TaskID("w" + strconv.Itoa(i)), Kind: KindQueue, Queue: benchQueue(i % half), Priority: i % 3}, now))
	}
	if s, _ := r.Queue(benchQueue(0)); s.Waiting != benchTasks/half {
		b.Fatalf("queue q0: %+v", s)
	}
	r.Drain(nil)
	return r, now, busy
}

func must(b testing.TB, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
}

// mark is where a benchmark's loop starts: the router's decision count and
// the process's CPU time (user + system, all threads, GC included).
type mark struct {
	decisions uint64
	cpu       time.Duration
}

func startMark(r *Router) mark { return mark{r.Decisions(), processCPU()} }

// processCPU is the CPU time this process has used (getrusage).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report adds decisions/s (over the wall clock, the figure the bar
// is set in), decisions/op and decisions/cpu-s (over the CPU time the loop
// used: the same figure on a quiet machine, and the honest one on a shared
// machine, where the wall clock also counts the time other processes held
// the cores).
func report(b *testing.B, r *Router, from mark) {
	d := r.Decisions() - from.decisions
	b.ReportMetric(float64(d)/b.Elapsed().Seconds(), "decisions/s")
	b.ReportMetric(float64(d)/float64(b.N), "decisions/op")
	if cpu := processCPU() - from.cpu; cpu > 0 {
		b.ReportMetric(float64(d)/cpu.Seconds(), "decisions/cpu-s")
	}
}

// run calls step(0), step(1), ... in b.Loop, counting allocations, and
// then reports the router's decisions (report). The step's closure is made
// once: its call costs nanoseconds beside the router's microseconds.
func run(b *testing.B, r *Router, step func(i int)) {
	before := startMark(r)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		step(i)
	}
	report(b, r, before)
}

// arrivals runs steps that each begin with task(i) arriving 1 ms after
// the previous step (*now moves on) and its events drained; step acts on
// them and returns the buffer drained again.
func arrivals(b *testing.B, r *Router, now *time.Time, task func(i int) Task, step func(i int, t Task, evs []Event) []Event) {
	var evs []Event
	run(b, r, func(i int) {
		*now = now.Add(time.Millisecond)
		t := task(i)
		_ = r.AddTask(t, *now)
		evs = step(i, t, r.Drain(evs[:0]))
	})
}

// BenchmarkAgentFreesUp: a busy agent ends a call and takes the best of the
// waiting tasks across its three queues; it accepts, a new task arrives
// (and waits), the agent dials out and ends the queue call, back where it
// started.
func BenchmarkAgentFreesUp(b *testing.B) {
	r, now, busy := benchFloor(b)
	var evs []Event
	next := 0
	run(b, r, func(i int) {
		id := busy[i%len(busy)]
		now = now.Add(time.Millisecond)
		_ = r.EndCall(id, now)
		evs = r.Drain(evs[:0])
		if len(evs) != 1 || evs[0].Type != ReservationCreated {
			b.Fatalf("step %d: %v", i, evs)
		}
		_ = r.Accept(evs[0].Reservation, now)
		next++
		_ = r.AddTask(Task{ID: TaskID("n" + strconv.Itoa(next)), Kind: KindQueue, Queue: benchQueue(i % (benchQueues / 2))}, now)
		_ = r.AddCall(id, now)
		_ = r.CallEnded(evs[0].Task, now)
		evs = r.Drain(evs[:0]) // keep the grown buffer: the next step reuses it
	})
}

// BenchmarkTaskArrives: a task arrives in a queue with idle members and is
// offered to the longest idle one, who accepts and ends the call.
func BenchmarkTaskArrives(b *testing.B) {
	r, now, _ := benchFloor(b)
	arrivals(b, r, &now, idleHalfTask, func(i int, t Task, evs []Event) []Event {
		if len(evs) != 2 || evs[1].Type != ReservationCreated {
			b.Fatalf("step %d: %v", i, evs)
		}
		_ = r.Accept(evs[1].Reservation, now)
		_ = r.CallEnded(t.ID, now)
		return r.Drain(evs[:0]) // keep the grown buffer: the next step reuses it
	})
}

// BenchmarkRejectReoffer: a task arrives, is offered, rejected and offered
// to the next longest idle member (two decisions), then canceled.
func BenchmarkRejectReoffer(b *testing.B) {
	r, now, _ := benchFloor(b)
	arrivals(b, r, &now, idleHalfTask, func(i int, t Task, evs []Event) []Event {
		_ = r.Reject(evs[1].Reservation, now)
		evs = r.Drain(evs[:0])
		if len(evs) != 2 || evs[1].Type != ReservationCreated {
			b.Fatalf("step %d: %v", i, evs)
		}
		_ = r.CancelTask(t.ID, now)
		return r.Drain(evs[:0]) // keep the grown buffer: the next step reuses it
	})
}

// idleHalfTask is the i-th task of the arrival benchmarks: a call for a
// queue of the idle half of benchFloor.
func idleHalfTask(i int) Task {
	half := benchQueues / 2
	return Task{ID: TaskID("x" + strconv.Itoa(i)), Kind: KindQueue, Queue: benchQueue(half + i%half)}
}
