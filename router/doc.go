// Package router is Switchboard's routing policy (PROTOCOL.md section 5,
// issue 3): which agent is offered which call. It is pure: standard library
// only, no I/O, no goroutines, no clock reads. Every method takes the
// current time as now.
//
// # Driving it
//
// The orchestrator (package agent) holds one mutex, tells the Router every
// fact, and then acts on the events the Router produced:
//
//	mu.Lock()
//	err := rt.AddTask(router.Task{ID: "c1", Kind: router.KindQueue, Queue: "sales"}, now)
//	evs = rt.Drain(evs[:0])
//	next, ok := rt.NextDeadline() // re-arm the single timer
//	mu.Unlock()
//	for _, e := range evs { ... }
//
// Facts: configuration (PutQueue, RemoveQueue, PutAgent, RemoveAgent),
// presence (SetConnected, SetActivity), tasks (AddTask, CancelTask), offers
// (Accept, Reject), calls (CallEnded for accepted tasks, AddCall/EndCall for
// calls that came from no task, WrapupDone), and time (Advance, when the
// timer armed from NextDeadline fires; every other method also handles the
// deadlines up to its now first). A method that returns an error changed
// nothing (apart from deadlines that had passed).
//
// # Events
//
// Drain returns events in the order things happened. Their types carry the
// PROTOCOL.md section 6 names (task.created, task.canceled, task.completed,
// reservation.created/accepted/rejected/timeout/canceled, agent.activity,
// agent.connected, agent.disconnected), plus two additions:
// task.fallback and agent.wrapup. Three of them are orders to the caller:
//
//   - reservation.created: ring Agent for Task until Expires (the offer).
//   - reservation.timeout and reservation.canceled: stop ringing (the offer
//     is withdrawn; Reason says why: canceled, disconnected, activity,
//     agent_removed).
//   - task.fallback: the task reaches no agent; play 486 Busy Here before
//     answer or an announcement after. Reason: rejected, timeout, busy,
//     unavailable, unknown_extension, disconnected, excluded,
//     unknown_queue. The task is gone.
//
// A task is never silently dropped: every task.created is followed, sooner
// or later, by exactly one of reservation.accepted (then task.completed on
// CallEnded), task.canceled, or task.fallback. Queue tasks with no eligible
// agent wait, in order, until one becomes eligible or CancelTask.
//
// # Policy
//
// An agent is offered anything only while connected, available and load <
// capacity; load counts calls (held ones included) and live reservations.
// Queue tasks go to members with load 0 and not in wrap-up, the one idle
// longest first (ties by agent id); with Queue.AllowBusyAgents, to a member
// with 0 < load < capacity (least loaded, then longest idle) only when no
// idle member is eligible. Waiting tasks are served by effective priority
// (Queue.Priority + Task.Priority) descending, then arrival, then creation
// order, across all the queues of an agent. Direct tasks (and transfers to an
// extension) go only to the agent of that extension, also in wrap-up, while
// below capacity; otherwise they get their fallback at once. An agent's idle
// time starts when it becomes available, connects, or finishes its last call
// (or its wrap-up); offers that end without a call do not reset it.
//
// An expired offer excludes the agent from the task and sets it unavailable
// (RONA, agent.activity with Reason "rona"); a rejected offer excludes the
// agent. A queue task then goes to the next eligible agent, a direct task
// gets its fallback. When an agent disconnects, leaves available or is
// removed, its offers are canceled and their tasks routed again with their
// original age and place.
//
// # Routing v2 (PROTOCOL.md section 10)
//
// Tasks have a Channel ("" or "voice" for calls). Voice work counts in
// Capacity (load = calls + live call reservations, as in v1); every other
// channel counts in AgentConfig.Channels (default 1, 0 = never). The five
// blocking rules:
//
//  1. Calls are always blocking. A task is blocking unless NonBlocking
//     (block_agent: false) and its queue has Simultaneous.
//  2. An agent holding any blocking work (a call in any state, a live call
//     reservation, a blocking task, offered or accepted) is offered no
//     queue work. Direct tasks keep the v1 rule (below voice capacity).
//     v1's AllowBusyAgents still lets an agent whose blocking work is voice
//     take more calls of that queue below capacity.
//  3. An agent whose only work is non-blocking tasks may be offered queue
//     work, blocking or not, only when no eligible member of that queue is
//     completely free (Work 0); a further non-blocking task needs fewer than
//     MaxNonBlocking held.
//  4. Per-channel capacity caps every channel.
//  5. Tasks and calls of a Simultaneous queue get no wrap-up.
//
// Queues serve FIFO or LIFO at equal priority. Membership sets are the
// caller's: it evaluates target_workers (package router/attrexpr) and puts
// the agent again with the new Queues; an unchanged set costs nothing.
// Workflows (PutWorkflow) route a task with Workflow set: the first Filter
// whose Matcher accepts Task.Attributes gives the targets; the task waits
// in targets[0] and, after that target's Timeout unassigned, moves to the
// next one (task.moved, FromQueue to Queue), keeping Arrived; a task
// offered when its timeout runs out moves if the offer ends unaccepted. No
// match: DefaultQueue, else fallback no_match. Task.Payload is carried
// untouched in every task and reservation event and in snapshots, so the
// caller keeps no map of its own beside the router's.
//
// # Cost
//
// Each queue keeps its waiting tasks in a heap (priority, arrival) and its
// eligible members in two heaps (idle: idle since; busy: load, idle since).
// A routing step touches only the task or agent that changed and the heads
// of the agent's queues: O(q log n) for an agent in q queues, never a scan
// of all agents or tasks. Between calls the state is stable: no waiting task
// has an eligible agent.
package router
