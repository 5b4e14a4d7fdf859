package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl/scram"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/broker"
)

const reportFixture = "../../processor/report/testdata/boundaries.jsonl"

func runReport(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"report"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(`systems:
  okta: {tier: standard}
  aws-prod: {tier: privileged}
  salesforce: {tier: standard}
  payroll: {tier: privileged, manual: true}
slas:
  - {kind: joiner, deadline: 0s}
  - {kind: mover, deadline: 72h}
  - {kind: leaver, deadline: 24h}
  - {kind: nhi, deadline: 7d}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	badPolicy := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badPolicy, []byte("slas: []\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badInput := filepath.Join(dir, "bad.jsonl")
	fixture, err := os.ReadFile(reportFixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badInput, append([]byte("{not json\n"), fixture...), 0o644); err != nil {
		t.Fatal(err)
	}
	period := []string{"--period", "2026-03-02/2026-03-09", "--baseline", "2026-02-23/2026-03-02"}

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring; "" means empty
	}{
		{"table", append([]string{"--input", reportFixture}, period...), 0, "REGRESSED", ""},
		{"json", append([]string{"--input", reportFixture, "--format", "json"}, period...), 0, `"name": "breaches"`, ""},
		{"csv", append([]string{"--input", reportFixture, "--format", "csv"}, period...), 0, "period_from,period_to,", ""},
		{"default period", []string{"--input", reportFixture, "--timezone", "Europe/Berlin"}, 0, "2026-02-08T01:00:00+01:00", ""},
		{"skipped record", []string{"--input", badInput, "--format", "json"}, 0, `"metrics"`, "bad.jsonl:1: bad json"},
		{"no input", []string{"--period", "2026-03-02/2026-03-09"}, 2, "", "--input"},
		{"input events", []string{"--input", "testdata/validate/good.jsonl"}, 0, "METRIC", "are the inputs jmlwatch output events"},
		{"missing input", []string{"--input", filepath.Join(dir, "nope.jsonl")}, 2, "", "nope.jsonl"},
		{"missing config", []string{"--config", filepath.Join(dir, "run.yaml")}, 2, "", "run.yaml"},
		{"config and input", []string{"--config", filepath.Join(dir, "run.yaml"), "--input", reportFixture}, 2, "", "not both"},
		{"bad format", []string{"--input", reportFixture, "--format", "xml"}, 2, "", "--format"},
		{"bad period", []string{"--input", reportFixture, "--period", "2026-03-09/2026-03-02"}, 2, "", "--period"},
		{"bad baseline", []string{"--input", reportFixture, "--baseline", "last week"}, 2, "", "--baseline"},
		{"bad timezone", []string{"--input", reportFixture, "--timezone", "Mars/Olympus"}, 2, "", "--timezone"},
		{"bad policy", []string{"--input", reportFixture, "--policy", badPolicy}, 2, "", "bad.yaml"},
		{"arguments", []string{"--input", reportFixture, "extra"}, 2, "", "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runReport(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%.2000s", tc.stdout, stdout)
			}
			if (tc.stderr == "") != (stderr == "") || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr = %q, want %q", stderr, tc.stderr)
			}
		})
	}

	t.Run("policy and output file", func(t *testing.T) {
		out := filepath.Join(dir, "report.json")
		args := append([]string{"--input", reportFixture, "--policy", policyFile, "--format", "json", "--output", out}, period...)
		if code, stdout, stderr := runReport(t, args...); code != 0 || stdout != "" || stderr != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Metrics []struct {
				Name     string   `json:"name"`
				Kind     *string  `json:"kind"`
				Value    *float64 `json:"value"`
				Baseline *float64 `json:"baseline"`
			} `json:"metrics"`
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range rep.Metrics {
			if m.Name == "integration_coverage_ratio" {
				found = true
				// okta and aws-prod of 4 policy systems in the period; okta in the baseline.
				if m.Value == nil || *m.Value != 0.5 || m.Baseline == nil || *m.Baseline != 0.25 {
					t.Errorf("integration_coverage_ratio = %v / %v, want 0.5 / 0.25", m.Value, m.Baseline)
				}
			}
		}
		if !found {
			t.Error("no integration_coverage_ratio row")
		}
	})

	t.Run("html", func(t *testing.T) {
		out := filepath.Join(dir, "report.html")
		if code, _, stderr := runReport(t, "--input", reportFixture, "--format", "html", "-o", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(`<canvas id="weekly"`)) {
			t.Error("html report lacks its charts")
		}
	})
}

// TestReportOverReplay runs gen, replay and report end to end and checks
// the report against a plain recomputation from the replay output decoded
// with events.DecodeOutput.
func TestReportOverReplay(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen")
	out := filepath.Join(dir, "out.jsonl")
	var o, e bytes.Buffer
	if code := run(context.Background(), []string{"gen", "--workers", "500", "--days", "60", "--seed", "3", "--out", gen}, &o, &e); code != 0 {
		t.Fatalf("gen: exit %d: %s", code, e.String())
	}
	if code := run(context.Background(), []string{"replay", "--policy", filepath.Join(gen, "policy.yaml"),
		"--input", filepath.Join(gen, "hr.jsonl"), "--input", filepath.Join(gen, "nhi.jsonl"),
		"--input", "okta:" + filepath.Join(gen, "okta.jsonl"), "--input", "entra:" + filepath.Join(gen, "entra.jsonl"),
		"--input", filepath.Join(gen, "tickets.jsonl"), "--output", out}, &o, &e); code != 0 {
		t.Fatalf("replay: exit %d: %s", code, e.String())
	}
	code, stdout, stderr := runReport(t, "--input", out, "--format", "json")
	if code != 0 || stderr != "" {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	var rep struct {
		Period  struct{ From, To time.Time } `json:"period"`
		Metrics []struct {
			Name   string   `json:"name"`
			Kind   *string  `json:"kind"`
			Tier   *string  `json:"tier"`
			System *string  `json:"system"`
			Value  *float64 `json:"value"`
		} `json:"metrics"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]*float64{}
	for _, m := range rep.Metrics {
		if m.Kind == nil && m.Tier == nil && m.System == nil {
			got[m.Name] = m.Value
		}
	}

	// The reference: every output decoded, cases by id.
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	type step struct {
		deadline, completed time.Time
		done, within, nhi   bool
		revoke, breached    bool
	}
	type kase struct {
		kind      events.Kind
		effective time.Time
		cancelled bool
		steps     map[string]*step
	}
	cases := map[string]*kase{}
	get := func(id string, kind events.Kind, eff time.Time) *kase {
		c := cases[id]
		if c == nil {
			c = &kase{steps: map[string]*step{}}
			cases[id] = c
		}
		if kind != "" {
			c.kind, c.effective = kind, eff
		}
		return c
	}
	getStep := func(c *kase, id, action string, deadline time.Time) *step {
		s := c.steps[id]
		if s == nil {
			s = &step{deadline: deadline, nhi: action == events.ActionNHI, revoke: action == events.ActionRevoke}
			c.steps[id] = s
		}
		return s
	}
	var latest time.Time
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	for _, l := range lines {
		ev, err := events.DecodeOutput(l)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Time.After(latest) {
			latest = ev.Time
		}
		switch d := ev.Data.(type) {
		case *events.CaseOpenedData:
			c := get(d.CaseID, d.Kind, d.EffectiveAt)
			for _, s := range d.Steps {
				getStep(c, s.StepID, s.Action, s.Deadline)
			}
		case *events.StepAddedData:
			getStep(get(d.CaseID, d.Kind, d.EffectiveAt), d.StepID, d.Action, d.Deadline)
		case *events.StepCompletedData:
			s := getStep(get(d.CaseID, d.Kind, d.EffectiveAt), d.StepID, d.Action, d.Deadline)
			s.done, s.completed, s.within = true, d.CompletedAt, d.WithinSLA
		case *events.SLAData:
			if ev.Type == events.TypeSLABreached {
				getStep(get(d.CaseID, d.Kind, d.EffectiveAt), d.StepID, d.Action, d.Deadline).breached = true
			}
		case *events.CaseCancelledData:
			get(d.CaseID, "", time.Time{}).cancelled = true
		}
	}
	from, to := latest.Add(-30*24*time.Hour), latest.Add(time.Nanosecond)
	if !rep.Period.From.Equal(from) || !rep.Period.To.Equal(to) {
		t.Errorf("period %v..%v, want %v..%v", rep.Period.From, rep.Period.To, from, to)
	}
	var breaches, open, due, within float64
	var revokeMax *float64
	for _, c := range cases {
		if c.cancelled || c.effective.Before(from) || !c.effective.Before(to) {
			continue
		}
		for _, s := range c.steps {
			doneByEnd := s.done && s.completed.Before(to)
			if s.breached {
				breaches++
			}
			if !doneByEnd && s.deadline.Before(to) {
				open++
			}
			if !s.nhi && (doneByEnd || s.deadline.Before(to)) {
				due++
				if doneByEnd && s.within {
					within++
				}
			}
			if c.kind == events.KindLeaver && s.revoke && s.done {
				l := s.completed.Sub(c.effective).Seconds()
				if revokeMax == nil || l > *revokeMax {
					revokeMax = &l
				}
			}
		}
	}
	if len(cases) == 0 || due == 0 {
		t.Fatalf("the generated history has no due steps (%d cases): nothing checked", len(cases))
	}
	check := func(name string, want *float64) {
		t.Helper()
		g := got[name]
		if (g == nil) != (want == nil) || (g != nil && math.Abs(*g-*want) > 1e-9) {
			t.Errorf("%s = %v, want %v", name, deref(g), deref(want))
		}
	}
	check("breaches", &breaches)
	check("open_past_deadline", &open)
	ratio := within / due
	check("steps_within_sla_ratio", &ratio)
	check("time_to_revoke_seconds_max", revokeMax)
	t.Logf("%d outputs, %d cases; breaches %v, open %v, steps within %v/%v", len(lines), len(cases), breaches, open, within, due)
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// TestReportConfig reads the events and alerts topics named by a run config
// from the in-process broker (each topic holding records in both binary
// and structured mode, as run writes them with either outputs.mode) and
// checks the report equals the one over the file the records came from.
func TestReportConfig(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := broker.Start(ctx, broker.Options{Partitions: 3, Topics: []string{"out.events", "out.alerts"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data, err := os.ReadFile(reportFixture)
	if err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(b.Addr()), Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	var msgs []kafka.Message
	modes := map[string]map[bool]int{} // topic: binary: records
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		o, err := events.DecodeOutput(line)
		if err != nil {
			t.Fatal(err)
		}
		m := kafka.Message{Topic: "out.events", Key: []byte(o.Subject)}
		if events.IsAlert(o.Type) {
			m.Topic = "out.alerts"
		}
		binary := i%2 == 0
		if modes[m.Topic] == nil {
			modes[m.Topic] = map[bool]int{}
		}
		modes[m.Topic][binary]++
		if !binary {
			if m.Value, err = events.EncodeStructured(o); err != nil {
				t.Fatal(err)
			}
		} else {
			hs, v, err := events.EncodeBinary(o)
			if err != nil {
				t.Fatal(err)
			}
			m.Value = v
			for _, h := range hs {
				m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: h.Value})
			}
		}
		msgs = append(msgs, m)
	}
	for _, topic := range []string{"out.events", "out.alerts"} {
		if modes[topic][true] == 0 || modes[topic][false] == 0 {
			t.Fatalf("fixture gives %s records %v by binary mode; want both modes", topic, modes[topic])
		}
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "run.yaml")
	if err := os.WriteFile(cfg, []byte("brokers: ["+b.Addr()+"]\ninputs: [{topic: hr}]\noutputs: {events_topic: out.events, alerts_topic: out.alerts}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	period := []string{"--period", "2026-03-02/2026-03-09", "--baseline", "2026-02-23/2026-03-02", "--format", "json"}
	code, want, stderr := runReport(t, append([]string{"--input", reportFixture}, period...)...)
	if code != 0 {
		t.Fatalf("report --input: exit %d: %s", code, stderr)
	}
	code, got, stderr := runReport(t, append([]string{"--config", cfg}, period...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("report --config: exit %d: %s", code, stderr)
	}
	if got != want {
		t.Errorf("report over Kafka differs from the one over the file:\n%s", got)
	}

	// The same over SASL SCRAM-SHA-512, the password from the environment.
	sb, err := broker.Start(ctx, broker.Options{Partitions: 1, Extra: []kfake.Opt{kfake.EnableSASL(), kfake.Superuser("SCRAM-SHA-512", "jml", "s3cret")}})
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()
	mech, err := scram.Mechanism(scram.SHA512, "jml", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	sw := &kafka.Writer{Addr: kafka.TCP(sb.Addr()), Transport: &kafka.Transport{SASL: mech}, AllowAutoTopicCreation: true, RequiredAcks: kafka.RequireAll}
	defer sw.Close()
	if err := sw.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JMLWATCH_REPORT_TEST_PW", "s3cret")
	saslCfg := filepath.Join(dir, "sasl.yaml")
	if err := os.WriteFile(saslCfg, []byte("brokers: ["+sb.Addr()+"]\ninputs: [{topic: hr}]\noutputs: {events_topic: out.events, alerts_topic: out.alerts}\n"+
		"sasl: {mechanism: SCRAM-SHA-512, username: jml, password_env: JMLWATCH_REPORT_TEST_PW}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, got, stderr = runReport(t, append([]string{"--config", saslCfg}, period...)...)
	if code != 0 || stderr != "" {
		t.Fatalf("report --config over SASL: exit %d: %s", code, stderr)
	}
	if got != want {
		t.Errorf("report over Kafka with SASL differs from the one over the file:\n%s", got)
	}
	t.Setenv("JMLWATCH_REPORT_TEST_PW", "wrong")
	if code, _, stderr := runReport(t, append([]string{"--config", saslCfg}, period...)...); code != 1 {
		t.Errorf("wrong SASL password: exit %d, want 1: %s", code, stderr)
	}

	// A config naming an unreachable broker is a runtime failure (exit 1).
	bad := filepath.Join(dir, "down.yaml")
	if err := os.WriteFile(bad, []byte("brokers: [127.0.0.1:1]\ninputs: [{topic: hr}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runReport(t, "--config", bad, "--period", "2026-03-02/2026-03-09"); code != 1 {
		t.Errorf("unreachable broker: exit %d, want 1: %s", code, stderr)
	}
	// A bad config is a usage error naming the field.
	badCfg := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badCfg, []byte("brokers: [x:1]\ninputs: [{topic: hr}]\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runReport(t, "--config", badCfg); code != 2 || !strings.Contains(stderr, "bogus") {
		t.Errorf("bad config: exit %d, stderr %q; want 2 naming bogus", code, stderr)
	}
}
