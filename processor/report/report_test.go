package report

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestBoundaries checks every non-trivial metric of testdata/boundaries.jsonl
// against values computed by hand (see the comments; times UTC).
//
// Period [03-02, 03-09), baseline [02-23, 03-02). Cases:
//
//	c1 joiner eff 03-02 00:00 (the period's first instant), recorded 03-01 20:00 (lag 0):
//	   grant okta std done 03-01 23:00 (-3600, within), provision okta std done 00:30 (1800, late);
//	   the provision step.completed appears twice (dedupe); case completed 00:30, late
//	c2 joiner eff 03-09 00:00 (the period's end: excluded everywhere)
//	c3 leaver eff 03-05 12:00, recorded 14:00 (lag 7200): revoke okta std done 13:00 (3600, within);
//	   revoke aws-prod priv deadline 16:00, breached (twice in the input), done 20:00 (28800, late);
//	   nhi github deadline 03-12 12:00, open (not due: deadline after the end)
//	c4 leaver eff 03-07, recorded 03-07 (lag 0): revoke salesforce std deadline 03-08, breached, open
//	c5 mover eff 03-03: one step done, then cancelled: out of every population
//	c8 joiner eff 03-04 with no steps, recorded 03:00 (lag 10800): counted in the lag only
//	c6 joiner eff 02-25 (baseline), recorded 02-24: provision okta done 02:00 (7200, late)
//	c7 leaver eff 02-26 (baseline), recorded 06:00 (lag 21600): revoke okta done 10:00 (36000, within),
//	   nhi github done 02-28 (within); case within
//	orphans: okta/00u1 at 03-06 (twice, same id) and 03-07 (another case): 1 in the period;
//	   salesforce/005x at 02-27: 1 in the baseline
func TestBoundaries(t *testing.T) {
	rep := build(t, Options{
		Inputs:   []string{"testdata/boundaries.jsonl"},
		Period:   mustWindow(t, "2026-03-02/2026-03-09", time.UTC),
		Baseline: mustWindow(t, "2026-02-23/2026-03-02", time.UTC),
	})
	checkRows(t, rep, []want{
		// provision: period [-3600, 1800]; p50 = rank ceil(0.5*2)=1, p90 = rank 2. Baseline [7200].
		{"time_to_provision_seconds_p50 - - -", v(-3600), v(7200)},
		{"time_to_provision_seconds_p90 - - -", v(1800), v(7200)},
		{"time_to_provision_seconds_p99 - - -", v(1800), v(7200)},
		{"time_to_provision_seconds_max - - -", v(1800), v(7200)},
		{"time_to_provision_seconds_p50 - standard -", v(-3600), v(7200)},
		{"time_to_provision_seconds_p50 - privileged -", null, null},
		{"time_to_provision_seconds_p50 - - okta", v(-3600), v(7200)},
		// modify: c5 was cancelled.
		{"time_to_modify_seconds_p50 - - -", null, null},
		{"time_to_modify_seconds_max - - -", null, null},
		// revoke: period [3600 okta std, 28800 aws-prod priv]; baseline [36000 okta].
		{"time_to_revoke_seconds_p50 - - -", v(3600), v(36000)},
		{"time_to_revoke_seconds_p90 - - -", v(28800), v(36000)},
		{"time_to_revoke_seconds_max - - -", v(28800), v(36000)},
		{"time_to_revoke_seconds_p50 - standard -", v(3600), v(36000)},
		{"time_to_revoke_seconds_p50 - privileged -", v(28800), null},
		{"time_to_revoke_seconds_p99 - - aws-prod", v(28800), null},
		{"time_to_revoke_seconds_p99 - - okta", v(3600), v(36000)},
		// steps (nhi left out): period due c1 x2 (1 within), c3 okta (within), aws (late), c4 sf (open past deadline).
		{"steps_within_sla_ratio - - -", v(2.0 / 5), v(1.0 / 2)},
		{"steps_within_sla_ratio joiner - -", v(1.0 / 2), v(0)},
		{"steps_within_sla_ratio mover - -", null, null},
		{"steps_within_sla_ratio leaver - -", v(1.0 / 3), v(1)},
		{"steps_within_sla_ratio - standard -", v(2.0 / 4), v(1.0 / 2)},
		{"steps_within_sla_ratio - privileged -", v(0), null},
		{"steps_within_sla_ratio leaver standard -", v(1.0 / 2), v(1)},
		{"steps_within_sla_ratio leaver privileged -", v(0), null},
		{"steps_within_sla_ratio joiner privileged -", null, null},
		// cases: period c1 (done, late), c4 (stuck past deadline); c3 not due; c8 has no steps.
		{"cases_within_sla_ratio - - -", v(0), v(1.0 / 2)},
		{"cases_within_sla_ratio joiner - -", v(0), v(0)},
		{"cases_within_sla_ratio leaver - -", v(0), v(1)},
		{"cases_within_sla_ratio mover - -", null, null},
		{"cases_within_sla_ratio - privileged -", null, null},
		{"cases_within_sla_ratio leaver standard -", v(0), v(1)},
		// counts: 0, never null.
		{"breaches - - -", v(2), v(0)},
		{"breaches leaver - -", v(2), v(0)},
		{"breaches joiner - -", v(0), v(0)},
		{"breaches - standard -", v(1), v(0)},
		{"breaches - privileged -", v(1), v(0)},
		{"breaches - - aws-prod", v(1), v(0)},
		{"breaches - - salesforce", v(1), v(0)},
		{"breaches - - okta", v(0), v(0)},
		{"open_past_deadline - - -", v(1), v(0)},
		{"open_past_deadline leaver - -", v(1), v(0)},
		{"open_past_deadline - - salesforce", v(1), v(0)},
		{"open_past_deadline - - github", v(0), v(0)},
		// lag: period [0 c1, 7200 c3, 0 c4, 10800 c8]; baseline [0 c6, 21600 c7].
		{"hr_to_it_lag_seconds_p50 - - -", v(0), v(0)},
		{"hr_to_it_lag_seconds_p90 - - -", v(10800), v(21600)},
		{"hr_to_it_lag_seconds_p90 joiner - -", v(10800), v(0)},
		{"hr_to_it_lag_seconds_p50 leaver - -", v(0), v(21600)},
		{"hr_to_it_lag_seconds_p90 leaver - -", v(7200), v(21600)},
		{"hr_to_it_lag_seconds_p50 mover - -", null, null},
		// nhi: none due in the period; c7's in the baseline.
		{"nhi_offboarded_within_sla_ratio - - -", null, v(1)},
		{"orphaned_accounts - - -", v(1), v(1)},
		{"orphaned_accounts - - okta", v(1), v(0)},
		{"orphaned_accounts - - salesforce", v(0), v(1)},
		// no --policy
		{"integration_coverage_ratio - - -", null, null},
	})

	// Derived columns, by hand.
	idx := index(t, rep)
	for _, c := range []struct {
		key             string
		delta, deltaPct *float64
		dir             string
	}{
		{"time_to_provision_seconds_p50 - - -", v(-10800), v(-150), Improved},
		{"steps_within_sla_ratio - - -", v(-0.1), v(-20), Regressed},
		{"steps_within_sla_ratio joiner - -", v(0.5), null, Improved}, // baseline 0: no relative delta
		{"steps_within_sla_ratio - standard -", v(0), v(0), Unchanged},
		{"breaches - - -", v(2), null, Regressed},
		{"orphaned_accounts - - salesforce", v(-1), v(-100), Improved},
		{"nhi_offboarded_within_sla_ratio - - -", null, null, ""},
		{"time_to_revoke_seconds_p50 - privileged -", null, null, ""},
	} {
		m := idx[c.key]
		if !near(m.Delta, c.delta) || !near(m.DeltaPct, c.deltaPct) {
			t.Errorf("%s: delta %s, delta_pct %s; want %s, %s", c.key, fmtVal(m.Delta), fmtVal(m.DeltaPct), fmtVal(c.delta), fmtVal(c.deltaPct))
		}
		if got := str(m.Direction); got != c.dir {
			t.Errorf("%s: direction %q, want %q", c.key, got, c.dir)
		}
	}
	// Systems of rows: only those of the populations (c2 and c5 add none).
	for _, k := range []string{"time_to_modify_seconds_p50 - - okta", "time_to_revoke_seconds_p50 - - salesforce", "orphaned_accounts - - github"} {
		if _, ok := idx[k]; ok {
			t.Errorf("unexpected row %s", k)
		}
	}
	if rep.Events != 32 {
		t.Errorf("Events = %d, want 32", rep.Events)
	}
}

// TestGolden compares whole reports with testdata/*.want.* files (checked by
// hand against TestBoundaries' computations). Run with -update to rewrite.
func TestGolden(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		opts   Options
		format Format
		file   string
	}{
		{"boundaries json", Options{Inputs: []string{"testdata/boundaries.jsonl"},
			Period: mustWindow(t, "2026-03-02/2026-03-09", time.UTC), Baseline: mustWindow(t, "2026-02-23/2026-03-02", time.UTC)},
			FormatJSON, "testdata/boundaries.want.json"},
		{"boundaries csv", Options{Inputs: []string{"testdata/boundaries.jsonl"},
			Period: mustWindow(t, "2026-03-02/2026-03-09", time.UTC), Baseline: mustWindow(t, "2026-02-23/2026-03-02", time.UTC)},
			FormatCSV, "testdata/boundaries.want.csv"},
		{"boundaries table", Options{Inputs: []string{"testdata/boundaries.jsonl"},
			Period: mustWindow(t, "2026-03-02/2026-03-09", time.UTC), Baseline: mustWindow(t, "2026-02-23/2026-03-02", time.UTC)},
			FormatTable, "testdata/boundaries.want.txt"},
		{"default period, no baseline, berlin", Options{Inputs: []string{"testdata/boundaries.jsonl"}, Location: loc,
			PolicySystems: []string{"okta", "aws-prod", "salesforce", "payroll"}},
			FormatJSON, "testdata/default-period.want.json"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := build(t, c.opts)
			var b strings.Builder
			if err := rep.Write(&b, c.format); err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(c.file, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("%s differs from %s:\n%s", c.name, c.file, b.String())
			}
		})
	}
}
