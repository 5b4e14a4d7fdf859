package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/replay"
	"github.com/jmlwatch/jmlwatch/store"
)

// Crash test sizes. The default `go test` runs the real thing (>= 20 kills
// over >= 20k events); JMLWATCH_CRASH_KILLS raises the kill count.
const (
	crashMinKills  = 20
	crashMinEvents = 20_000
)

func crashKills() int {
	if v := os.Getenv("JMLWATCH_CRASH_KILLS"); v != "" {
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil && n > crashMinKills {
			return n
		}
	}
	return crashMinKills
}

// newCrashHarness starts `bin broker` (the development broker, kfake) as
// a child process with partitions partitions per topic: outside the test
// process, so that it runs at full speed when the tests run under the race
// detector, and so that the daemon's children and the broker do not
// compete with the test's own bookkeeping.
func newCrashHarness(t *testing.T, bin string, partitions int) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	t.Cleanup(cancel)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "broker", "--addr", addr, "--partitions", strconv.Itoa(partitions))
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	for !strings.Contains(out.String(), "listening on") {
		select {
		case <-exited:
			t.Fatalf("jmlwatch broker exited: %s", out)
		case <-ctx.Done():
			t.Fatal("jmlwatch broker never listened")
		case <-time.After(5 * time.Millisecond): // polling
		}
	}
	return &harness{t: t, ctx: ctx, ext: addr}
}

// outputID is what the crash tests compare of an output.
type outputID struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		CaseID string `json:"case_id"`
		StepID string `json:"step_id"`
	} `json:"data"`
}

func parseOutput(t *testing.T, v []byte) outputID {
	t.Helper()
	var o outputID
	if err := json.Unmarshal(v, &o); err != nil || o.ID == "" {
		t.Fatalf("output is not a structured CloudEvent: %v: %s", err, v)
	}
	return o
}

// checkCopies fails if two records with one id differ (a repeat must be
// the same output), or if one trigger has two case.opened or one step two
// step.completed (an input applied twice). It returns the ids.
func checkCopies(t *testing.T, msgs []kafka.Message) map[string]bool {
	t.Helper()
	byID := map[string][]byte{}
	opened := map[string]string{}
	completed := map[string]string{}
	repeats := 0
	for _, m := range msgs {
		o := parseOutput(t, m.Value)
		if prev, ok := byID[o.ID]; ok {
			repeats++
			if !bytes.Equal(prev, m.Value) {
				t.Errorf("two different outputs with id %s:\n%s\n%s", o.ID, prev, m.Value)
			}
			continue
		}
		byID[o.ID] = m.Value
		switch o.Type {
		case "io.jmlwatch.case.opened":
			if id, ok := opened[o.Data.CaseID]; ok && id != o.ID {
				t.Errorf("case %s opened twice (%s, %s)", o.Data.CaseID, id, o.ID)
			}
			opened[o.Data.CaseID] = o.ID
		case "io.jmlwatch.step.completed":
			k := o.Data.CaseID + " " + o.Data.StepID
			if id, ok := completed[k]; ok && id != o.ID {
				t.Errorf("step %s completed twice (%s, %s)", k, id, o.ID)
			}
			completed[k] = o.ID
		}
	}
	t.Logf("%d output records, %d distinct ids, %d repeats (published again after a kill between ack and outbox deletion)", len(msgs), len(byID), repeats)
	ids := map[string]bool{}
	for id := range byID {
		ids[id] = true
	}
	return ids
}

// crashStats are the counts a crash run reports.
type crashStats struct {
	kills, midStream, early int
}

// crashLoop starts `bin run` (bin "": the re-executed test binary) on the
// config cfg(i) for the i-th child, all on one state_dir, and SIGKILLs it
// at random instants, at least kills times: a quarter of the kills at a
// random instant within 400 ms of the start (store open, group join,
// first batches), the rest once the child has read a random number of
// records (up to total/(4*kills)), or has nothing left to read. finished reports whether the outputs are complete, to count the
// kills that hit a stream in progress.
func crashLoop(t *testing.T, h *harness, bin string, cfg func(i int) string, kills, total int, rng *rand.Rand, finished func() bool) crashStats {
	t.Helper()
	var st crashStats
	// A child reads thousands of records a second and a kill lands a few
	// milliseconds after the target is seen, so the targets are small:
	// the kills must spread over the stream, not exhaust it.
	share := max(2, total/(4*kills))
	for st.kills < kills {
		c := startChild(t, bin, cfg(st.kills))
		if rng.IntN(4) == 0 {
			d := time.Duration(rng.IntN(400)) * time.Millisecond
			select {
			case <-time.After(d): // a random kill instant, not synchronisation
			case <-c.exited:
				t.Fatalf("child exited by itself (status %d): %s", c.code, c.stderr)
			}
			if !c.serving() {
				st.early++
			}
		} else {
			addr := c.httpAddr(h.ctx)
			if addr == "" {
				t.Fatalf("child exited before serving (status %d): %s", c.code, c.stderr)
			}
			target := float64(1 + rng.IntN(share))
			deadline := time.Now().Add(30 * time.Second)
			for {
				body, ok := metricsText(addr)
				if ok && sumMetric(body, "jmlwatch_records_consumed_total") >= target {
					break
				}
				if ok && strings.Contains(body, "jmlwatch_consumer_lag{") && sumMetric(body, "jmlwatch_consumer_lag") == 0 {
					break // nothing left to read: kill it idle
				}
				if time.Now().After(deadline) {
					t.Logf("child read fewer than %v records in 30s", target)
					break
				}
				select {
				case <-c.exited:
					t.Fatalf("child exited by itself (status %d): %s", c.code, c.stderr)
				case <-time.After(time.Millisecond): // polling
				}
			}
		}
		n, _ := metric(c.http, "jmlwatch_records_consumed_total")
		c.kill()
		t.Logf("kill %d after %s, %v records read", st.kills, time.Since(c.started).Round(time.Millisecond), n)
		st.kills++
		if !finished() {
			st.midStream++
		}
	}
	return st
}

// finishChild runs a last child until done reports true, then SIGTERMs it
// and checks that it exits 0 within the flush bound.
func finishChild(t *testing.T, h *harness, bin, cfgPath string, done func() bool) {
	t.Helper()
	c := startChild(t, bin, cfgPath)
	for !done() {
		select {
		case <-c.exited:
			t.Fatalf("last child exited by itself (status %d): %s", c.code, c.stderr)
		case <-h.ctx.Done():
			t.Fatalf("outputs never complete: %s", c.stderr)
		case <-time.After(20 * time.Millisecond): // polling
		}
	}
	start := time.Now()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(ShutdownFlush + 5*time.Second):
		t.Fatalf("child did not exit within %s of SIGTERM", ShutdownFlush+5*time.Second)
	}
	if c.code != 0 {
		t.Fatalf("exit status %d after SIGTERM: %s", c.code, c.stderr)
	}
	t.Logf("last child exited 0, %s after SIGTERM", time.Since(start).Round(time.Millisecond))
}

// crashGroups returns the config of the i-th child of a crash run with
// jmlwatch built as bin: a new consumer group for each killed child but
// the last, which shares "crash-final" with the last child, so that the
// crash runs do not wait 20 times for a killed member's 10 s session to
// expire, yet one restart in the same group after a SIGKILL is covered.
// With the re-executed test binary (2 s sessions) all share "crash".
func crashGroups(t *testing.T, h *harness, dir, bin, policyPath string, inputs []Input, kills int) (cfg func(i int) string, final string) {
	t.Helper()
	if bin == "" {
		p := writeRunConfig(t, dir, h.addr(), "crash", policyPath, inputs, "out")
		return func(int) string { return p }, p
	}
	final = writeRunConfig(t, dir, h.addr(), "crash-final", policyPath, inputs, "out")
	return func(i int) string {
		if i >= kills-1 {
			return final
		}
		return writeRunConfig(t, dir, h.addr(), fmt.Sprintf("crash-%d", i), policyPath, inputs, "out")
	}, final
}

// checkStore opens the state dir after the last child and checks that the
// outbox is empty (every entry written was published: entries are only
// deleted after Kafka's ack) and that the checkpoint is at the end of
// every partition.
func checkStore(t *testing.T, dir string, want map[store.TopicPartition]int64) {
	t.Helper()
	db, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if d, err := db.OutboxDepth(); err != nil || d != 0 {
		t.Errorf("outbox depth after the last child = %d, %v; want 0", d, err)
	}
	offs, err := db.Offsets()
	if err != nil {
		t.Fatal(err)
	}
	for tp, next := range want {
		if offs[tp].Next != next {
			t.Errorf("checkpoint of %v = %d, want %d", tp, offs[tp].Next, next)
		}
	}
}

// canonicalStream turns a generated world into one canonical CloudEvents
// stream in time order (ties: replay's file order): vendor records become
// the canonical events they map to, skipped and rejected records are
// dropped.
func canonicalStream(t *testing.T, files map[gen.File][][]byte, pol *policy.Policy) [][]byte {
	t.Helper()
	type ev struct {
		at   time.Time
		file int
		line []byte
	}
	var evs []ev
	for fi, f := range gen.Files() {
		for _, l := range files[f] {
			for _, it := range decodeLine(f.Format(), l, pol.Aliases) {
				if it.Event == nil {
					continue
				}
				b, err := events.EncodeInput(it.Event)
				if err != nil {
					t.Fatal(err)
				}
				evs = append(evs, ev{it.Event.Time, fi, b})
			}
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.file - b.file
	})
	out := make([][]byte, len(evs))
	for i, e := range evs {
		out[i] = e.line
	}
	return out
}

// TestCrashSinglePartition: `jmlwatch run` with clock: event on one
// single-partition topic, SIGKILLed at random instants at least 20 times
// while it processes over 20k events and restarted each time on the same
// state_dir, publishes exactly the ids replay emits for the same input:
// none missing, no other; repeats are identical copies.
func TestCrashSinglePartition(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	bin := buildJmlwatch(t)
	h := newCrashHarness(t, bin, 1)
	t0 := time.Now()
	files := genFiles(t, h.ctx, gen.Config{Workers: 2500, Days: 365, Seed: 11, NoisePerRecord: -1})
	pol := genPolicy(t)
	t.Logf("generated in %s", time.Since(t0).Round(time.Millisecond))
	lines := canonicalStream(t, files, pol)
	t.Logf("canonical in %s", time.Since(t0).Round(time.Millisecond))
	if len(lines) < crashMinEvents {
		t.Fatalf("only %d events: want at least %d", len(lines), crashMinEvents)
	}
	want := replayBinary(t, bin, lines)
	wantIDs := map[string]bool{}
	for _, v := range want {
		wantIDs[parseOutput(t, []byte(v)).ID] = true
	}
	t.Logf("%d input events, replay emits %d outputs (%d ids), in %s", len(lines), len(want), len(wantIDs), time.Since(t0).Round(time.Millisecond))

	msgs := make([]kafka.Message, len(lines))
	for i, l := range lines {
		msgs[i] = kafka.Message{Value: l, Headers: []kafka.Header{{Key: "content-type", Value: []byte(events.ContentTypeCloudEventsJSON)}}}
	}
	h.produce("in", msgs...)

	dir := t.TempDir()
	polPath := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(polPath, []byte(gen.Policy()), 0o600); err != nil {
		t.Fatal(err)
	}
	kills := crashKills()
	cfg, final := crashGroups(t, h, dir, bin, polPath, []Input{{Topic: "in", Format: input.FormatCloudEvents}}, kills)
	complete := func() bool {
		if h.lastOffsets("out", 1)[0] < int64(len(want)) {
			return false
		}
		got := map[string]bool{}
		for _, m := range h.readAll("out", 1) {
			got[parseOutput(t, m.Value).ID] = true
		}
		for id := range wantIDs {
			if !got[id] {
				return false
			}
		}
		return true
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill seed %d", seed)
	st := crashLoop(t, h, bin, cfg, kills, len(lines), rand.New(rand.NewPCG(seed, 1)), complete)
	t.Logf("%d SIGKILLs (%d before the child served HTTP), %d of them with outputs still incomplete", st.kills, st.early, st.midStream)
	if st.midStream < crashMinKills {
		t.Errorf("only %d kills hit the stream in progress, want at least %d", st.midStream, crashMinKills)
	}
	finishChild(t, h, bin, final, complete)

	checkIDs(t, checkCopies(t, h.readAll("out", 1)), wantIDs, "the uninterrupted run")
	if dl := h.lastOffsets("out.dlq", 1)[0]; dl != 0 {
		t.Errorf("%d dead letters, want none", dl)
	}
	checkStore(t, filepath.Join(dir, "state"), map[store.TopicPartition]int64{{Topic: "in", Partition: 0}: int64(len(lines))})
}

// replayBinary runs `bin replay` over one canonical input and returns its
// outputs, structured, in emission order.
func replayBinary(t *testing.T, bin string, lines [][]byte) []string {
	t.Helper()
	dir := t.TempDir()
	in, out, pol := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(in, append(bytes.Join(lines, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pol, []byte(gen.Policy()), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if b, err := exec.Command(bin, "replay", "--policy", pol, "--input", in, "--output", out).CombinedOutput(); err != nil {
		t.Fatalf("jmlwatch replay: %v\n%s", err, b)
	}
	t.Logf("jmlwatch replay of %d events took %s", len(lines), time.Since(start).Round(time.Millisecond))
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// replaySingle runs replay over one canonical input and returns its
// outputs, structured, in emission order.
func replaySingle(t *testing.T, lines [][]byte, pol *policy.Policy) []string {
	t.Helper()
	return replayOutputsOf(t, []replay.Source{&lineSource{name: "in", format: input.FormatCloudEvents, lines: lines}}, pol)
}

// syntheticWorkers builds a canonical stream of workers, each with a
// joiner, its two accounts (one of them, for every fifth worker, created
// after the joiner deadline: a breach first), session noise, a leaver and
// the two revocations, keyed by worker so that each worker's events keep
// their order within one partition. Workers start ten minutes apart, so
// the stream is in time order.
func syntheticWorkers(n int) (msgs []kafka.Message, policyYAML string) {
	base := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	ce := func(id, typ string, at time.Time, data string) []byte {
		return fmt.Appendf(nil, `{"specversion":"1.0","id":%q,"source":"synthetic","type":%q,"time":%q,"datacontenttype":"application/json","data":%s}`,
			id, typ, at.Format(time.RFC3339), data)
	}
	type ev struct {
		at  time.Time
		key string
		v   []byte
	}
	var evs []ev
	for w := range n {
		wid := fmt.Sprintf("w%05d", w)
		t0 := base.Add(time.Duration(w) * 10 * time.Minute)
		add := func(id, typ string, at time.Time, data string) {
			evs = append(evs, ev{at, wid, ce(wid+"-"+id, typ, at, data)})
		}
		add("join", "io.jmlwatch.hr.joiner", t0, fmt.Sprintf(`{"worker_id":%q,"email":"%s@example.com","effective_at":%q}`, wid, wid, t0.Format(time.RFC3339)))
		add("okta", "io.jmlwatch.account.created", t0.Add(time.Hour), fmt.Sprintf(`{"system":"okta","account_id":"o-%s","worker_id":%q}`, wid, wid))
		late := 2 * time.Hour
		if w%5 == 0 {
			late = 30 * time.Hour
		}
		add("gh", "io.jmlwatch.account.created", t0.Add(late), fmt.Sprintf(`{"system":"github","account_id":"g-%s","worker_id":%q}`, wid, wid))
		for i := range 4 {
			add(fmt.Sprintf("sess%d", i), "io.jmlwatch.sessions.revoked", t0.Add(time.Duration(40+i)*time.Hour), fmt.Sprintf(`{"system":"okta","account_id":"o-%s","worker_id":%q}`, wid, wid))
		}
		tl := t0.Add(10 * 24 * time.Hour)
		add("leave", "io.jmlwatch.hr.leaver", tl, fmt.Sprintf(`{"worker_id":%q,"effective_at":%q,"reason":"voluntary"}`, wid, tl.Format(time.RFC3339)))
		add("okta-off", "io.jmlwatch.account.disabled", tl.Add(time.Hour), fmt.Sprintf(`{"system":"okta","account_id":"o-%s","worker_id":%q}`, wid, wid))
		add("gh-off", "io.jmlwatch.account.deleted", tl.Add(2*time.Hour), fmt.Sprintf(`{"system":"github","account_id":"g-%s","worker_id":%q}`, wid, wid))
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return a.at.Compare(b.at) })
	for _, e := range evs {
		msgs = append(msgs, kafka.Message{Key: []byte(e.key), Value: e.v,
			Headers: []kafka.Header{{Key: "content-type", Value: []byte(events.ContentTypeCloudEventsJSON)}}})
	}
	return msgs, `systems: {okta: {tier: standard}, github: {tier: standard}}
joiner: {systems: [okta, github]}
leaver: {systems: [okta]}
slas:
  - {kind: joiner, deadline: 24h}
  - {kind: mover, deadline: 72h}
  - {kind: leaver, deadline: 24h}
  - {kind: nhi, deadline: 168h}
`
}

// TestCrashPartitioned: with an input topic of four partitions, SIGKILLed
// at least 20 times over 80k events: every outbox entry is published
// (the outbox is empty at the end and the outputs are those of an
// uninterrupted run), no input is applied twice (no second case.opened
// for a trigger, no second step.completed for a step, repeats identical).
func TestCrashPartitioned(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped with -short")
	}
	const parts = 4
	bin := buildJmlwatch(t)
	h := newCrashHarness(t, bin, parts)
	// 80k events: a child now reads several thousand records between the
	// moment the kill target is seen and the kill, so with 20k the stream
	// ran out before 20 kills had hit it.
	msgs, polYAML := syntheticWorkers(8000)
	if len(msgs) < crashMinEvents {
		t.Fatalf("only %d events", len(msgs))
	}
	if _, err := policy.Parse([]byte(polYAML), "synthetic.yaml"); err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(h.addr()), Topic: "in", Balancer: &kafka.Murmur2Balancer{Consistent: true},
		BatchTimeout: time.Millisecond, BatchSize: 10000, RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true}
	if err := w.WriteMessages(h.ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()
	inLast := h.lastOffsets("in", parts)
	wantOffsets := map[store.TopicPartition]int64{}
	for p, n := range inLast {
		if n == 0 {
			t.Fatalf("partition %d got no input: the test would not test several partitions", p)
		}
		wantOffsets[store.TopicPartition{Topic: "in", Partition: p}] = n
	}

	// The uninterrupted run, to its own output topic.
	polPath := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(polPath, []byte(polYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	inputs := []Input{{Topic: "in", Format: input.FormatCloudEvents}}
	ref := startChild(t, bin, writeRunConfig(t, t.TempDir(), h.addr(), "reference", polPath, inputs, "ref"))
	refAddr := ref.httpAddr(h.ctx)
	poll(t, h.ctx, "the uninterrupted run to read everything", func() bool {
		n, _ := metric(refAddr, "jmlwatch_records_consumed_total")
		return n == float64(len(msgs))
	})
	_ = ref.cmd.Process.Signal(syscall.SIGTERM)
	<-ref.exited
	if ref.code != 0 {
		t.Fatalf("uninterrupted run: exit status %d: %s", ref.code, ref.stderr)
	}
	wantIDs := checkCopies(t, h.readAll("ref", parts))
	t.Logf("%d input events over %d partitions (%v), the uninterrupted run emits %d ids", len(msgs), parts, inLast, len(wantIDs))

	dir := t.TempDir()
	kills := crashKills()
	cfg, final := crashGroups(t, h, dir, bin, polPath, inputs, kills)
	count := func() int64 {
		var n int64
		for _, x := range h.lastOffsets("out", parts) {
			n += x
		}
		return n
	}
	complete := func() bool {
		if count() < int64(len(wantIDs)) {
			return false
		}
		got := map[string]bool{}
		for _, m := range h.readAll("out", parts) {
			got[parseOutput(t, m.Value).ID] = true
		}
		return len(got) >= len(wantIDs)
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("kill seed %d", seed)
	st := crashLoop(t, h, bin, cfg, kills, len(msgs), rand.New(rand.NewPCG(seed, 2)), complete)
	t.Logf("%d SIGKILLs (%d before the child served HTTP), %d of them with outputs still incomplete", st.kills, st.early, st.midStream)
	if st.midStream < crashMinKills {
		t.Errorf("only %d kills hit the stream in progress, want at least %d", st.midStream, crashMinKills)
	}
	finishChild(t, h, bin, final, complete)
	checkIDs(t, checkCopies(t, h.readAll("out", parts)), wantIDs, "the uninterrupted run")
	checkStore(t, filepath.Join(dir, "state"), wantOffsets)
}

// checkIDs fails t unless the published ids got are exactly the ids want
// of the reference (what names it), naming up to five missing and five
// foreign ids.
func checkIDs(t *testing.T, got, want map[string]bool, what string) {
	t.Helper()
	var missing, extra []string
	for id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	for id := range got {
		if !want[id] {
			extra = append(extra, id)
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("%d outputs of %s missing (%s), %d others (%s)", len(missing), what, strings.Join(first(missing, 5), " "), len(extra), strings.Join(first(extra, 5), " "))
	}
}

func first(s []string, n int) []string { return s[:min(n, len(s))] }
