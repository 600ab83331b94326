package loadgen

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat
// (100 on every Linux architecture Go supports without cgo tricks).
const clockTicks = 100

// procSample is one reading of a process's CPU time and memory.
type procSample struct {
	Ticks  int64 // utime + stime, in 1/clockTicks s
	RSSKiB int64 // VmRSS
}

// readProc reads /proc/<pid>/stat and /proc/<pid>/status.
func readProc(pid int) (procSample, error) {
	var s procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// The command name may hold spaces: fields start after the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: malformed", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: short", pid)
	}
	// After ')': state(0) ... utime is field 14 overall, index 11 here.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	s.Ticks = ut + st
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb := strings.Fields(v)
			if len(kb) > 0 {
				s.RSSKiB, _ = strconv.ParseInt(kb[0], 10, 64)
			}
		}
	}
	return s, nil
}

// findUDPOwner returns the pid of the process that has a UDP socket bound
// to addr's port (on addr or on the wildcard address), or 0.
func findUDPOwner(addr netip.AddrPort) int {
	inodes := map[string]bool{}
	for _, tab := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		data, err := os.ReadFile(tab)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 {
				continue
			}
			_, port, ok := strings.Cut(f[1], ":")
			if !ok {
				continue
			}
			p, err := strconv.ParseUint(port, 16, 16)
			if err != nil || uint16(p) != addr.Port() {
				continue
			}
			inodes[f[9]] = true
		}
	}
	if len(inodes) == 0 {
		return 0
	}
	self := os.Getpid()
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		link, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(link, "socket:[") {
			continue
		}
		if inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			pid, err := strconv.Atoi(strings.Split(fd, "/")[2])
			if err == nil && pid != self {
				return pid
			}
		}
	}
	return 0
}
