package report

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDefaultPeriod(t *testing.T) {
	// The latest event is at L = 2026-04-01T00:00Z; the period is
	// [L-30d, L+1ns): 2026-03-02T00:00Z is in, 1ns earlier is out, L is in.
	const L = "2026-04-01T00:00:00Z"
	a := st("revoke:okta:*", "okta", "revoke", "standard", "2026-03-02T01:00:00Z")
	b := st("revoke:okta:*", "okta", "revoke", "standard", "2026-03-02T00:59:59.999999999Z")
	c := st("provision:okta:*", "okta", "provision", "standard", L)
	in := writeInput(t,
		opened("a", "leaver", "2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z", a),
		breached("a", "leaver", "2026-03-02T00:00:00Z", a),
		opened("b", "leaver", "2026-03-01T23:59:59.999999999Z", "2026-03-02T00:00:00Z", b),
		breached("b", "leaver", "2026-03-01T23:59:59.999999999Z", b),
		opened("c", "joiner", L, L, c),
		completed("c", "joiner", L, c, L, true),
		caseDone("c", "joiner", L, L, true, 1),
	)
	rep := build(t, Options{Inputs: []string{in}})
	wantFrom := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	wantTo := time.Date(2026, 4, 1, 0, 0, 0, 1, time.UTC)
	if !rep.Period.From.Equal(wantFrom) || !rep.Period.To.Equal(wantTo) {
		t.Errorf("period = %v, want [%v, %v)", rep.Period, wantFrom, wantTo)
	}
	if rep.Baseline != nil {
		t.Errorf("baseline = %v, want none", rep.Baseline)
	}
	checkRows(t, rep, []want{
		{"breaches - - -", v(1), nil}, // a only
		{"time_to_provision_seconds_p50 - - -", v(0), nil},
		{"steps_within_sla_ratio joiner - -", v(1), nil}, // c completed at L, before L+1ns
		{"cases_within_sla_ratio joiner - -", v(1), nil},
		{"steps_within_sla_ratio leaver - -", v(0), nil}, // a open past its deadline
		{"open_past_deadline - - -", v(1), nil},
	})
	for _, m := range rep.Metrics {
		if m.Baseline != nil || m.Delta != nil || m.DeltaPct != nil || m.Direction != nil {
			t.Fatalf("%s: baseline columns set without a baseline", rowKey(m))
		}
	}
}

func TestOpenAtPeriodEnd(t *testing.T) {
	// Period [03-01, 03-08).
	const eff = "2026-03-05T00:00:00Z"
	s1 := st("revoke:okta:u1", "okta", "revoke", "standard", "2026-03-07T00:00:00Z")      // done after the end: open past deadline at the end
	s2 := st("revoke:gh:u2", "github", "revoke", "standard", "2026-03-08T00:00:00Z")      // deadline at the end: not due
	s3 := st("revoke:aws:u3", "aws", "revoke", "privileged", "2026-03-06T00:00:00Z")      // done late, before the end
	e1 := st("provision:okta:*", "okta", "provision", "standard", "2026-03-07T00:00:00Z") // done exactly at the end: still open then
	in := writeInput(t,
		opened("d", "leaver", eff, eff, s1, s2, s3),
		completed("d", "leaver", eff, s3, "2026-03-07T23:59:59Z", false),
		completed("d", "leaver", eff, s1, "2026-03-09T00:00:00Z", false),
		opened("e", "joiner", "2026-03-06T00:00:00Z", "2026-03-06T00:00:00Z", e1),
		completed("e", "joiner", "2026-03-06T00:00:00Z", e1, "2026-03-08T00:00:00Z", false),
		caseDone("e", "joiner", "2026-03-06T00:00:00Z", "2026-03-08T00:00:00Z", false, 1),
	)
	rep := build(t, Options{Inputs: []string{in}, Period: mustWindow(t, "2026-03-01/2026-03-08", time.UTC)})
	checkRows(t, rep, []want{
		{"open_past_deadline - - -", v(2), nil}, // s1 and e1
		{"open_past_deadline - - okta", v(2), nil},
		{"open_past_deadline - - github", v(0), nil},
		{"open_past_deadline - - aws", v(0), nil},
		{"open_past_deadline leaver - -", v(1), nil},
		{"open_past_deadline joiner - -", v(1), nil},
		{"steps_within_sla_ratio - - -", v(0), nil}, // due: s1, s3, e1
		{"steps_within_sla_ratio - privileged -", v(0), nil},
		{"cases_within_sla_ratio - - -", v(0), nil}, // d and e are stuck past a deadline
		{"breaches - - -", v(0), nil},
		// Latencies are those of the period's cohort, completed whenever:
		// s3 = 2d 23:59:59, s1 = 4d.
		{"time_to_revoke_seconds_p50 - - -", v(259199), nil},
		{"time_to_revoke_seconds_max - - -", v(345600), nil},
		{"time_to_provision_seconds_max - - -", v(172800), nil},
	})
}

func TestEmptyPeriod(t *testing.T) {
	in := "testdata/boundaries.jsonl"
	rep := build(t, Options{Inputs: []string{in}, Period: mustWindow(t, "2025-01-01/2025-02-01", time.UTC),
		Baseline: mustWindow(t, "2024-01-01/2024-02-01", time.UTC)})
	for _, m := range rep.Metrics {
		if m.System != nil {
			t.Errorf("%s: a system row for an empty population", rowKey(m))
		}
		switch unitOf(m.Name) {
		case unitCount:
			if m.Value == nil || *m.Value != 0 || m.Baseline == nil || *m.Baseline != 0 {
				t.Errorf("%s: count = %s / %s, want 0 / 0", rowKey(m), fmtVal(m.Value), fmtVal(m.Baseline))
			}
			if str(m.Direction) != Unchanged || m.DeltaPct != nil || m.Delta == nil || *m.Delta != 0 {
				t.Errorf("%s: delta %s, pct %s, direction %q; want 0, null, unchanged", rowKey(m), fmtVal(m.Delta), fmtVal(m.DeltaPct), str(m.Direction))
			}
		default:
			if m.Value != nil || m.Baseline != nil || m.Delta != nil || m.Direction != nil {
				t.Errorf("%s: want null values over an empty population", rowKey(m))
			}
		}
	}
}

func TestNoEventsNoPeriod(t *testing.T) {
	in := writeInput(t)
	_, err := Build(context.Background(), Options{Inputs: []string{in}})
	if !errors.Is(err, ErrNoEvents) {
		t.Fatalf("err = %v, want ErrNoEvents", err)
	}
}

// TestOrderAndRepeats: the report does not depend on the order of events or
// files, and a repeated event (same id) counts once.
func TestOrderAndRepeats(t *testing.T) {
	opts := Options{Period: mustWindow(t, "2026-03-02/2026-03-09", time.UTC), Baseline: mustWindow(t, "2026-02-23/2026-03-02", time.UTC)}
	opts.Inputs = []string{"testdata/boundaries.jsonl"}
	want := jsonOf(t, build(t, opts))

	data, err := os.ReadFile("testdata/boundaries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 5 {
		rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
		// Alerts in one file, the rest in another, alerts first; and every
		// line once more in a third file.
		var alerts, rest []string
		for _, l := range lines {
			if strings.Contains(l, "sla.breached") || strings.Contains(l, "orphan.detected") || strings.Contains(l, "account.unowned") {
				alerts = append(alerts, l)
			} else {
				rest = append(rest, l)
			}
		}
		dir := t.TempDir()
		files := map[string][]string{"alerts.jsonl": alerts, "events.jsonl": rest, "again.jsonl": lines}
		opts.Inputs = nil
		for _, name := range []string{"alerts.jsonl", "events.jsonl", "again.jsonl"} {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(strings.Join(files[name], "\n")), 0o644); err != nil {
				t.Fatal(err)
			}
			opts.Inputs = append(opts.Inputs, p)
		}
		if got := jsonOf(t, build(t, opts)); got != want {
			t.Fatalf("round %d: report depends on order or repeats:\n%s", round, got)
		}
	}
}

func TestCancelledBeforeOpened(t *testing.T) {
	s := st("revoke:okta:*", "okta", "revoke", "standard", "2026-03-02T01:00:00Z")
	in := writeInput(t,
		cancelled("a", "leaver", "2026-03-02T00:30:00Z"), // read first
		opened("a", "leaver", "2026-03-02T00:00:00Z", "2026-03-02T00:00:00Z", s),
		breached("a", "leaver", "2026-03-02T00:00:00Z", s),
	)
	rep := build(t, Options{Inputs: []string{in}, Period: mustWindow(t, "2026-03-01/2026-04-01", time.UTC)})
	checkRows(t, rep, []want{
		{"breaches - - -", v(0), nil},
		{"open_past_deadline - - -", v(0), nil},
		{"hr_to_it_lag_seconds_p50 - - -", null, nil},
	})
}

func TestPolicyCoverage(t *testing.T) {
	rep := build(t, Options{Inputs: []string{"testdata/boundaries.jsonl"},
		Period:        mustWindow(t, "2026-03-02/2026-03-09", time.UTC),
		Baseline:      mustWindow(t, "2026-02-23/2026-03-02", time.UTC),
		PolicySystems: []string{"okta", "aws-prod", "salesforce", "payroll", "okta"},
	})
	checkRows(t, rep, []want{
		// period: okta and aws-prod have completed steps; baseline: okta.
		{"integration_coverage_ratio - - -", v(2.0 / 4), v(1.0 / 4)},
		// a policy system no event names still gets count rows
		{"breaches - - payroll", v(0), v(0)},
		{"open_past_deadline - - payroll", v(0), v(0)},
	})
	empty := build(t, Options{Inputs: []string{"testdata/boundaries.jsonl"}, PolicySystems: []string{}})
	checkRows(t, empty, []want{{"integration_coverage_ratio - - -", null, nil}})
}

func TestTimezoneDates(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-01T23:30Z is 2026-03-02 00:30 in Berlin: inside a Berlin
	// period starting on 03-02, outside the same dates in UTC.
	s := st("revoke:okta:*", "okta", "revoke", "standard", "2026-03-02T00:00:00Z")
	in := writeInput(t,
		opened("a", "leaver", "2026-03-01T23:30:00Z", "2026-03-01T23:30:00Z", s),
		breached("a", "leaver", "2026-03-01T23:30:00Z", s),
	)
	for _, c := range []struct {
		loc  *time.Location
		want float64
	}{{berlin, 1}, {time.UTC, 0}} {
		rep := build(t, Options{Inputs: []string{in}, Location: c.loc, Period: mustWindow(t, "2026-03-02/2026-03-09", c.loc)})
		checkRows(t, rep, []want{{"breaches - - -", v(c.want), nil}})
		if c.loc == berlin && rep.Period.From.Format(time.RFC3339) != "2026-03-02T00:00:00+01:00" {
			t.Errorf("period from = %s, want it in Berlin time", rep.Period.From.Format(time.RFC3339))
		}
	}
}

func TestBadRecords(t *testing.T) {
	s := st("revoke:okta:*", "okta", "revoke", "standard", "2026-03-02T01:00:00Z")
	good := breached("a", "leaver", "2026-03-02T00:00:00Z", s)
	in := writeInput(t,
		`{"type":"io.jmlwatch.sla.breached",`,                                                           // 1: truncated
		strings.Replace(good, `"time":"2026-03-02T01:00:00Z",`, ``, 1),                                  // 2: no time
		strings.Replace(good, `"effective_at":"2026-03-02T00:00:00Z"`, `"effective_at":"yesterday"`, 1), // 3
		strings.Replace(good, `"kind":"leaver"`, `"kind":"retiree"`, 1),                                 // 4
		strings.Replace(good, `"case_id":"a",`, ``, 1),                                                  // 5
		``,       // 6: blank, ignored
		good,     // 7
		`[1, 2]`, // 8: not an object
		strings.Replace(good, `"tier":"standard"`, `"tier":"gold"`, 1), // 9
	)
	var bad []*BadRecord
	rep, err := Build(context.Background(), Options{Inputs: []string{in}, BadRecord: func(b *BadRecord) { bad = append(bad, b) }})
	if err != nil {
		t.Fatal(err)
	}
	wantLines := []int{1, 2, 3, 4, 5, 8, 9}
	wantText := []string{"unexpected end of input", "time: missing", "data.effective_at: bad timestamp", "data.kind", "data.case_id: missing", "looking for beginning of object", "data.tier"}
	if len(bad) != len(wantLines) {
		t.Fatalf("bad records = %v, want lines %v", bad, wantLines)
	}
	for i, b := range bad {
		if b.Line != wantLines[i] || b.File != in || !strings.Contains(b.Error(), wantText[i]) {
			t.Errorf("bad record %d = %v, want line %d with %q", i, b, wantLines[i], wantText[i])
		}
	}
	if rep.Skipped != int64(len(wantLines)) {
		t.Errorf("Skipped = %d", rep.Skipped)
	}
	checkRows(t, rep, []want{{"breaches - - -", v(1), nil}})
}

func TestDocumentInput(t *testing.T) {
	data, err := os.ReadFile("testdata/boundaries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	opts := Options{Period: mustWindow(t, "2026-03-02/2026-03-09", time.UTC), Baseline: mustWindow(t, "2026-02-23/2026-03-02", time.UTC)}
	opts.Inputs = []string{"testdata/boundaries.jsonl"}
	want := jsonOf(t, build(t, opts))

	dir := t.TempDir()
	array := filepath.Join(dir, "array.json")
	if err := os.WriteFile(array, []byte("[\n  "+strings.Join(lines, ",\n  ")+"\n]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pretty := filepath.Join(dir, "pretty.json") // concatenated multi-line objects
	var sb strings.Builder
	for _, l := range lines {
		sb.WriteString(strings.Replace(strings.Replace(l, `{"specversion"`, "{\n  \"specversion\"", 1), `,"data"`, ",\n  \"data\"", 1) + "\n")
	}
	if err := os.WriteFile(pretty, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{array, pretty} {
		opts.Inputs = []string{p}
		if got := jsonOf(t, build(t, opts)); got != want {
			t.Errorf("%s: report differs from the JSON Lines one:\n%s", p, got)
		}
	}

	// A bad element is reported at the line where it starts.
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("[\n"+lines[0]+",\n{\"type\": 1}\n]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var got []*BadRecord
	opts.Inputs, opts.BadRecord = []string{bad}, func(b *BadRecord) { got = append(got, b) }
	if _, err := Build(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Line != 3 {
		t.Errorf("bad records = %v, want one at line 3", got)
	}
}

func TestMissingInput(t *testing.T) {
	_, err := Build(context.Background(), Options{Inputs: []string{filepath.Join(t.TempDir(), "nope.jsonl")}})
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want not exist", err)
	}
}

func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Build(ctx, Options{Inputs: []string{"testdata/boundaries.jsonl"}})
	// A small file may be read before the first check; either outcome is
	// fine but a cancelled read must say so.
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestStdinAndLongLines(t *testing.T) {
	// A case.opened of 20000 steps is a line of about 2.4 MB, longer than
	// the read buffer.
	var steps []map[string]any
	for i := range 20000 {
		steps = append(steps, st("revoke:okta:u"+strconv.Itoa(i), "okta", "revoke", "standard", "2026-03-02T01:00:00Z"))
	}
	const eff = "2026-03-02T00:00:00Z"
	input := opened("big", "leaver", eff, eff, steps...) + "\n"
	// Steps around the big-case threshold, each twice (a repeat changes nothing).
	done := []int{0, 30, 31, 32, 33, 34, 19999}
	for _, i := range done {
		l := completed("big", "leaver", eff, steps[i], "2026-03-02T00:30:00Z", true) + "\n"
		input += l + l
	}
	if len(input) < 2*readBufSize {
		t.Fatalf("line of %d bytes: not longer than the buffer", len(input))
	}
	rep := build(t, Options{Inputs: []string{"-"}, Stdin: strings.NewReader(input), Period: mustWindow(t, "2026-03-01/2026-04-01", time.UTC)})
	checkRows(t, rep, []want{
		{"open_past_deadline - - -", v(20000 - 7), nil},
		{"time_to_revoke_seconds_max - - -", v(1800), nil},
		{"steps_within_sla_ratio - - -", v(7.0 / 20000), nil},
	})
}
