package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/store"
)

// smallStream is a canonical stream of a small generated world in time
// order, its policy and replay's output ids.
func smallStream(t *testing.T, workers, days int) ([]kafka.Message, *policy.Policy, map[string]bool) {
	t.Helper()
	files, pol := genData(t, workers, days)
	lines := canonicalStream(t, files, pol)
	want := map[string]bool{}
	for _, v := range replaySingle(t, lines, pol) {
		want[parseOutput(t, []byte(v)).ID] = true
	}
	msgs := make([]kafka.Message, len(lines))
	for i, l := range lines {
		msgs[i] = kafka.Message{Value: l, Headers: []kafka.Header{{Key: "content-type", Value: []byte(events.ContentTypeCloudEventsJSON)}}}
	}
	return msgs, pol, want
}

// checkpoint returns the next offset of topic/0 in rt's store.
func checkpoint(t *testing.T, rt *Runtime, topic string) int64 {
	t.Helper()
	offs, err := rt.DB().Offsets()
	if err != nil {
		t.Fatal(err)
	}
	return offs[store.TopicPartition{Topic: topic}].Next
}

// poll calls cond until it is true, failing with what after the harness
// deadline.
func poll(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond): // polling
		}
	}
}

// TestBrokerRestart: the broker stops mid-stream and a new one starts on
// the same port with the same data: meanwhile /readyz is false; after it,
// consumption resumes where it was (no offset skipped) and the outputs are
// complete (replay's ids, no other).
func TestBrokerRestart(t *testing.T) {
	dataDir := t.TempDir()
	opts := broker.Options{Partitions: 1, Extra: []kfake.Opt{kfake.DataDir(dataDir), kfake.GroupMinSessionTimeout(100 * time.Millisecond)}}
	h := newHarnessWith(t, opts, 4*time.Minute)
	msgs, pol, want := smallStream(t, 200, 180)
	half := len(msgs) / 2
	h.produce("in", msgs[:half]...)

	cfg := h.config(t.TempDir(), Input{Topic: "in", Format: input.FormatCloudEvents})
	cfg.Outputs.EventsTopic, cfg.Outputs.AlertsTopic = "out", "out"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rt, err := New(Options{Config: cfg, Policy: pol, Listener: ln, sessionTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	defer func() { cancel(); <-done }()
	poll(t, h.ctx, "the first half applied", func() bool { return checkpoint(t, rt, "in") == int64(half) })
	poll(t, h.ctx, "ready", func() bool { return rt.Readiness().Ready })

	addr := h.addr()
	h.b.Close()
	poll(t, h.ctx, "not ready while the broker is down", func() bool {
		rd := rt.Readiness()
		return !rd.Ready && strings.Contains(rd.Reason, "kafka")
	})
	t.Logf("broker down: readiness %+v", rt.Readiness())
	resp, err := http.Get("http://" + rt.HTTPAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the broker down: status %d, want 503", resp.StatusCode)
	}

	opts.Addr = addr
	b, err := broker.Start(h.ctx, opts)
	if err != nil {
		t.Fatalf("restarting the broker on %s: %v", addr, err)
	}
	t.Cleanup(b.Close)
	h.b = b
	h.produce("in", msgs[half:]...)
	poll(t, h.ctx, "every record applied", func() bool { return checkpoint(t, rt, "in") == int64(len(msgs)) })
	poll(t, h.ctx, "ready again", func() bool { return rt.Readiness().Ready })
	poll(t, h.ctx, "outputs complete", func() bool {
		return h.lastOffsets("out", 1)[0] >= int64(len(want)) && len(checkCopiesQuiet(t, h.readAll("out", 1))) >= len(want)
	})
	checkIDs(t, checkCopies(t, h.readAll("out", 1)), want, "replay (after the broker restart)")
}

// checkCopiesQuiet returns the distinct ids of msgs.
func checkCopiesQuiet(t *testing.T, msgs []kafka.Message) map[string]bool {
	ids := map[string]bool{}
	for _, m := range msgs {
		ids[parseOutput(t, m.Value).ID] = true
	}
	return ids
}

// TestFailingDisk: when the store's writes fail, consumption stops, /readyz
// says not ready with the store failure as reason, one error line is
// logged, the process stays up until told to stop, and Run then returns
// the storage error (exit status 1).
func TestFailingDisk(t *testing.T) {
	h := newHarness(t)
	msgs, pol, _ := smallStream(t, 20, 60)
	half := len(msgs) / 2
	h.produce("in", msgs[:half]...)
	cfg := h.config(t.TempDir(), Input{Topic: "in", Format: input.FormatCloudEvents})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.InfoLevel)
	rt, err := New(Options{Config: cfg, Policy: pol, Listener: ln, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- rt.Run(ctx) }()
	poll(t, h.ctx, "the first half applied", func() bool { return checkpoint(t, rt, "in") == int64(half) })

	rt.failWrites.Store(true)
	h.produce("in", msgs[half:]...)
	poll(t, h.ctx, "not ready after the store failure", func() bool {
		return strings.Contains(rt.Readiness().Reason, "store failure")
	})
	resp, err := http.Get("http://" + rt.HTTPAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "store failure") {
		t.Errorf("/readyz after a store failure: %d %s", resp.StatusCode, body)
	}
	if n := checkpoint(t, rt, "in"); n != int64(half) {
		t.Errorf("checkpoint moved to %d after the store failed at %d", n, half)
	}
	select {
	case err := <-done:
		t.Fatalf("Run returned before SIGTERM after a store failure: %v", err)
	default:
	}
	cancel()
	err = <-done
	if !errors.Is(err, store.ErrFatal) {
		t.Errorf("Run after a store failure = %v, want a store.ErrFatal", err)
	}
	var lines []string
	for _, e := range logs.All() {
		if e.Level >= zapcore.ErrorLevel {
			lines = append(lines, e.Message)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "store write failed") || !strings.Contains(lines[0], "state_dir") {
		t.Errorf("error log lines = %q, want one saying the store write failed", lines)
	}
}

// TestSIGTERMFlushBound: a `jmlwatch run` child gets SIGTERM while Kafka
// refuses its produce requests: it exits 0 within the 5 s flush bound
// (plus start-up slack), the unpublished outputs stay in the outbox, and
// the next start publishes them.
func TestSIGTERMFlushBound(t *testing.T) {
	if testing.Short() {
		t.Skip("child process test: skipped with -short")
	}
	h := newHarnessWith(t, broker.Options{Partitions: 1, Extra: []kfake.Opt{kfake.GroupMinSessionTimeout(100 * time.Millisecond)}}, 3*time.Minute)
	msgs, _, want := smallStream(t, 100, 120)
	h.produce("in", msgs...)
	// Create the output topic, then refuse every produce to it.
	h.produce("out", kafka.Message{Value: []byte(`{"id":"marker"}`)})
	fault := h.b.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Topic: "out", Err: kerr.NotEnoughReplicas, Count: -1})

	dir := t.TempDir()
	polPath := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(polPath, []byte(gen.Policy()), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := writeRunConfig(t, dir, h.addr(), "term", polPath, []Input{{Topic: "in", Format: input.FormatCloudEvents}}, "out")
	c := startChild(t, "", cfgPath)
	addr := c.httpAddr(h.ctx)
	poll(t, h.ctx, "every record consumed", func() bool {
		n, _ := metric(addr, "jmlwatch_records_consumed_total")
		d, _ := metric(addr, "jmlwatch_outbox_depth")
		return n == float64(len(msgs)) && d > 0
	})
	start := time.Now()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(ShutdownFlush + 10*time.Second):
		t.Fatalf("no exit within %s of SIGTERM", ShutdownFlush+10*time.Second)
	}
	took := time.Since(start)
	if c.code != 0 {
		t.Fatalf("exit status %d after SIGTERM: %s", c.code, c.stderr)
	}
	if took < ShutdownFlush || took > ShutdownFlush+3*time.Second {
		t.Errorf("exited %s after SIGTERM with produce failing; want the %s flush bound (plus up to 3s)", took, ShutdownFlush)
	}
	t.Logf("exit 0 %s after SIGTERM with produce refused", took.Round(time.Millisecond))
	db, err := store.Open(filepath.Join(dir, "state"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	depth, _ := db.OutboxDepth()
	offs, _ := db.Offsets()
	db.Close()
	if depth == 0 {
		t.Errorf("outbox empty after a failed flush")
	}
	if offs[store.TopicPartition{Topic: "in"}].Next != int64(len(msgs)) {
		t.Errorf("checkpoint %d after SIGTERM, want %d (the micro-batch committed)", offs[store.TopicPartition{Topic: "in"}].Next, len(msgs))
	}

	fault.Remove()
	finishChild(t, h, "", cfgPath, func() bool {
		got := checkCopiesQuiet(t, h.readAll("out", 1))
		delete(got, "marker")
		return len(got) >= len(want)
	})
	got := checkCopies(t, h.readAll("out", 1)[1:])
	if len(got) != len(want) {
		t.Errorf("%d outputs after the restart, want %d", len(got), len(want))
	}
}

// TestStateFormatRefused: a state written in another state format (here
// format 1: a clock and no format key) is refused when the runtime is
// made, with a message naming --rebuild, before anything is consumed.
func TestStateFormatRefused(t *testing.T) {
	h := newHarness(t)
	_, pol, _ := smallStream(t, 2, 2)
	cfg := h.config(t.TempDir(), Input{Topic: "in", Format: input.FormatCloudEvents})
	db, err := store.Open(cfg.StateDir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	if err := b.Set([]byte("k"), make([]byte, 8)); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err = New(Options{Config: cfg, Policy: pol, Listener: ln}); err == nil {
		t.Fatal("New accepted a format 1 state")
	}
	if !strings.Contains(err.Error(), "state format 1") || !strings.Contains(err.Error(), "--rebuild") {
		t.Fatalf("New: %v; want the formats and --rebuild named", err)
	}
}
