package cluster

import "time"

// FactType says what a Fact reports.
type FactType string

// Facts a node sends the leader (in the order they happened on the node).
const (
	// FactReport is a node's whole state, sent in answer to a leader's
	// DecHello (Token is the hello's): the agents logged in on it and the
	// calls waiting on it. The leader ignores every other fact of a node
	// until that node's report under the leader's term.
	FactReport FactType = "report"
	// FactAgent: Agent connected or disconnected on Node, or its activity.
	FactAgent FactType = "agent"
	// FactTask: a call on Node needs an agent (Task).
	FactTask FactType = "task"
	// FactCancel: the caller of Task.ID hung up before an agent accepted;
	// for a task of another channel, its node canceled it (also once
	// accepted: its agent's node gets DecDone).
	FactCancel FactType = "cancel"
	// FactAccept / FactReject: Agent accepted or declined Reservation.
	FactAccept FactType = "accept"
	FactReject FactType = "reject"
	// FactEnded: the call Task.ID ended (an accepted task, or a call added
	// with FactCall). Both ends of a bridged call send it; the second is a
	// no-op. For a task of another channel: its agent completed it.
	FactEnded FactType = "ended"
	// FactCall: Agent holds a call that came from no task (it dialled out);
	// Task.ID names it for its FactEnded.
	FactCall FactType = "call"
	// FactWrapupDone: Agent ended its wrap-up.
	FactWrapupDone FactType = "wrapup_done"
)

// Fact is one message from a node to the leader.
type Fact struct {
	Type        FactType  `json:"type"`
	Node        string    `json:"node"`
	Token       int64     `json:"token,omitempty"`     // report: the term it answers
	Agent       string    `json:"agent,omitempty"`     // agent, accept, reject, call, wrapup_done
	Connected   bool      `json:"connected,omitempty"` // agent
	Activity    string    `json:"activity,omitempty"`  // agent: available, unavailable, …
	Reservation string    `json:"reservation,omitempty"`
	Task        *TaskFact `json:"task,omitempty"`
	Report      *Report   `json:"report,omitempty"`
}

// CallInfo is what a node's call ledger keeps of a call (LostCall), so
// that the survivors can report it (call.ended reason node_lost, and its
// record) if the node dies.
type CallInfo struct {
	Queue    string    `json:"queue,omitempty"`
	Kind     string    `json:"kind,omitempty"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to,omitempty"`
	Started  time.Time `json:"started,omitzero"`  // the call arrived (or was dialled)
	Answered time.Time `json:"answered,omitzero"` // an agent took it
	// AgentNode is the agent's node when it is not the call's own: the
	// caller was bridged to it. That node ends its half itself
	// (DecNodeLost), so the agent is not told of the call again.
	AgentNode string `json:"agent_node,omitempty"`
	// CallerNode is set on the agent's half of a bridged call: the
	// caller's node, which reports the call (its record included).
	CallerNode string `json:"caller_node,omitempty"`
}

// TaskFact is a call, or a task of another channel (PROTOCOL §10: one
// with a Channel, which is no call), that needs an agent (router.Task
// without Payload).
type TaskFact struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind,omitempty"` // queue, direct, transfer
	Queue     string    `json:"queue,omitempty"`
	Extension string    `json:"extension,omitempty"`
	Workflow  string    `json:"workflow,omitempty"`
	Priority  int       `json:"priority,omitempty"`
	Arrived   time.Time `json:"arrived,omitzero"`
	Channel   string    `json:"channel,omitempty"` // a task of that channel, not a call
	// NonBlocking: the task does not block its agent where its queue has
	// simultaneous_tasks (PROTOCOL §10 rule 1; block_agent false).
	NonBlocking bool           `json:"non_blocking,omitempty"`
	Exclude     []string       `json:"exclude,omitempty"`
	Attributes  map[string]any `json:"attributes,omitempty"`
	// Step and StepSince: a waiting workflow task in a report keeps its
	// place in its workflow (the target it had reached and when it
	// entered it, as its last DecMoved said), so a new term's escalation
	// runs out when the old one's would have (router.Task.WorkflowStep).
	Step      int       `json:"step,omitempty"`
	StepSince time.Time `json:"step_since,omitzero"`
}

// Report is a node's state for a new leader's rebuild.
type Report struct {
	Agents []AgentReport `json:"agents"`
	// Waiting are the node's calls that wait for an agent (a call whose
	// offer was made under an older term counts as waiting: the node
	// withdrew that offer when it got the hello).
	Waiting []TaskFact `json:"waiting"`
}

// AgentReport is one agent logged in on the reporting node.
type AgentReport struct {
	ID        string `json:"id"`
	Connected bool   `json:"connected"`
	Activity  string `json:"activity"`
	// Calls are every call the agent holds, wherever its caller is
	// (bridged calls included): each counts in its load until its
	// FactEnded.
	Calls []CallReport `json:"calls,omitempty"`
	// Tasks are the tasks of other channels the agent holds (accepted,
	// not completed), wherever they were created: each counts in its load
	// as §10 says (blocking or not by its queue) until its FactEnded, and
	// its node is told when it ends (DecDone).
	Tasks []TaskReport `json:"tasks,omitempty"`
}

// TaskReport is one task of another channel a reported agent holds: the
// task (Queue: the queue it was accepted from; Kind empty is queue) and
// Node, the node that created it (its owner).
type TaskReport struct {
	TaskFact
	Node string `json:"node"`
}

// CallReport is one call of a reported agent.
type CallReport struct {
	ID   string `json:"id"`
	Node string `json:"node"` // the node of its caller (the agent's own for a local call)
}

// DecisionType says what the leader decided.
type DecisionType string

// Decisions the leader sends to the node that acts on them (To). Each
// carries the leader's fencing Token; the node acts only if Fence admits it.
const (
	// DecHello opens a term: withdraw offers of older terms and send a
	// FactReport with this Token.
	DecHello DecisionType = "hello"
	// DecOffer: ring Agent (on AgentNode) for Task (its caller on
	// TaskNode) until Expires. Sent to the agent's node, and to the task's
	// node when it is another one (so it knows where the call will go).
	DecOffer DecisionType = "offer"
	// DecWithdraw: the offer Reservation ended unaccepted (Reason: timeout,
	// rejected, canceled, or why it was rescinded); stop ringing.
	DecWithdraw DecisionType = "withdraw"
	// DecAccepted: to the agent's node (put the call on Agent) and to the
	// task's node when it is another one (bridge the caller of Task to
	// Agent on AgentNode, over SIP and RTP).
	DecAccepted DecisionType = "accepted"
	// DecFallback: to the task's node: Task reaches no agent (Reason, as
	// router's task.fallback).
	DecFallback DecisionType = "fallback"
	// DecActivity: to the agent's node: set Agent's activity (Reason rona
	// after an unanswered offer).
	DecActivity DecisionType = "activity"
	// DecNodeLost: the other end of the call Task was on a node that died;
	// end it with reason node_lost.
	DecNodeLost DecisionType = "node_lost"
	// DecLost: to every surviving node: the call Task (Agent's, with
	// Call) lived on Node, which died; report it ended with reason
	// node_lost. The one decision with Record set also stores its call
	// record. With Tell set (to the node an agent of the dead node logged
	// in on again), only tell Agent that its call ended.
	DecLost DecisionType = "lost"
	// DecDone: to the task's node and its agent's: the task of another
	// channel Task (Channel set), accepted by Agent, ended (Reason
	// completed: its agent completed it; canceled: its node canceled it).
	DecDone DecisionType = "done"
	// DecMoved: to the task's node: the workflow task Task waits in Queue
	// now (FromQueue empty: the queue of its workflow's first target;
	// otherwise an escalation moved it from FromQueue).
	DecMoved DecisionType = "moved"
)

// Decision is one message from the leader to a node.
type Decision struct {
	Type        DecisionType `json:"type"`
	Token       int64        `json:"token"`
	To          string       `json:"to"` // the node that acts on it
	Task        string       `json:"task,omitempty"`
	Reservation string       `json:"reservation,omitempty"`
	Agent       string       `json:"agent,omitempty"`
	AgentNode   string       `json:"agent_node,omitempty"`
	TaskNode    string       `json:"task_node,omitempty"`
	Kind        string       `json:"kind,omitempty"`
	Queue       string       `json:"queue,omitempty"`
	FromQueue   string       `json:"from_queue,omitempty"` // moved
	// Step and Since, on moved: the workflow target Queue is (0: the
	// first) and when the task entered it, for the node's next report.
	Step  int       `json:"step,omitempty"`
	Since time.Time `json:"since,omitzero"`
	// Channel is set on every decision about a task of another channel
	// (not a call: nothing is bridged); its offers carry the task (Spec)
	// for the agent's node to show it.
	Channel  string    `json:"channel,omitempty"`
	Spec     *TaskFact `json:"spec,omitempty"`
	Activity string    `json:"activity,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Expires  time.Time `json:"expires,omitzero"`
	Node     string    `json:"node,omitempty"` // lost: the node that died
	Call     *CallInfo `json:"call,omitempty"` // lost: what the call was
	Record   bool      `json:"record,omitempty"`
	Tell     bool      `json:"tell,omitempty"`
}

// ReasonNodeLost is the call.ended reason of a call whose other node died.
const ReasonNodeLost = "node_lost"
