package framework

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU accounting for measurements. On a shared 2-core machine a tool's wall
// time says little by itself: it waits for an API server that competes for
// the same cores with the tool, with the cluster's other components, and
// with whatever else runs there. How much CPU each of them used, and how
// busy the cores were, tells whether the tool or the machine was the limit.

// clockTick is the unit of /proc CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// CPUTime returns the CPU time (user + system) the cluster's components have
// used so far: etcd, apiserver, controller manager, scheduler, kwok. A
// component that has exited no longer counts. Differences of two calls are
// what the cluster used in between.
func (c *Cluster) CPUTime() time.Duration {
	var sum time.Duration
	for _, pid := range c.PIDs() {
		sum += ProcessCPUTime(pid)
	}
	return sum
}

// ProcessCPUTime returns the CPU time (user + system) of process pid so far,
// 0 if it cannot be read (gone, or not Linux).
func ProcessCPUTime(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, field 2, may hold blanks: fields are counted after
	// its closing parenthesis. utime and stime are fields 14 and 15.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// SelfCPUTime returns the CPU time (user + system) of this process so far.
func SelfCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// MachineCPU is a reading of the machine-wide CPU counters (/proc/stat).
type MachineCPU struct {
	busy, total time.Duration // summed over all cores
}

// ReadMachineCPU reads the machine-wide CPU counters; the zero value if
// they cannot be read.
func ReadMachineCPU() MachineCPU {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return MachineCPU{}
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return MachineCPU{}
	}
	var m MachineCPU
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		d := time.Duration(n) * clockTick
		// user nice system idle iowait irq softirq steal [guest guest_nice]:
		// guest time is already in user, idle and iowait are not busy.
		switch i {
		case 3, 4:
			m.total += d
		case 8, 9:
		default:
			m.busy += d
			m.total += d
		}
	}
	return m
}

// BusySince returns the fraction of all cores' time that was busy between
// an earlier reading and m (0 … 1), and the busy CPU time itself.
func (m MachineCPU) BusySince(earlier MachineCPU) (float64, time.Duration) {
	busy, total := m.busy-earlier.busy, m.total-earlier.total
	if total <= 0 {
		return 0, 0
	}
	return float64(busy) / float64(total), busy
}
