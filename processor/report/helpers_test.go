package report

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// mustWindow parses a window in loc or fails the test.
func mustWindow(t testing.TB, s string, loc *time.Location) *Window {
	t.Helper()
	w, err := ParseWindow(s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return &w
}

// build runs Build and fails the test on an error or a bad record.
func build(t testing.TB, opts Options) *Report {
	t.Helper()
	if opts.BadRecord == nil {
		opts.BadRecord = func(b *BadRecord) { t.Errorf("unexpected bad record: %v", b) }
	}
	rep, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// rowKey names a metric row: "name kind tier system", "-" for null.
func rowKey(m Metric) string {
	return fmt.Sprintf("%s %s %s %s", m.Name, dash(m.Kind), dash(m.Tier), dash(m.System))
}

// index maps rowKey to metric, failing on a duplicate row.
func index(t testing.TB, rep *Report) map[string]Metric {
	t.Helper()
	out := map[string]Metric{}
	for _, m := range rep.Metrics {
		k := rowKey(m)
		if _, dup := out[k]; dup {
			t.Fatalf("duplicate row %s", k)
		}
		out[k] = m
	}
	return out
}

// fmtVal prints a nullable value for messages.
func fmtVal(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// near compares nullable values with a relative tolerance of 1e-9.
func near(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	d := *a - *b
	if d < 0 {
		d = -d
	}
	scale := max(abs(*a), abs(*b), 1)
	return d <= 1e-9*scale
}

// null is a readable nil *float64 for want tables.
var null *float64

func v(f float64) *float64 { return &f }

// want is an expected row: value and baseline.
type want struct {
	key         string
	value, base *float64
}

// checkRows compares rows, and their delta, delta_pct and direction derived
// by hand from value and baseline.
func checkRows(t *testing.T, rep *Report, wants []want) {
	t.Helper()
	idx := index(t, rep)
	for _, w := range wants {
		m, ok := idx[w.key]
		if !ok {
			t.Errorf("row %q missing", w.key)
			continue
		}
		if !near(m.Value, w.value) {
			t.Errorf("%s: value = %s, want %s", w.key, fmtVal(m.Value), fmtVal(w.value))
		}
		if !near(m.Baseline, w.base) {
			t.Errorf("%s: baseline = %s, want %s", w.key, fmtVal(m.Baseline), fmtVal(w.base))
		}
	}
}

// jsonOf renders the report as JSON.
func jsonOf(t testing.TB, rep *Report) string {
	t.Helper()
	var b strings.Builder
	if err := rep.Write(&b, FormatJSON); err != nil {
		t.Fatal(err)
	}
	var probe any
	if err := json.Unmarshal([]byte(b.String()), &probe); err != nil {
		t.Fatalf("json output does not parse: %v", err)
	}
	return b.String()
}
