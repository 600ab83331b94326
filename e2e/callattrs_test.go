package e2e

import (
	"context"
	"testing"
	"time"

	"switchboard/media"
	"switchboard/media/rtpleg/rtplegtest"
	"switchboard/signaling/trunk/trunktest"
)

// dialAs calls number from a phone with a From display name and extra
// headers, and sends toneHz once answered.
func (g *gateway) dialAs(t *testing.T, number, display string, toneHz float64, hdrs ...[2]string) *caller {
	t.Helper()
	c := &caller{SIP: trunktest.NewPhone(t, "udp"), RTP: rtplegtest.NewPhone(t, media.PCMU)}
	c.SIP.CallerName = display
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	d, err := c.SIP.Call(ctx, g.SIP, number, c.RTP.Offer(), hdrs...)
	if err != nil {
		t.Fatalf("call %s: %v", number, err)
	}
	c.Dlg = d
	if err := c.RTP.SetAnswer(d.AnswerSDP()); err != nil {
		t.Fatalf("call %s: answer SDP: %v", number, err)
	}
	c.RTP.PlayTone(toneHz)
	return c
}

// PROTOCOL §10 against the binary: a call's attributes. The INVITE comes
// from a configured carrier with a display name and X- headers; a
// workflow routes on one of the headers (X-Lang es to the Spanish queue,
// anything else to sales), and the reservation the agent sees carries
// caller_name, trunk, headers, from, to and number. The call's view shows
// the caller name. A second call without the header goes to sales.
func TestCallAttributesInReservationE2E(t *testing.T) {
	t.Parallel()
	carrier := trunktest.NewUAS(t, trunktest.UASConfig{Final: 503})
	g := startGW(t)
	g.seed(t, []map[string]any{{"id": "es", "name": "Spanish"}, {"id": "sales", "name": "Sales"}},
		[]agentSpec{{ID: "a1", Ext: "1001", Queues: []string{"sales"}}, {ID: "a2", Ext: "1002", Queues: []string{"es"}}}, nil)
	adm := g.admin(t)
	adm.MustCall("trunk.put", map[string]any{"id": "carrier1", "host": "127.0.0.1", "port": int(carrier.Addr().Port())}, nil)
	adm.MustCall("workflow.put", map[string]any{"id": "lang", "default_queue": "sales", "filters": []any{map[string]any{
		"name": "spanish", "expression": `headers["X-Lang"] == "es"`, "targets": []any{map[string]any{"queue": "es"}}}}}, nil)
	adm.MustCall("route.put", map[string]string{"number": "5020", "target": "workflow:lang"}, nil)
	a1 := g.login(t, "a1", toneAgent)
	a2 := g.login(t, "a2", toneAgent2)

	c := g.dialAs(t, "5020", "Ana García", toneCaller1, [2]string{"X-Lang", "es"}, [2]string{"X-Customer-Id", "4711"})
	p := a2.offer(t)
	attrs, _ := p["attributes"].(map[string]any)
	hdrs, _ := attrs["headers"].(map[string]any)
	if p["queue"] != "es" || attrs["caller_name"] != "Ana García" || attrs["trunk"] != "carrier1" || attrs["channel"] != "voice" ||
		attrs["from"] != "caller" || attrs["number"] != "5020" || attrs["to"] != "5020" ||
		hdrs["X-Lang"] != "es" || hdrs["X-Customer-Id"] != "4711" || len(hdrs) != 2 {
		t.Fatalf("reservation %v", p)
	}
	a1.noOffer(t, time.Second)
	var cv map[string]any
	a2.WS.MustCall("reservation.accept", map[string]string{"reservation": p["id"].(string)}, &cv)
	if cv["caller_name"] != "Ana García" {
		t.Errorf("accepted call view %v, want caller_name", cv)
	}
	talking(t, "call routed by its X-Lang header", c, toneCaller1, a2)

	c2 := g.dialAs(t, "5020", "", toneCaller2)
	p2 := a1.offer(t)
	attrs2, _ := p2["attributes"].(map[string]any)
	if p2["queue"] != "sales" || attrs2["trunk"] != "carrier1" || attrs2["caller_name"] != "" {
		t.Fatalf("second reservation %v, want sales without a caller name", p2)
	}
	if h, _ := attrs2["headers"].(map[string]any); len(h) != 0 {
		t.Errorf("second call's headers %v, want none", h)
	}
	a1.WS.MustCall("reservation.accept", map[string]string{"reservation": p2["id"].(string)}, nil)
	talking(t, "call without headers", c2, toneCaller2, a1)
}
