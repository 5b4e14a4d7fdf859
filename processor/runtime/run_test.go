package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/replay"
)

// harness is an in-process broker plus helpers to produce and read topics.
type harness struct {
	t   *testing.T
	ctx context.Context
	b   *broker.Broker
	// dialer and transport, when set, carry TLS and SASL for the test's
	// own clients.
	dialer    *kafka.Dialer
	transport *kafka.Transport
	// ext, when set, is the address of a broker in a child process
	// (startExternalBroker); b is then nil.
	ext string
}

// addr returns the broker's bootstrap address.
func (h *harness) addr() string {
	if h.ext != "" {
		return h.ext
	}
	return h.b.Addr()
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, broker.Options{Partitions: 1}, 2*time.Minute)
}

// newHarnessWith starts a broker with opts; the harness context ends after
// timeout.
func newHarnessWith(t *testing.T, opts broker.Options, timeout time.Duration) *harness {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	b, err := broker.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return &harness{t: t, ctx: ctx, b: b}
}

func (h *harness) produce(topic string, msgs ...kafka.Message) {
	h.t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(h.addr()), Topic: topic, AllowAutoTopicCreation: true,
		BatchTimeout: time.Millisecond, BatchSize: 10000, RequiredAcks: kafka.RequireAll}
	if h.transport != nil {
		w.Transport = h.transport
	}
	defer w.Close()
	for {
		err := w.WriteMessages(h.ctx, msgs...)
		if err == nil {
			return
		}
		if h.ctx.Err() != nil || !errors.Is(err, kafka.UnknownTopicOrPartition) && !strings.Contains(err.Error(), "Leader Not Available") {
			h.t.Fatalf("producing to %s: %v", topic, err)
		}
	}
}

// read reads topic partition 0 until it holds n records (polling).
func (h *harness) read(topic string, n int) []kafka.Message {
	h.t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{h.addr()}, Topic: topic, Partition: 0, MaxWait: 50 * time.Millisecond})
	defer r.Close()
	var out []kafka.Message
	for len(out) < n {
		m, err := r.ReadMessage(h.ctx)
		if err != nil {
			h.t.Fatalf("reading %s: got %d of %d records: %v", topic, len(out), n, err)
		}
		out = append(out, m)
	}
	return out
}

// start runs a Runtime in the background; stop cancels it and waits.
func (h *harness) start(cfg *Config, pol *policy.Policy, rebuild bool) (rt *Runtime, stop func() error) {
	h.t.Helper()
	rt, stop, _ = h.startDone(cfg, pol, rebuild)
	return rt, stop
}

// startDone is start also returning the channel Run's result arrives on.
func (h *harness) startDone(cfg *Config, pol *policy.Policy, rebuild bool) (rt *Runtime, stop func() error, done <-chan error) {
	h.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	rt, err = New(Options{Config: cfg, Policy: pol, Listener: ln, Rebuild: rebuild})
	if err != nil {
		ln.Close()
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(h.ctx)
	ch := make(chan error, 1)
	var result error
	finished := make(chan struct{})
	go func() { result = rt.Run(ctx); ch <- result; close(finished) }()
	return rt, func() error { cancel(); <-finished; return result }, ch
}

func (h *harness) config(stateDir string, inputs ...Input) *Config {
	c := Defaults()
	c.Brokers = []string{h.addr()}
	c.StateDir = stateDir
	c.Inputs = inputs
	c.Clock = ClockEvent
	c.MaxIdle = 10 * time.Second // everything is produced before the start
	c.Outputs.AlertsTopic = c.Outputs.EventsTopic
	c.Outputs.Mode = ModeStructured
	return c
}

// waitReady polls /readyz until it reports role.
func waitRole(t *testing.T, ctx context.Context, rt *Runtime, role string) {
	t.Helper()
	for {
		resp, err := http.Get("http://" + rt.HTTPAddr() + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(body), `"role":"`+role+`"`) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("role never became %s (last: %v)", role, rt.Readiness())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// genData generates a small world (seed 7, one noise record per
// lifecycle record): the lines of each file in order, and gen's policy.
func genData(t *testing.T, workers, days int) (map[gen.File][][]byte, *policy.Policy) {
	t.Helper()
	return genFiles(t, context.Background(), gen.Config{Workers: workers, Days: days, Seed: 7, NoisePerRecord: 1}), genPolicy(t)
}

// genFiles generates the world cfg describes: the lines of each file in
// order.
func genFiles(tb testing.TB, ctx context.Context, cfg gen.Config) map[gen.File][][]byte {
	tb.Helper()
	files := map[gen.File][][]byte{}
	_, err := gen.Generate(ctx, cfg, func(f gen.File, _ time.Time, line []byte) error {
		files[f] = append(files[f], bytes.Clone(line))
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

// genPolicy is the policy gen's worlds are written for.
func genPolicy(tb testing.TB) *policy.Policy {
	tb.Helper()
	pol, err := policy.Parse([]byte(gen.Policy()), "gen-policy.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	return pol
}

// lineSource is a replay.Source over the lines of one generated file.
type lineSource struct {
	name    string
	format  input.Format
	aliases map[string]string
	lines   [][]byte
	pending []replay.Record
	line    int
}

func (s *lineSource) Next() (replay.Record, error) {
	for len(s.pending) == 0 {
		if s.line >= len(s.lines) {
			return replay.Record{}, io.EOF
		}
		v := s.lines[s.line]
		s.line++
		for _, it := range decodeLine(s.format, v, s.aliases) {
			s.pending = append(s.pending, replay.Record{Input: s.name, Line: s.line, Item: it})
		}
	}
	r := s.pending[0]
	s.pending = s.pending[1:]
	return r, nil
}

// decodeLine decodes one line of a file of format as replay does.
func decodeLine(format input.Format, line []byte, aliases map[string]string) []events.Item {
	decode, err := input.NewDecoders(aliases).For(format)
	if err != nil {
		panic(err) // the formats come from gen.File.Format
	}
	return decode(line)
}

type memState struct{ kv *memkv.KV }

func (m memState) NewBatch() replay.Batch { return m.kv.NewBatch() }

// replayOutputs runs replay over the files and returns the structured
// encoding of every output in emission order.
func replayOutputs(t *testing.T, files map[gen.File][][]byte, pol *policy.Policy) []string {
	t.Helper()
	var srcs []replay.Source
	for _, f := range gen.Files() {
		srcs = append(srcs, &lineSource{name: f.Name(), format: f.Format(), aliases: pol.Aliases, lines: files[f]})
	}
	return replayOutputsOf(t, srcs, pol)
}

// replayOutputsOf runs replay over srcs and returns the structured
// encoding of every output in emission order.
func replayOutputsOf(t *testing.T, srcs []replay.Source, pol *policy.Policy) []string {
	t.Helper()
	var outs []string
	_, err := replay.Run(context.Background(), replay.Config{
		Correlator: correlator.New(pol),
		State:      memState{memkv.New()},
		Sources:    srcs,
		Output: func(o events.Output) error {
			b, err := events.EncodeStructured(o)
			outs = append(outs, string(b))
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

// produceFiles produces every generated file to its own topic (named after
// the file) and returns the inputs in replay's --input order.
func (h *harness) produceFiles(files map[gen.File][][]byte) []Input {
	var ins []Input
	for _, f := range gen.Files() {
		topic := strings.TrimSuffix(f.Name(), ".jsonl")
		msgs := make([]kafka.Message, len(files[f]))
		for i, l := range files[f] {
			msgs[i] = kafka.Message{Value: l}
			if f.Format() == input.FormatCloudEvents {
				msgs[i].Headers = []kafka.Header{{Key: "content-type", Value: []byte(events.ContentTypeCloudEventsJSON)}}
			}
		}
		if len(msgs) > 0 {
			h.produce(topic, msgs...)
		}
		ins = append(ins, Input{Topic: topic, Format: f.Format()})
	}
	return ins
}

func values(ms []kafka.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m.Value)
	}
	return out
}

func diffOutputs(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d outputs, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("output %d differs:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

// TestRunAgreesWithReplay: with records in time order per topic and
// clock: event, run emits exactly replay's outputs in replay's order; a
// restart then resumes without applying anything twice.
func TestRunAgreesWithReplay(t *testing.T) {
	h := newHarness(t)
	files, pol := genData(t, 40, 90)
	want := replayOutputs(t, files, pol)
	if len(want) < 20 {
		t.Fatalf("only %d replay outputs: the generated world is too small to test anything", len(want))
	}
	t.Logf("replay emitted %d outputs", len(want))
	ins := h.produceFiles(files)
	dir := t.TempDir()
	cfg := h.config(dir, ins...)
	rt, stop := h.start(cfg, pol, false)
	waitRole(t, h.ctx, rt, RoleOwner)
	got := values(h.read(cfg.Outputs.EventsTopic, len(want)))
	diffOutputs(t, got, want)
	if err := stop(); err != nil {
		t.Fatalf("run after SIGTERM: %v", err)
	}

	// Restart on the same store: nothing is applied again, so nothing new
	// is emitted, even after a new record that emits nothing.
	rt, stop = h.start(h.config(dir, ins...), pol, false)
	waitRole(t, h.ctx, rt, RoleOwner)
	extra := kafka.Message{Value: []byte(`{"specversion":"1.0","id":"late-snap","source":"hr","type":"io.jmlwatch.hr.snapshot","time":"2026-01-05T00:00:00Z","data":{"worker_id":"nobody-new"}}`),
		Headers: []kafka.Header{{Key: "content-type", Value: []byte(events.ContentTypeCloudEventsJSON)}}}
	h.produce(ins[0].Topic, extra)
	// Poll until the extra record is checkpointed.
	for {
		offs, err := rt.DB().Offsets()
		if err != nil {
			t.Fatal(err)
		}
		var next int64
		for tp, o := range offs {
			if tp.Topic == ins[0].Topic {
				next = o.Next
			}
		}
		if next == int64(len(files[gen.FileHR])+1) {
			break
		}
		if h.ctx.Err() != nil {
			t.Fatalf("extra record never applied (next %d)", next)
		}
		time.Sleep(10 * time.Millisecond) // polling, not synchronising
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	all := h.read(cfg.Outputs.EventsTopic, len(want))
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{h.addr()}, Topic: cfg.Outputs.EventsTopic, Partition: 0})
	defer r.Close()
	conn, err := kafka.DialLeader(h.ctx, "tcp", h.addr(), cfg.Outputs.EventsTopic, 0)
	if err != nil {
		t.Fatal(err)
	}
	last, err := conn.ReadLastOffset()
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	if last != int64(len(all)) {
		t.Errorf("output topic holds %d records after the restart, want %d (duplicates)", last, len(all))
	}
}

// TestFutureSkippedRecord: with clock: wall, a record more than
// FutureLimit ahead of wall time is rejected even when it would be skipped
// (an Okta login), so its time never moves the clock into the future (the
// clock never moves back: alerts would all fire at once).
func TestFutureSkippedRecord(t *testing.T) {
	h := newHarness(t)
	pol := genPolicy(t)
	now := time.Now().UTC()
	create := fmt.Sprintf(`{"uuid":"c1","published":"%s","eventType":"user.lifecycle.create","outcome":{"result":"SUCCESS"},"target":[{"type":"User","id":"u1","alternateId":"nobody@example.com"}]}`,
		now.Add(-time.Hour).Format(time.RFC3339))
	login := fmt.Sprintf(`{"uuid":"n1","published":"%s","eventType":"user.session.start","outcome":{"result":"SUCCESS"},"target":[{"type":"User","id":"u9","alternateId":"x@example.com"}]}`,
		now.Add(30*24*time.Hour).Format(time.RFC3339))
	h.produce("okta", kafka.Message{Value: []byte(create)}, kafka.Message{Value: []byte(login)})
	cfg := h.config(t.TempDir(), Input{Topic: "okta", Format: input.FormatOkta})
	cfg.Clock = ClockWall
	rt, stop := h.start(cfg, pol, false)
	defer stop()
	waitRole(t, h.ctx, rt, RoleOwner)

	dl := h.read(cfg.Outputs.DLQTopic, 1)[0]
	var reason string
	for _, x := range dl.Headers {
		if x.Key == "jmlwatch_dlq_reason" {
			reason = string(x.Value)
		}
	}
	if !strings.HasPrefix(reason, "future: ") || !bytes.Contains(dl.Value, []byte(`"n1"`)) {
		t.Fatalf("dead letter: reason %q, value %s", reason, dl.Value)
	}
	// The clock stays behind wall time: the lag is positive once set.
	var lag float64
	poll(t, h.ctx, "the clock lag", func() bool {
		body, _ := metricsText(rt.HTTPAddr())
		lag = sumMetric(body, "jmlwatch_clock_lag_seconds")
		return lag != 0
	})
	if lag < 0 {
		t.Fatalf("the clock is %.0f s ahead of wall time", -lag)
	}
}

func TestDeadLetters(t *testing.T) {
	h := newHarness(t)
	pol := genPolicy(t)
	good := func(id, worker string) string {
		return fmt.Sprintf(`{"id":"%s","activityDateTime":"2026-02-01T10:00:00Z","activityDisplayName":"Disable account","result":"success","targetResources":[{"type":"User","id":"%s","userPrincipalName":"%s@example.com"}]}`, id, worker, worker)
	}
	bad := `{"id":"e2","activityDateTime":"not-a-time","activityDisplayName":"Disable account","result":"success","targetResources":[{"type":"User","id":"u2"}]}`
	env := `{"records":[{"properties":` + good("e1", "u1") + `},{"properties":` + bad + `},{"properties":` + good("e3", "u3") + `}]}`
	h.produce("entra", kafka.Message{Key: []byte("k1"), Value: []byte(env), Headers: []kafka.Header{{Key: "x-origin", Value: []byte("hub")}}})
	h.produce("hr", kafka.Message{Key: []byte("k2"), Value: []byte(`{not json`), Headers: []kafka.Header{{Key: "content-type", Value: []byte(events.ContentTypeCloudEventsJSON)}}})

	cfg := h.config(t.TempDir(), Input{Topic: "hr", Format: input.FormatCloudEvents}, Input{Topic: "entra", Format: input.FormatEntra})
	rt, stop := h.start(cfg, pol, false)
	defer stop()
	waitRole(t, h.ctx, rt, RoleOwner)
	dl := h.read(cfg.Outputs.DLQTopic, 2)
	hdr := func(m kafka.Message) map[string]string {
		out := map[string]string{}
		for _, x := range m.Headers {
			out[x.Key] = string(x.Value)
		}
		return out
	}
	byTopic := map[string]kafka.Message{}
	for _, m := range dl {
		byTopic[hdr(m)["jmlwatch_dlq_topic"]] = m
	}
	e, ok := byTopic["entra"]
	if !ok {
		t.Fatalf("no dead letter from entra: %v", dl)
	}
	eh := hdr(e)
	if string(e.Key) != "k1" || eh["x-origin"] != "hub" || eh["jmlwatch_dlq_index"] != "1" ||
		eh["jmlwatch_dlq_partition"] != "0" || eh["jmlwatch_dlq_offset"] != "0" ||
		!strings.HasPrefix(eh["jmlwatch_dlq_reason"], "bad_timestamp: ") {
		t.Errorf("entra dead letter: key %q headers %v", e.Key, eh)
	}
	if !bytes.Contains(e.Value, []byte(`"id":"e2"`)) || bytes.Contains(e.Value, []byte(`"e1"`)) {
		t.Errorf("entra dead letter value is not the bad element: %s", e.Value)
	}
	hm, ok := byTopic["hr"]
	if !ok {
		t.Fatalf("no dead letter from hr")
	}
	hh := hdr(hm)
	if string(hm.Value) != `{not json` || string(hm.Key) != "k2" || !strings.HasPrefix(hh["jmlwatch_dlq_reason"], "bad_json: ") ||
		hh["content-type"] != events.ContentTypeCloudEventsJSON {
		t.Errorf("hr dead letter: %q %v", hm.Value, hh)
	}
	if _, ok := hh["jmlwatch_dlq_index"]; ok {
		t.Errorf("a whole-record dead letter has jmlwatch_dlq_index")
	}
	// The good elements applied: two entra records held (unknown workers).
	poll(t, h.ctx, "the good elements applied", func() bool {
		body, _ := metricsText(rt.HTTPAddr())
		return strings.Contains(body, `jmlwatch_records_total{format="entra",outcome="held",topic="entra",type="io.jmlwatch.account.disabled"} 2`) &&
			strings.Contains(body, `jmlwatch_records_total{format="entra",outcome="rejected",topic="entra",type="bad_timestamp"} 1`)
	})
}
