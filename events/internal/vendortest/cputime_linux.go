package vendortest

import (
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

// CPUTimer reports the CPU time the benchmark's thread consumed per
// operation ("cpu-ns/op"). On a machine shared with other work, wall-clock
// ns/op includes the time the thread waited to be scheduled; the thread's
// own CPU time does not, so it is the figure docs/PERFORMANCE.md quotes.
type CPUTimer struct {
	b     *testing.B
	start int64
}

// StartCPUTimer locks the goroutine to its thread and starts counting the
// thread's CPU time; Stop reports it.
func StartCPUTimer(b *testing.B) *CPUTimer {
	runtime.LockOSThread()
	return &CPUTimer{b: b, start: threadCPUTime()}
}

// Stop unlocks the thread and reports the CPU time used per operation.
func (c *CPUTimer) Stop() {
	used := threadCPUTime() - c.start
	runtime.UnlockOSThread()
	if c.b.N > 0 {
		c.b.ReportMetric(float64(used)/float64(c.b.N), "cpu-ns/op")
	}
}

// threadCPUTime returns the CPU time of the calling thread in nanoseconds
// (clock_gettime(CLOCK_THREAD_CPUTIME_ID), which unlike getrusage is not
// rounded to scheduler ticks).
func threadCPUTime() int64 {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0
	}
	return ts.Nano()
}
