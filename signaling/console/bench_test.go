package console_test

import (
	"testing"
)

// BenchmarkAgentPut measures an acknowledged agent.put round trip over a
// loopback websocket (validation, one durable transaction, applier,
// config.changed).
func BenchmarkAgentPut(b *testing.B) {
	e := newEnvTB(b)
	c := e.admin()
	c.MustCall("queue.put", map[string]any{"id": "sales"}, nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		c.MustCall("agent.put", map[string]any{"id": "bob", "extension": "1001", "capacity": i%8 + 1, "queues": []string{"sales"}}, nil)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "puts/s")
}
