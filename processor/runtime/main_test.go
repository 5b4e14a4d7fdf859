package runtime

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/jmlwatch/jmlwatch/processor/policy"
)

// childEnv, when set in the environment, makes the test binary run as a
// `jmlwatch run` child process instead of running tests: its value is the
// config file. Crash and SIGTERM tests re-execute the test binary this way,
// so the child is the real daemon (config file, policy file, signals, exit
// status) without a separate go build.
const (
	childEnv        = "JMLWATCH_RUNTIME_CHILD_CONFIG"
	childSessionEnv = "JMLWATCH_RUNTIME_CHILD_SESSION_MS"
	childDebugEnv   = "JMLWATCH_RUNTIME_CHILD_DEBUG"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(childMain(path))
	}
	os.Exit(m.Run())
}

// childMain is what cmd/jmlwatch's run command does, plus a line on
// stdout giving the HTTP address ("http=127.0.0.1:PORT") for the parent.
// It returns the exit status: 0 after SIGTERM, 1 on a runtime failure,
// 2 for a bad config or policy.
func childMain(path string) int {
	cfg, err := LoadConfig(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	pol, err := policy.Load(cfg.Policy)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	zc := zap.NewProductionConfig()
	zc.OutputPaths = []string{"stderr"}
	zc.ErrorOutputPaths = []string{"stderr"}
	zc.Level = zap.NewAtomicLevelAt(zap.WarnLevel)
	if os.Getenv(childDebugEnv) != "" {
		zc.Level = zap.NewAtomicLevelAt(zap.DebugLevel)
	}
	log, err := zc.Build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	opts := Options{Config: cfg, Policy: pol, Logger: log}
	if ms, err := strconv.Atoi(os.Getenv(childSessionEnv)); err == nil && ms > 0 {
		opts.sessionTimeout = time.Duration(ms) * time.Millisecond
	}
	rt, err := New(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("http=%s\n", rt.HTTPAddr())
	if err := rt.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
