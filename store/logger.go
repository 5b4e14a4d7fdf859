package store

import (
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// Logger receives Pebble's log lines. *zap.SugaredLogger satisfies it.
// Implementations must be safe for concurrent use.
type Logger interface {
	Infof(format string, args ...any)
	Errorf(format string, args ...any)
}

// stderrLogger is the default Logger: it drops informational lines and
// writes errors to w.
type stderrLogger struct{ w io.Writer }

func (l stderrLogger) Infof(string, ...any) {}

func (l stderrLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(l.w, "store: "+format+"\n", args...)
}

func defaultLogger() Logger { return stderrLogger{w: os.Stderr} }

// pebbleLogger adapts a Logger to pebble.Logger. Fatalf does not exit:
// it records the failure and panics with fatalPanic, which the DB's
// methods recover into an ErrFatal error.
type pebbleLogger struct {
	l      Logger
	failed *atomic.Pointer[error]
}

var _ pebble.Logger = pebbleLogger{}

func (p pebbleLogger) Infof(format string, args ...any)  { p.l.Infof(format, args...) }
func (p pebbleLogger) Errorf(format string, args ...any) { p.l.Errorf(format, args...) }

func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Errorf("fatal: %s", msg)
	err := fatal("pebble", fmt.Errorf("%s", msg))
	p.failed.CompareAndSwap(nil, &err)
	panic(fatalPanic{msg: msg})
}

// eventListener logs the Pebble events an operator needs to see: failing
// background work and a slow or stalled disk.
func eventListener(l Logger) *pebble.EventListener {
	return &pebble.EventListener{
		BackgroundError: func(err error) { l.Errorf("pebble background error: %v", err) },
		DiskSlow: func(info pebble.DiskSlowInfo) {
			l.Errorf("pebble: disk slow: %s", info)
		},
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			l.Infof("pebble: write stall: %s", info)
		},
		WriteStallEnd: func() { l.Infof("pebble: write stall ended") },
	}
}
