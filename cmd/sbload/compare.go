package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"switchboard/loadgen"
)

type compareFlags struct {
	sb, rtpe, targets, points, shapes, shape, jsonOut string
	runs                                              int
	window, idleWait                                  time.Duration
	idleBusy                                          float64
}

// runCompare is sbload -compare: the side-by-side table of both targets.
func runCompare(ctx context.Context, f compareFlags, base loadgen.Config, stdout io.Writer) error {
	cc := loadgen.CompareConfig{
		SwitchboardBin: f.sb, RTPEngineBin: f.rtpe, Runs: f.runs, Rate: base.Rate, Window: f.window,
		AcceptDelay: base.AcceptDelay, AgentClient: base.AgentClient, Loops: base.Loops, IdleBusyPercent: f.idleBusy, IdleWait: f.idleWait,
		Progress: base.Progress, Logger: base.Logger,
	}
	for _, t := range strings.Split(f.targets, ",") {
		cc.Targets = append(cc.Targets, strings.TrimSpace(t))
	}
	for _, p := range strings.Split(f.points, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return fmt.Errorf("-points: %q is not a number of calls", p)
		}
		cc.Points = append(cc.Points, n)
	}
	shapes := f.shapes
	if shapes == "" {
		shapes = f.shape
	}
	for _, s := range strings.Split(shapes, ",") {
		s = strings.TrimSpace(s)
		if s != loadgen.ShapePaced && s != loadgen.ShapeIndependent {
			return fmt.Errorf("-shapes: unknown shape %q (paced or independent)", s)
		}
		cc.Shapes = append(cc.Shapes, s)
	}
	cmp, err := loadgen.Compare(ctx, cc)
	if cmp != nil {
		cmp.WriteTable(stdout)
		if f.jsonOut != "" {
			data, jerr := json.MarshalIndent(cmp, "", "  ")
			if jerr == nil {
				if f.jsonOut == "-" {
					_, jerr = stdout.Write(append(data, '\n'))
				} else {
					jerr = os.WriteFile(f.jsonOut, append(data, '\n'), 0o644)
				}
			}
			err = errors.Join(err, jerr)
		}
		for _, p := range cmp.Points {
			if p.Error != "" || p.Report == nil || p.Report.Failed > 0 {
				err = errors.Join(err, fmt.Errorf("%s %s %d calls run %d: failed (%s)", p.Target, p.Shape, p.Calls, p.Run, p.Error))
			}
		}
	}
	return err
}
