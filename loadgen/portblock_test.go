package loadgen

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"
)

// TestPortBlocks: two targets running at once (here two holders in one
// process, each with its own open file, as two sbload processes have)
// never get the same media range; a released block is handed out again;
// a block holding a control port is skipped; with every block held the
// answer is an error, not a shared range.
func TestPortBlocks(t *testing.T) {
	dir := t.TempDir()
	a, err := lockPortBlockIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := lockPortBlockIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.lo == b.lo || b.lo <= a.hi && a.lo <= b.hi {
		t.Fatalf("overlapping blocks %d-%d and %d-%d", a.lo, a.hi, b.lo, b.hi)
	}
	if a.hi-a.lo+1 != portBlockSize || a.lo%2 != 0 {
		t.Errorf("block %d-%d: want %d ports from an even port", a.lo, a.hi, portBlockSize)
	}
	a.release()
	c, err := lockPortBlockIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.lo != a.lo {
		t.Errorf("after release got %d-%d, want the released %d-%d", c.lo, c.hi, a.lo, a.hi)
	}
	d, err := lockPortBlockIn(dir, portBlockBase+2*portBlockSize+7) // block 2 holds a control port
	if err != nil {
		t.Fatal(err)
	}
	if d.lo != portBlockBase+3*portBlockSize {
		t.Errorf("with a control port in block 2 got %d-%d, want block 3", d.lo, d.hi)
	}
	held := []*portBlock{b, c, d}
	for {
		p, err := lockPortBlockIn(dir)
		if errors.Is(err, errNoPortBlock) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, p)
		if len(held) > portBlockCount {
			t.Fatalf("%d blocks handed out, only %d exist", len(held), portBlockCount)
		}
	}
	if len(held) != portBlockCount {
		t.Errorf("%d blocks before exhaustion, want %d", len(held), portBlockCount)
	}
	for _, p := range held {
		p.release()
	}
}

// TestPortBlockAcrossProcesses: a block locked by another process (a
// second sbload) is not handed out here, and is free again once that
// process exits.
func TestPortBlockAcrossProcesses(t *testing.T) {
	if os.Getenv("SBLOAD_PORTBLOCK_CHILD") != "" {
		b, err := lockPortBlockIn(os.Getenv("SBLOAD_PORTBLOCK_CHILD"))
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString(strconv.Itoa(b.lo) + "\n")
		_, _ = os.Stdin.Read(make([]byte, 1)) // hold until the parent closes stdin
		os.Exit(0)
	}
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run", "^TestPortBlockAcrossProcesses$")
	child.Env = append(os.Environ(), "SBLOAD_PORTBLOCK_CHILD="+dir)
	in, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	childLo, err := strconv.Atoi(string(buf[:n-1]))
	if err != nil {
		t.Fatalf("child said %q", buf[:n])
	}
	mine, err := lockPortBlockIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	if mine.lo == childLo {
		t.Fatalf("both processes got the block from %d", childLo)
	}
	mine.release()
	in.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("child: %v", err)
	}
	again, err := lockPortBlockIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer again.release()
	if again.lo != childLo {
		t.Errorf("after the other process exited got %d, want its block %d", again.lo, childLo)
	}
}
