package report

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	for _, c := range []struct {
		vals []int64
		want [numStats]int64 // p50, p90, p99, max
	}{
		{[]int64{5}, [numStats]int64{5, 5, 5, 5}},
		{[]int64{2, 1}, [numStats]int64{1, 2, 2, 2}},                // ranks 1, 2, 2
		{[]int64{3, 1, 2}, [numStats]int64{2, 3, 3, 3}},             // ceil(1.5)=2
		{[]int64{4, 3, 2, 1}, [numStats]int64{2, 4, 4, 4}},          // ceil(2)=2, ceil(3.6)=4
		{[]int64{-5, 10, 0, 7, -1}, [numStats]int64{0, 10, 10, 10}}, // negatives count as they are
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, [numStats]int64{5, 9, 10, 10}},
	} {
		var s []sample
		for _, v := range c.vals {
			s = append(s, sample{ns: v})
		}
		got := percentiles(s, 1, 0, false)[0]
		if got.n != int64(len(c.vals)) || got.v != c.want {
			t.Errorf("%v: got %v (n %d), want %v", c.vals, got.v, got.n, c.want)
		}
	}
	// 1..100: p50 = 50, p90 = 90, p99 = 99 (ceil(0.99*100) = 99 exactly).
	var s []sample
	for i := int64(100); i >= 1; i-- {
		s = append(s, sample{ns: i})
	}
	if got := percentiles(s, 1, 0, false)[0].v; got != [numStats]int64{50, 90, 99, 100} {
		t.Errorf("1..100: %v", got)
	}
	// 1..1000: p99 = 990.
	s = s[:0]
	for i := int64(1); i <= 1000; i++ {
		s = append(s, sample{ns: i})
	}
	if got := percentiles(s, 1, 0, false)[0].v; got != [numStats]int64{500, 900, 990, 1000} {
		t.Errorf("1..1000: %v", got)
	}
}

// TestPercentilesGroups: the one-pass grouped computation equals sorting
// each group on its own.
func TestPercentilesGroups(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const ngroups, nsys = 2, 5
	var s []sample
	for range 1000 {
		s = append(s, sample{ns: rng.Int64N(2000) - 500, group: uint8(rng.IntN(ngroups)), sys: uint16(rng.IntN(nsys))})
	}
	ref := func(keep func(sample) bool) pctl {
		var v []int64
		for _, x := range s {
			if keep(x) {
				v = append(v, x.ns)
			}
		}
		slices.Sort(v)
		p := pctl{n: int64(len(v))}
		for k, pc := range statPercent {
			if len(v) > 0 {
				p.v[k] = v[(pc*int64(len(v))+99)/100-1]
			}
		}
		return p
	}
	got := percentiles(slices.Clone(s), ngroups, nsys, true)
	if want := ref(func(sample) bool { return true }); got[0] != want {
		t.Errorf("all: %v, want %v", got[0], want)
	}
	for g := range ngroups {
		if want := ref(func(x sample) bool { return int(x.group) == g }); got[1+g] != want {
			t.Errorf("group %d: %v, want %v", g, got[1+g], want)
		}
	}
	for sy := range nsys {
		if want := ref(func(x sample) bool { return int(x.sys) == sy }); got[1+ngroups+sy] != want {
			t.Errorf("system %d: %v, want %v", sy, got[1+ngroups+sy], want)
		}
	}
}

func TestParseWindow(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		in       string
		loc      *time.Location
		from, to string // RFC 3339 in UTC; empty: an error
	}{
		{"2026-03-01/2026-04-01", time.UTC, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"},
		{"2026-03-01/2026-04-01", berlin, "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z"}, // DST starts 03-29
		{"2026-03-01T12:00:00+02:00/2026-03-02", time.UTC, "2026-03-01T10:00:00Z", "2026-03-02T00:00:00Z"},
		{"2026-03-01T00:00:00.5Z/2026-03-01T00:00:01Z", time.UTC, "2026-03-01T00:00:00.5Z", "2026-03-01T00:00:01Z"},
		{" 2026-03-01 / 2026-03-02 ", time.UTC, "2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"},
		{"2026-03-01", time.UTC, "", ""},
		{"2026-03-02/2026-03-01", time.UTC, "", ""},
		{"2026-03-01/2026-03-01", time.UTC, "", ""},
		{"2026-02-30/2026-03-01", time.UTC, "", ""},
		{"yesterday/today", time.UTC, "", ""},
		{"2026-03-01T00:00:00/2026-03-02", time.UTC, "", ""}, // no offset
	} {
		w, err := ParseWindow(c.in, c.loc)
		if c.from == "" {
			if err == nil {
				t.Errorf("%q: want an error, got %v", c.in, w)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if got := w.From.UTC().Format(time.RFC3339Nano); got != c.from {
			t.Errorf("%q: from %s, want %s", c.in, got, c.from)
		}
		if got := w.To.UTC().Format(time.RFC3339Nano); got != c.to {
			t.Errorf("%q: to %s, want %s", c.in, got, c.to)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, s := range []string{
		"2026-03-01T00:00:00Z", "2026-03-01T23:59:59.999999999Z", "2024-02-29T12:00:00+05:30",
		"1970-01-01T00:00:00Z", "1969-12-31T23:59:59.1-01:00",
		"2026-03-01T00:00:00.1234567891Z", "2100-12-31T23:59:59Z", "1700-01-01T00:00:00Z",
	} {
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		got, ok := parseTime([]byte(s))
		if !ok || got != want.UnixNano() {
			t.Errorf("%q: %d %v, want %d", s, got, ok, want.UnixNano())
		}
	}
	for _, s := range []string{"", "2026-03-01", "2026-02-29T00:00:00Z", "2026-03-01T24:00:00Z", "2026-03-01T00:00:00",
		"2026-03-01 00:00:00Z", "2026-13-01T00:00:00Z", "2026-03-01T00:00:00.Z",
		// Outside what Unix nanoseconds hold: refused, not wrapped.
		"1600-01-01T00:00:00Z", "2300-01-01T00:00:00Z", "1677-09-21T00:12:43Z", "2262-04-12T00:00:00Z",
		"1600-01-01T00:00:00.5Z", "2300-01-01T00:00:00+01:00"} {
		if _, ok := parseTime([]byte(s)); ok {
			t.Errorf("%q: parsed, want an error", s)
		}
	}
}

func TestFormatValue(t *testing.T) {
	for _, c := range []struct {
		name string
		v    *float64
		want string
	}{
		{"steps_within_sla_ratio", v(0.875), "87.5%"},
		{"steps_within_sla_ratio", nil, "n/a"},
		{"time_to_revoke_seconds_p50", v(93784), "1d 2h"},
		{"time_to_revoke_seconds_p50", v(3600), "1h"},
		{"time_to_revoke_seconds_p50", v(5430), "1h 30m"},
		{"time_to_revoke_seconds_p50", v(-90), "-1m 30s"},
		{"time_to_revoke_seconds_p50", v(0.25), "0.25s"},
		{"time_to_revoke_seconds_p50", v(12), "12s"},
		{"breaches", v(3), "3"},
		{"breaches", v(754144), "754,144"},
		{"breaches", v(1000), "1,000"},
		{"breaches", v(100), "100"},
		{"breaches", v(1234567), "1,234,567"},
	} {
		if got := FormatValue(c.name, c.v); got != c.want {
			t.Errorf("FormatValue(%s, %s) = %q, want %q", c.name, fmtVal(c.v), got, c.want)
		}
	}
	if got := FormatDelta("steps_within_sla_ratio", v(-0.125)); got != "-12.5 pp" {
		t.Errorf("FormatDelta = %q", got)
	}
	if got := FormatDelta("breaches", v(-12345)); got != "-12,345" {
		t.Errorf("FormatDelta = %q", got)
	}
	if got := FormatDelta("breaches", v(2)); got != "+2" {
		t.Errorf("FormatDelta = %q", got)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"table", "json", "csv", "html"} {
		if f, err := ParseFormat(s); err != nil || string(f) != s {
			t.Errorf("ParseFormat(%q) = %q, %v", s, f, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml): want an error")
	}
}

func TestDecodeStepFieldErrors(t *testing.T) {
	const head = `{"type":"io.jmlwatch.step.added","time":"2026-03-01T00:00:00Z","data":`
	tests := []struct {
		name, data, want string
	}{
		{"step tier", `{"tier":1}`, "data.tier: not a string"},
		{"step deadline", `{"deadline":"soon"}`, `data.deadline: bad timestamp "soon"`},
		{"element system", `{"steps":[{"system":true}]}`, "data.steps[].system: not a string"},
		{"element deadline", `{"steps":[{"deadline":"x"}]}`, `data.steps[].deadline: bad timestamp "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d decoder
			_, err := d.decode([]byte(head + tt.data + "}"))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("decode: got %v, want %q", err, tt.want)
			}
		})
	}
	var d decoder
	ev, err := d.decode([]byte(head + `{"steps":[{"step_id":"s","system":"okta","action":"grant","tier":"standard","deadline":"2026-03-02T00:00:00Z","x":[1]}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.steps) != 1 || ev.steps[0].have != hasStepID|hasSystem|hasAction|hasTier|hasDeadline || string(ev.steps[0].system) != "okta" {
		t.Fatalf("steps = %+v", ev.steps)
	}
}
