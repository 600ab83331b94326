package authlimit_test

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"switchboard/signaling/authlimit"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newLimiter(cfg authlimit.Config) (*authlimit.Limiter, *clock) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Now = c.now
	if cfg.MaxChecks == 0 {
		cfg.MaxChecks = 1000
	}
	return authlimit.New(cfg), c
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// fail makes one failed attempt and reports its Begin error.
func fail(l *authlimit.Limiter, subject, src string) error {
	a, err := l.Begin(subject, ip(src))
	if err != nil {
		return err
	}
	a.Done(false)
	return nil
}

func TestBudgets(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, l *authlimit.Limiter, c *clock)
	}{
		{"pair budget is 10 a minute", func(t *testing.T, l *authlimit.Limiter, c *clock) {
			for i := range 10 {
				if err := fail(l, "bob", "10.0.0.1"); err != nil {
					t.Fatalf("failure %d refused: %v", i+1, err)
				}
			}
			if err := fail(l, "bob", "10.0.0.1"); !errors.Is(err, authlimit.ErrLimited) {
				t.Fatalf("11th failure = %v, want ErrLimited", err)
			}
			if err := fail(l, "bob", "10.0.0.2"); err != nil {
				t.Errorf("bob from a clean address = %v, want allowed", err)
			}
			if err := fail(l, "ann", "10.0.0.1"); err != nil {
				t.Errorf("ann from the same address = %v, want allowed (source budget 30)", err)
			}
			c.add(6 * time.Second) // one token back (10 per minute)
			if err := fail(l, "bob", "10.0.0.1"); err != nil {
				t.Errorf("after 6 s = %v, want one more attempt", err)
			}
			if err := fail(l, "bob", "10.0.0.1"); !errors.Is(err, authlimit.ErrLimited) {
				t.Errorf("second after 6 s = %v, want ErrLimited", err)
			}
		}},
		{"source budget is 30 a minute", func(t *testing.T, l *authlimit.Limiter, c *clock) {
			for i := range 30 {
				if err := fail(l, fmt.Sprintf("agent%d", i), "10.0.0.1"); err != nil {
					t.Fatalf("failure %d refused: %v", i+1, err)
				}
			}
			if err := fail(l, "new", "10.0.0.1"); !errors.Is(err, authlimit.ErrLimited) {
				t.Fatalf("31st failure from one source = %v, want ErrLimited", err)
			}
			if err := fail(l, "new", "10.0.0.2"); err != nil {
				t.Errorf("another source = %v, want allowed", err)
			}
		}},
		{"success costs nothing", func(t *testing.T, l *authlimit.Limiter, c *clock) {
			for i := range 100 {
				a, err := l.Begin("bob", ip("10.0.0.1"))
				if err != nil {
					t.Fatalf("good attempt %d refused: %v", i, err)
				}
				a.Done(true)
			}
		}},
		{"subject locked everywhere only above 100 failures", func(t *testing.T, l *authlimit.Limiter, c *clock) {
			for i := range 100 {
				if err := fail(l, "bob", fmt.Sprintf("10.0.%d.%d", i/10, i%10)); err != nil {
					t.Fatalf("failure %d refused: %v", i+1, err)
				}
			}
			a, err := l.Begin("bob", ip("10.9.9.9"))
			if err != nil {
				t.Fatalf("clean address after 100 failures = %v, want allowed", err)
			}
			a.Done(false) // the 101st
			if _, err := l.Begin("bob", ip("10.9.9.8")); !errors.Is(err, authlimit.ErrLimited) {
				t.Fatalf("after 101 failures = %v, want ErrLimited from everywhere", err)
			}
			if err := fail(l, "ann", "10.9.9.8"); err != nil {
				t.Errorf("another agent = %v, want allowed", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c := newLimiter(authlimit.Config{})
			tt.run(t, l, c)
		})
	}
}

// The attempt is reserved before the check: 200 parallel attempts with
// all their checks still running get exactly 10 through.
func TestParallelAttemptsCannotExceedBudget(t *testing.T) {
	l, _ := newLimiter(authlimit.Config{MaxChecks: 500})
	var wg sync.WaitGroup
	start := make(chan struct{})
	granted := make(chan *authlimit.Attempt, 200)
	for range 200 {
		wg.Go(func() {
			<-start
			if a, err := l.Begin("bob", ip("127.0.0.1")); err == nil {
				granted <- a
			}
		})
	}
	close(start)
	wg.Wait()
	close(granted)
	n := 0
	for a := range granted {
		n++
		a.Done(false)
	}
	if n != 10 {
		t.Fatalf("%d of 200 parallel attempts granted, want 10", n)
	}
	if s := l.Stats(); s.Checks != 10 || s.Limited != 190 {
		t.Errorf("Stats = %+v, want 10 checks, 190 limited", s)
	}
}

func TestBusy(t *testing.T) {
	l, _ := newLimiter(authlimit.Config{MaxChecks: 2})
	a1, err1 := l.Begin("a", ip("10.0.0.1"))
	a2, err2 := l.Begin("b", ip("10.0.0.2"))
	if err1 != nil || err2 != nil {
		t.Fatalf("first two = %v, %v", err1, err2)
	}
	if _, err := l.Begin("c", ip("10.0.0.3")); !errors.Is(err, authlimit.ErrBusy) {
		t.Fatalf("third while two run = %v, want ErrBusy", err)
	}
	a1.Done(true)
	a1.Done(true) // idempotent: frees one slot only
	a3, err := l.Begin("c", ip("10.0.0.3"))
	if err != nil {
		t.Fatalf("after one finished = %v", err)
	}
	if _, err := l.Begin("d", ip("10.0.0.4")); !errors.Is(err, authlimit.ErrBusy) {
		t.Fatalf("double Done freed two slots: %v", err)
	}
	a2.Done(false)
	a3.Done(false)
}

// A spray of new keys keeps the maps bounded without forgetting a source
// that is out of budget (the old limiter reset everything at 100k keys).
func TestBoundedWithoutReset(t *testing.T) {
	l, _ := newLimiter(authlimit.Config{MaxKeys: 100, PerSubject: -1})
	for range 30 {
		_ = fail(l, "", "10.0.0.1")
	}
	if err := fail(l, "", "10.0.0.1"); !errors.Is(err, authlimit.ErrLimited) {
		t.Fatalf("after 30 failures = %v, want ErrLimited", err)
	}
	for i := range 1000 {
		_ = fail(l, "", fmt.Sprintf("10.1.%d.%d", i/250, i%250))
	}
	if n := l.Keys(); n > 100 {
		t.Errorf("Keys = %d after a 1000-source spray, want <= 100", n)
	}
	if err := fail(l, "", "10.0.0.1"); !errors.Is(err, authlimit.ErrLimited) {
		t.Errorf("spent source after the spray = %v, want still ErrLimited", err)
	}
}

// Refused attempts create no entry.
func TestRefusedAddsNoKey(t *testing.T) {
	l, _ := newLimiter(authlimit.Config{})
	for range 30 {
		_ = fail(l, "", "10.0.0.1")
	}
	before := l.Keys()
	for i := range 500 {
		_ = fail(l, fmt.Sprintf("agent%d", i), "10.0.0.1")
	}
	if n := l.Keys(); n != before {
		t.Errorf("Keys %d -> %d after refused attempts, want unchanged", before, n)
	}
}

func BenchmarkBegin(b *testing.B) {
	l := authlimit.New(authlimit.Config{MaxChecks: 1})
	src := ip("10.0.0.1")
	b.ReportAllocs()
	for b.Loop() {
		a, err := l.Begin("bob", src)
		if err != nil {
			b.Fatal(err)
		}
		a.Done(true)
	}
}
