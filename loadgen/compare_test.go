package loadgen

import (
	"bytes"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestCompareBothTargets runs sbload -compare's driver with 3 calls per
// point on both shapes: a fresh Switchboard (built from this tree) and a
// fresh userspace rtpengine (--table=-1, loopback, ports picked here),
// each started and stopped by the test. Every call must bridge with audio
// both ways on both targets, and the table must have the ratio rows.
func TestCompareBothTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts rtpengine and switchboard")
	}
	rtpe, err := exec.LookPath("rtpengine")
	if err != nil {
		t.Skip("rtpengine not installed (Debian package rtpengine-daemon); CI installs it")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found: cannot build cmd/switchboard")
	}
	sb := filepath.Join(t.TempDir(), "switchboard")
	build := exec.Command(goBin, "build", "-o", sb, "switchboard/cmd/switchboard")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/switchboard: %v\n%s", err, out)
	}
	var progress bytes.Buffer
	cmp, err := Compare(t.Context(), CompareConfig{
		SwitchboardBin: sb, RTPEngineBin: rtpe, Points: []int{3}, Runs: 1,
		Shapes: []string{ShapePaced, ShapeIndependent}, Rate: 20, Window: 3 * time.Second,
		IdleBusyPercent: 100, IdleWait: time.Millisecond, Progress: &progress,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("Compare: %v\n%s", err, progress.String())
	}
	if len(cmp.Points) != 4 {
		t.Fatalf("%d points, want 4 (2 shapes × 2 targets)", len(cmp.Points))
	}
	seen := map[string]bool{}
	for _, p := range cmp.Points {
		seen[p.Target+"/"+p.Shape] = true
		name := p.Target + " " + p.Shape
		if p.Error != "" || p.Report == nil {
			t.Errorf("%s: error %q\n%s", name, p.Error, progress.String())
			continue
		}
		r := p.Report
		if r.Succeeded != 3 || r.Failed != 0 || r.Bridged != 3 {
			t.Errorf("%s: %d succeeded, %d failed, %d bridged, want 3/0/3 (failures %v)", name, r.Succeeded, r.Failed, r.Bridged, r.Failures)
		}
		for dir, d := range map[string]Direction{"caller→agent": r.CallerToAgent, "agent→caller": r.AgentToCaller} {
			// 3 calls × ≥ 3 s at 50 packets/s.
			if d.Packets < 3*3*50*9/10 || d.LossPercent >= 1 {
				t.Errorf("%s %s: %d packets, %.2f %% lost", name, dir, d.Packets, d.LossPercent)
			}
		}
		if r.Gateway.PID == 0 || r.Gateway.CPUPerCallPercent <= 0 {
			t.Errorf("%s: gateway pid %d, CPU per call %.3f %%: the target's process was not measured", name, r.Gateway.PID, r.Gateway.CPUPerCallPercent)
		}
	}
	for _, k := range []string{"switchboard/paced", "rtpengine/paced", "switchboard/independent", "rtpengine/independent"} {
		if !seen[k] {
			t.Errorf("no point for %s", k)
		}
	}
	var table bytes.Buffer
	cmp.WriteTable(&table)
	for _, shape := range []string{ShapePaced, ShapeIndependent} {
		ratioRow := regexp.MustCompile(`(?m)^  ` + shape + ` +3 calls run 1: CPU per call [0-9.]+×, RSS per call [0-9.]+×$`)
		if !ratioRow.MatchString(table.String()) {
			t.Errorf("no ratio row for %s:\n%s", shape, table.String())
		}
	}
	if t.Failed() {
		t.Log(table.String())
	}
}
