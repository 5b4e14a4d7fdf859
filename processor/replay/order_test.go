package replay_test

import (
	"slices"
	"sort"
	"strings"
	"testing"
)

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 1 {
		return [][]int{{0}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(slices.Clone(p[:i]), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

// field returns the value of key=value in a rendered output line.
func field(line, key string) string {
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, key+"="); ok {
			return v
		}
	}
	return ""
}

// TestArrivalOrder replays multi-input scenarios in every input order
// (each input keeping its own order): the latency and within_sla of every
// completed step, and the cases that survive, must not change (SPEC 6).
func TestArrivalOrder(t *testing.T) {
	for _, name := range []string{"arrival_order", "same_time_triggers"} {
		sc := parseScenario(t, "testdata/scenarios/"+name+".txt")
		var want []string
		for _, order := range permutations(len(sc.inputs)) {
			lines := run(t, sc, order)
			var got []string
			cancelled := map[string]bool{}
			for _, l := range lines {
				if strings.HasPrefix(l, "case.cancelled") {
					cancelled[field(l, "case_id")] = true
				}
			}
			for _, l := range lines {
				switch {
				case strings.HasPrefix(l, "step.completed"):
					got = append(got, strings.Join([]string{field(l, "case_id"), field(l, "step_id"),
						field(l, "latency_seconds"), field(l, "within_sla")}, " "))
				case strings.HasPrefix(l, "case.opened") && !cancelled[field(l, "case_id")]:
					got = append(got, "survives "+field(l, "case_id"))
				}
			}
			sort.Strings(got)
			if want == nil {
				want = got
				if len(want) == 0 {
					t.Fatalf("%s: nothing to compare", name)
				}
				continue
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: order %v changed the results:\n got %v\nwant %v", name, order, got, want)
			}
		}
	}
}
