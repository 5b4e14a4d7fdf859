package runtime

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
)

// TestMetrics runs a generated world through the daemon and checks the
// metrics against its outputs: the step latency histogram counts every
// step.completed, the breach and warning counters every sla.breached and
// sla.warning, records are counted by topic, format, type and outcome,
// consumer lag is 0 once everything is applied, and the Pebble figures
// are exported.
func TestMetrics(t *testing.T) {
	h := newHarness(t)
	files, pol := genData(t, 60, 120)
	want := replayOutputs(t, files, pol)
	count := map[string]int{}
	for _, v := range want {
		count[parseOutput(t, []byte(v)).Type]++
	}
	ins := h.produceFiles(files)
	cfg := h.config(t.TempDir(), ins...)
	rt, stop := h.start(cfg, pol, false)
	defer stop()
	h.read(cfg.Outputs.EventsTopic, len(want))
	body := ""
	poll(t, h.ctx, "lag 0 on every partition", func() bool {
		body, _ = metricsText(rt.HTTPAddr())
		return strings.Contains(body, "jmlwatch_consumer_lag{") && sumMetric(body, "jmlwatch_consumer_lag") == 0 &&
			sumMetric(body, "jmlwatch_outbox_depth") == 0
	})
	for _, c := range []struct {
		metric string
		want   int
	}{
		{"jmlwatch_step_latency_seconds_count", count["io.jmlwatch.step.completed"]},
		{"jmlwatch_sla_breaches_total", count["io.jmlwatch.sla.breached"]},
		{"jmlwatch_sla_warnings_total", count["io.jmlwatch.sla.warning"]},
	} {
		if got := sumMetric(body, c.metric); got != float64(c.want) {
			t.Errorf("%s = %v, want %d", c.metric, got, c.want)
		}
	}
	if count["io.jmlwatch.step.completed"] == 0 || count["io.jmlwatch.sla.breached"] == 0 {
		t.Fatalf("the world has no completions or no breaches: %v", count)
	}
	for _, s := range []string{
		`jmlwatch_records_total{format="okta",outcome="skipped",topic="okta",type="unmapped_type"}`,
		`jmlwatch_records_total{format="cloudevents",outcome="applied",topic="hr",type="io.jmlwatch.hr.joiner"}`,
		`jmlwatch_records_consumed_total{format="entra",topic="entra"}`,
		`jmlwatch_step_latency_seconds_bucket{action="provision",kind="joiner",system="okta",tier="standard",le="0"}`,
		"jmlwatch_store_disk_bytes ",
		"jmlwatch_store_compactions_total ",
		"jmlwatch_outbox_depth 0",
		"jmlwatch_ready 1",
	} {
		if !strings.Contains(body, s) {
			t.Errorf("/metrics has no %s", s)
		}
	}
	var consumed int
	for _, f := range gen.Files() {
		consumed += len(files[f])
	}
	if got := sumMetric(body, "jmlwatch_records_consumed_total"); got != float64(consumed) {
		t.Errorf("jmlwatch_records_consumed_total = %v, want %d", got, consumed)
	}
	if got := sumMetric(body, "jmlwatch_store_disk_bytes"); got <= 0 {
		t.Errorf("jmlwatch_store_disk_bytes = %v", got)
	}
}

// TestStateScan: the bounded state scan, in chunks of 1, 2 and 1000
// workers and timer keys, counts the open and overdue steps and the pending timers of
// the store as one full read does.
func TestStateScan(t *testing.T) {
	h := newHarness(t)
	files, pol := genData(t, 60, 120)
	want := replayOutputs(t, files, pol)
	ins := h.produceFiles(files)
	cfg := h.config(t.TempDir(), ins...)
	rt, stop := h.start(cfg, pol, false)
	h.read(cfg.Outputs.EventsTopic, len(want))
	db := rt.DB()
	clock, err := correlator.ReadClock(db)
	if err != nil {
		t.Fatal(err)
	}
	open, overdue := map[[2]string]float64{}, map[[2]string]float64{}
	err = correlator.ScanCases(db, "", func(c correlator.CaseView) bool {
		for _, st := range c.Steps {
			if c.State == "open" && st.Status == "open" {
				k := [2]string{string(c.Kind), st.Tier}
				open[k]++
				if st.Deadline.Before(clock) {
					overdue[k]++
				}
			}
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	var timers float64
	lo, hi := correlator.TimerKeys()
	if err := db.Scan(lo, hi, func(_, _ []byte) error { timers++; return nil }); err != nil {
		t.Fatal(err)
	}
	if len(open) == 0 || timers == 0 {
		t.Fatalf("nothing open (%v) or no timers (%v): the world tests nothing", open, timers)
	}
	for _, chunk := range []int{1, 2, scanChunk} {
		m := newMetrics(prometheus.NewRegistry(), pol, db)
		s := newStateScanner(db, m, rt.opts.Now)
		s.chunk = chunk
		if err := s.pass(context.Background()); err != nil {
			t.Fatal(err)
		}
		checkScan(t, m, open, overdue, timers)
	}
	t.Logf("open %v overdue %v timers %v", open, overdue, timers)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func checkScan(t *testing.T, m *metrics, open, overdue map[[2]string]float64, timers float64) {
	t.Helper()
	for k, v := range open {
		if got := gaugeValue(m.openSteps.WithLabelValues(k[0], k[1])); got != v {
			t.Errorf("open steps %v = %v, want %v", k, got, v)
		}
		if got := gaugeValue(m.overdueSteps.WithLabelValues(k[0], k[1])); got != overdue[k] {
			t.Errorf("overdue steps %v = %v, want %v", k, got, overdue[k])
		}
	}
	if got := gaugeValue(m.pendingTimers); got != timers {
		t.Errorf("pending timers = %v, want %v", got, timers)
	}
}

func gaugeValue(g prometheus.Gauge) float64 {
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		return -1
	}
	return m.GetGauge().GetValue()
}
