package ws_test

import (
	"context"
	"log/slog"
	"net/http"

	"switchboard/signaling/ws"
)

type loginParams struct {
	Agent    string `json:"agent"`
	Password string `json:"password"`
}

type agentView struct {
	ID string `json:"id"`
}

// A per-connection session for a login-first protocol such as /ws/agent:
// a Mux of typed methods behind Gate, with notifications pushed through
// the Conn, and cleanup in Closed.
type agentSession struct {
	ws.Mux
	conn  *ws.Conn
	agent string
}

func (s *agentSession) login(ctx context.Context, p loginParams) (agentView, error) {
	if p.Agent == "" {
		return agentView{}, ws.InvalidParams("agent: required")
	}
	if p.Password != "secret" {
		return agentView{}, ws.Unauthorized("password: wrong agent or password")
	}
	s.agent = p.Agent
	// Notify never blocks; a peer that cannot keep up is disconnected.
	_ = s.conn.Notify("agent.updated", agentView{ID: p.Agent})
	return agentView{ID: p.Agent}, nil
}

// Closed runs once the connection's reader and writer have exited.
func (s *agentSession) Closed(cause error) {
	slog.Info("agent socket closed", "agent_id", s.agent, "cause", cause)
}

func Example() {
	h, err := ws.NewHandler(ws.Config{Kind: "agent"}, func(ctx context.Context, c *ws.Conn) ws.Session {
		s := &agentSession{conn: c}
		s.Register("login", ws.Typed(s.login))
		s.Register("activity.set", ws.Typed(func(ctx context.Context, p struct {
			Activity string `json:"activity"`
		}) (agentView, error) {
			if p.Activity == "" {
				return agentView{}, ws.InvalidParams("activity: required")
			}
			return agentView{ID: s.agent}, nil
		}))
		return ws.Gate("login", s) // anything before a successful login: error, then close
	})
	if err != nil {
		panic(err)
	}
	srv := &http.Server{Addr: "127.0.0.1:0", Handler: h}
	srv.RegisterOnShutdown(func() { _ = h.Close() }) // Shutdown does not close websockets
}
