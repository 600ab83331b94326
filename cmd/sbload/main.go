package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"switchboard/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sbload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sbload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		target      = fs.String("target", "switchboard", "what to drive: switchboard or rtpengine (ng control protocol, see -rtpengine-ng)")
		ngAddr      = fs.String("rtpengine-ng", "127.0.0.1:2223", "rtpengine's ng control address (UDP), with -target rtpengine")
		shape       = fs.String("shape", "paced", "load shape: paced (one pacer writes every frame back to back) or independent (every party on its own timer at a random phase)")
		agentClient = fs.String("agent-client", "lean", "browser-side client of agents and rtpengine calls: lean (ICE + DTLS-SRTP on one socket per leg, loadgen/leanclient) or pion (one PeerConnection per leg)")
		genLoops    = fs.Int("gen-loops", 0, "the generator's media loops (one goroutine each on a 1 ms clock reading every caller and lean browser socket and sending every frame); 0 = GOMAXPROCS, at most 4")
		compare     = fs.Bool("compare", false, "side by side: for every -points and -shapes, start a fresh switchboard (-switchboard-bin) and a fresh rtpengine (-rtpengine-bin) and drive each with the same load, -runs times, after waiting for an idle machine")
		sbBin       = fs.String("switchboard-bin", "", "-compare: the switchboard binary (go build ./cmd/switchboard)")
		rtpeBin     = fs.String("rtpengine-bin", "/usr/bin/rtpengine", "-compare: the rtpengine binary (Debian rtpengine-daemon)")
		targets     = fs.String("targets", "switchboard,rtpengine", "-compare: comma-separated targets (switchboard, switchboard-record = recording every call, rtpengine); the ratio rows divide each by the last")
		points      = fs.String("points", "200", "-compare: comma-separated concurrent calls per point")
		runs        = fs.Int("runs", 2, "-compare: runs per point (the target order alternates)")
		shapes      = fs.String("shapes", "", "-compare: comma-separated shapes (default: -shape)")
		window      = fs.Duration("window", 20*time.Second, "-compare: steady window; each call is held for the ramp (calls/rate) plus this")
		idleBusy    = fs.Float64("idle-busy", 15, "-compare: the machine counts as idle below this busy % (all cores) for 3 s")
		idleWait    = fs.Duration("idle-wait", 2*time.Minute, "-compare: longest wait for an idle machine before a point (then the point runs, marked not idle)")
		sipAddr     = fs.String("gateway-sip", "127.0.0.1:5060", "gateway SIP address (UDP)")
		httpURL     = fs.String("gateway-http", "http://127.0.0.1:8080", "gateway HTTP base URL (websockets)")
		token       = fs.String("admin-token", "", "admin console token (needed by -seed)")
		pid         = fs.Int("gateway-pid", 0, "gateway process id for CPU/RSS (0 = find the local process bound to the SIP port)")
		seed        = fs.Bool("seed", false, "create the queue, agents and route over /ws/admin")
		prefix      = fs.String("prefix", "sbload", "id prefix of the seeded queue and agents (agents <prefix>-a0001..., password pw-<id>)")
		number      = fs.String("number", "7999", "dialled number; -seed routes it to the queue")
		agents      = fs.Int("agents", 0, "agents to log in (0 = -calls)")
		agentList   = fs.String("agent-ids", "", "comma-separated id:password of existing agents (instead of -seed)")
		calls       = fs.Int("calls", 10, "maximum concurrent calls")
		rate        = fs.Float64("rate", 10, "new calls per second")
		duration    = fs.Duration("duration", 30*time.Second, "how long new calls are placed")
		hold        = fs.Duration("hold", 10*time.Second, "how long each call stays bridged before the carrier's BYE")
		acceptDelay = fs.Duration("accept-delay", 200*time.Millisecond, "how long an agent waits before accepting an offer")
		bridgeWait  = fs.Duration("bridge-timeout", 20*time.Second, "max wait from 200 OK until the caller hears its agent")
		merge       = fs.Bool("merge", false, "merged calls: each agent (capacity 2) takes two calls and merges them (mixing path); places exactly -calls calls, -agents defaults to -calls/2")
		record      = fs.Bool("record", false, "-seed puts the queue with record: true: the gateway records every call (PROTOCOL §12), to compare its CPU with a run without")
		jsonOut     = fs.String("json", "", "write the JSON report to this file ('-' = stdout)")
		quiet       = fs.Bool("quiet", false, "no progress line")
		logLevel    = fs.String("log-level", "warn", "log level: debug, info, warn, error")
		cpuProfile  = fs.String("cpuprofile", "", "write the generator's own CPU profile (pprof) to this file")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	sip, err := netip.ParseAddrPort(*sipAddr)
	if err != nil {
		return fmt.Errorf("-gateway-sip %q: %v", *sipAddr, err)
	}
	ng, err := netip.ParseAddrPort(*ngAddr)
	if err != nil {
		return fmt.Errorf("-rtpengine-ng %q: %v", *ngAddr, err)
	}
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level %q: %v", *logLevel, err)
	}
	cfg := loadgen.Config{
		Target: *target, RTPEngineNG: ng, Shape: *shape, AgentClient: *agentClient, Loops: *genLoops,
		GatewaySIP: sip, GatewayHTTP: strings.TrimSuffix(*httpURL, "/"), AdminToken: *token, GatewayPID: *pid,
		Seed: *seed, Prefix: *prefix, Number: *number, Agents: *agents,
		Calls: *calls, Rate: *rate, Duration: *duration, Hold: *hold, AcceptDelay: *acceptDelay, BridgeTimeout: *bridgeWait,
		Merge: *merge, Record: *record,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if *compare {
		return runCompare(ctx, compareFlags{
			sb: *sbBin, rtpe: *rtpeBin, targets: *targets, points: *points, runs: *runs, shapes: *shapes, shape: *shape, window: *window,
			idleBusy: *idleBusy, idleWait: *idleWait, jsonOut: *jsonOut,
		}, cfg, stdout)
	}
	if *agentList != "" {
		for _, e := range strings.Split(*agentList, ",") {
			id, pw, ok := strings.Cut(e, ":")
			if !ok {
				return fmt.Errorf("-agent-ids: %q is not id:password", e)
			}
			cfg.AgentIDs = append(cfg.AgentIDs, id)
			cfg.Passwords = append(cfg.Passwords, pw)
		}
	}
	rep, err := loadgen.Run(ctx, cfg)
	if rep != nil {
		rep.WriteTable(stdout)
		if *jsonOut != "" {
			data, jerr := json.MarshalIndent(rep, "", "  ")
			if jerr == nil {
				if *jsonOut == "-" {
					_, jerr = stdout.Write(append(data, '\n'))
				} else {
					jerr = os.WriteFile(*jsonOut, append(data, '\n'), 0o644)
				}
			}
			err = errors.Join(err, jerr)
		}
	}
	if err == nil && rep.Failed > 0 {
		err = fmt.Errorf("%d of %d calls failed", rep.Failed, rep.Attempted)
	}
	return err
}

// startCPUProfile profiles this process into path until the returned
// function is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}
