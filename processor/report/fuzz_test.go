package report

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"
	"unicode/utf8"
)

func addSeeds(f *testing.F) {
	data, err := os.ReadFile("testdata/boundaries.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range bytes.Split(data, []byte("\n")) {
		f.Add(l)
	}
	f.Add([]byte(`{"type":"x","time":"2026-01-01T00:00:00Z","data":{"case_id":"a\u00e9\ud83d\ude00\"","steps":[{"step_id":"\ud800x"}]}}`))
	f.Add([]byte(`{"data":null,"type":null}`))
	f.Add([]byte(`[{"a":1e5,"b":-0.5E-3,"c":[true,false,null]}]`))
}

// FuzzDecode checks the hand-written decoder against encoding/json: it
// accepts exactly the valid JSON objects, and reads the same fields.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		var d decoder
		ev, err := d.decode(b)
		_, syntax := err.(*syntaxError)
		var m map[string]any
		jerr := json.Unmarshal(b, &m)
		if valid := json.Valid(b); !valid {
			if err == nil || !syntax {
				t.Fatalf("invalid json %q: decode err = %v, want a syntax error", b, err)
			}
			return
		}
		if jerr != nil { // valid JSON but not an object
			if !syntax {
				t.Fatalf("non-object %q: decode err = %v, want a syntax error", b, err)
			}
			return
		}
		if syntax {
			t.Fatalf("valid object %q: decode err = %v", b, err)
		}
		if err != nil || !utf8.Valid(b) {
			return // a field error (checked below for time), or bytes encoding/json rewrites
		}
		if s, _ := m["type"].(string); parseType([]byte(s)) != ev.typ {
			t.Fatalf("%q: type %v, want %q", b, ev.typ, s)
		}
		if s, _ := m["time"].(string); !sameTime(s, ev.time) {
			t.Fatalf("%q: time %d, want %q", b, ev.time, s)
		}
		data, _ := m["data"].(map[string]any)
		for key, got := range map[string][]byte{"case_id": ev.caseID, "kind": ev.kind, "step_id": ev.step.stepID,
			"system": ev.step.system, "action": ev.step.action, "tier": ev.step.tier, "account_id": ev.account} {
			want, isStr := data[key].(string)
			if isStr != (got != nil) || string(got) != want {
				t.Fatalf("%q: data.%s = %q, want %q", b, key, got, data[key])
			}
		}
		if steps, ok := data["steps"].([]any); ok && len(steps) != len(ev.steps) {
			t.Fatalf("%q: %d steps, want %d", b, len(ev.steps), len(steps))
		}
	})
}

func sameTime(s string, ns int64) bool {
	t, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && t.UnixNano() == ns
}

// FuzzCollect feeds arbitrary lines to the whole pipeline: no panic, and
// the report renders in every format.
func FuzzCollect(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		c := newCollector()
		var d decoder
		for _, l := range bytes.Split(b, []byte("\n")) {
			if ev, err := d.decode(l); err == nil {
				_ = c.add(ev)
			}
		}
		w := Window{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
		cur := c.compute(w, time.UTC)
		rep := &Report{Period: Range{w.From, w.To}, Metrics: rows(c.systems, cur, cur, []string{"okta"})}
		rep.charts = buildCharts(c.systems, cur, cur)
		for _, f := range []Format{FormatJSON, FormatCSV, FormatTable} {
			var out bytes.Buffer
			if err := rep.Write(&out, f); err != nil {
				t.Fatal(err)
			}
		}
	})
}
