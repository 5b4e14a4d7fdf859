package entra

import (
	"runtime"
	"syscall"
	"testing"
)

// cpuTimer reports the CPU time the benchmark's thread consumed per
// operation ("cpu-ns/op"). On a machine shared with other work, wall-clock
// ns/op includes the time the thread waited to be scheduled; the thread's
// own CPU time does not, so it is the figure docs/PERFORMANCE.md quotes.
type cpuTimer struct {
	b     *testing.B
	start int64
}

func startCPUTimer(b *testing.B) *cpuTimer {
	runtime.LockOSThread()
	return &cpuTimer{b: b, start: threadCPUTime()}
}

func (c *cpuTimer) stop() {
	used := threadCPUTime() - c.start
	runtime.UnlockOSThread()
	if c.b.N > 0 {
		c.b.ReportMetric(float64(used)/float64(c.b.N), "cpu-ns/op")
	}
}

// threadCPUTime returns the user+system CPU time of the calling thread.
func threadCPUTime() int64 {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
