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
	sb := buildSwitchboard(t)
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
			// 3 calls × ≥ 3 s at 50 packets/s: at least half of that (a
			// starved generator on a loaded CI machine sent 384 of 450), and
			// under 1 % of what was sent lost.
			if d.Packets < 3*3*50/2 || d.LossPercent >= 1 {
				t.Errorf("%s %s: %d packets, %.2f %% lost", name, dir, d.Packets, d.LossPercent)
			}
		}
		if r.GeneratorCPUPercent <= 0 || r.GeneratorCPUPerDeliveredMicros <= 0 {
			t.Errorf("%s: generator CPU %.1f %%, %.1f µs per packet delivered: the generator was not measured", name, r.GeneratorCPUPercent, r.GeneratorCPUPerDeliveredMicros)
		}
		if r.Gateway.PID == 0 || r.Gateway.CPUPerCallPercent <= 0 {
			t.Errorf("%s: gateway pid %d, CPU per call %.3f %%: the target's process was not measured", name, r.Gateway.PID, r.Gateway.CPUPerCallPercent)
		}
		// Every party sends 50 packets/s: 100 delivered per call and second
		// when nothing is lost or skipped.
		if dl := r.Gateway.DeliveredPPS / r.Gateway.SteadyCalls; dl < 50 || dl > 110 || r.Gateway.CPUPerDeliveredMicros <= 0 {
			t.Errorf("%s: %.0f packets delivered per call and second, %.1f µs per packet: want about 100 and a CPU figure", name, dl, r.Gateway.CPUPerDeliveredMicros)
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
		// RSS per call of 3 calls is noise and can come out ≤ 0 (then "n/a").
		ratioRow := regexp.MustCompile(`(?m)^  ` + shape + ` +3 calls run 1: CPU per call [0-9.]+×, per packet delivered [0-9.]+×, RSS per call ([0-9.]+×|n/a)$`)
		if !ratioRow.MatchString(table.String()) {
			t.Errorf("no ratio row for %s:\n%s", shape, table.String())
		}
	}
	if t.Failed() {
		t.Log(table.String())
	}
}

// buildSwitchboard builds cmd/switchboard from this tree into a temp dir.
func buildSwitchboard(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found: cannot build cmd/switchboard")
	}
	sb := filepath.Join(t.TempDir(), "switchboard")
	build := exec.Command(goBin, "build", "-o", sb, "switchboard/cmd/switchboard")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/switchboard: %v\n%s", err, out)
	}
	return sb
}

// TestCompareRecording is issue 16's overhead run in miniature: targets
// switchboard-record and switchboard, 3 calls each; the recording target
// must leave one WAV per call (and the plain one none), every call must
// bridge with audio both ways, and the table must have the ratio row
// switchboard-record ÷ switchboard.
func TestCompareRecording(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: starts switchboard twice")
	}
	sb := buildSwitchboard(t)
	var progress bytes.Buffer
	cmp, err := Compare(t.Context(), CompareConfig{
		SwitchboardBin: sb, Targets: []string{CompareSwitchboardRecord, TargetSwitchboard}, Points: []int{3}, Runs: 1,
		Rate: 20, Window: 3 * time.Second, IdleBusyPercent: 100, IdleWait: time.Millisecond, Progress: &progress,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("Compare: %v\n%s", err, progress.String())
	}
	if len(cmp.Points) != 2 {
		t.Fatalf("%d points, want 2", len(cmp.Points))
	}
	for _, p := range cmp.Points {
		if p.Error != "" || p.Report == nil {
			t.Fatalf("%s: error %q\n%s", p.Target, p.Error, progress.String())
		}
		if r := p.Report; r.Succeeded != 3 || r.Failed != 0 {
			t.Errorf("%s: %d succeeded, %d failed (%v)", p.Target, r.Succeeded, r.Failed, r.Failures)
		}
		want := 0
		if p.Target == CompareSwitchboardRecord {
			want = 3
			// 3 calls × ≥ 3 s of 2-channel G.711 (16,000 bytes/s).
			if p.RecordedMiB < 3*3*16000.0/(1<<20) {
				t.Errorf("%s: %.3f MiB recorded, want ≥ 3 calls × 3 s", p.Target, p.RecordedMiB)
			}
		}
		if p.Recordings != want {
			t.Errorf("%s: %d recordings, want %d", p.Target, p.Recordings, want)
		}
	}
	var table bytes.Buffer
	cmp.WriteTable(&table)
	// RSS per call of 3 calls is noise and can come out ≤ 0 (then "n/a").
	row := regexp.MustCompile(`(?m)^ratio switchboard-record ÷ switchboard .*\n  paced +3 calls run 1: CPU per call [0-9.]+×, per packet delivered [0-9.]+×, RSS per call ([0-9.]+×|n/a)$`)
	if !row.MatchString(table.String()) {
		t.Errorf("no ratio row:\n%s", table.String())
	}
}
