package replay_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/replay"
	"github.com/jmlwatch/jmlwatch/store"
)

var update = flag.Bool("update", false, "rewrite the expected output of scenario files")

// A scenario file has sections, each starting with a line "== NAME [ARG]":
//
//	== policy            the policy YAML (else testdata/scenarios/policy.yaml)
//	== input [FORMAT]    one input (cloudevents, okta or entra; vendor
//	                     lines are raw JSON); repeat for several inputs
//	                     (interleaved by event time, ties by section order)
//	== until RFC3339     optional
//	== output            the expected outputs, one a line (see render)
//
// Lines starting with # before the first section are the description.
// An input line is either a JSON CloudEvent or the short form
//
//	TYPE id=ID time=RFC3339 [source=S] key=value ...
//
// where TYPE drops the "io.jmlwatch." prefix, other keys go to data
// (dotted keys nest, values that parse as JSON are JSON, else strings).
type scenario struct {
	path    string
	header  string
	policy  string
	inputs  [][]string
	formats []string
	until   string
	output  []string
	outLine int
}

func parseScenario(t *testing.T, path string) *scenario {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := &scenario{path: path}
	section := ""
	var header []string
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "== ") {
			f := strings.Fields(line[3:])
			section = f[0]
			switch section {
			case "input":
				sc.inputs = append(sc.inputs, nil)
				format := "cloudevents"
				if len(f) > 1 {
					format = f[1]
				}
				sc.formats = append(sc.formats, format)
			case "until":
				sc.until = f[1]
			case "output":
				sc.outLine = i
			case "policy":
			default:
				t.Fatalf("%s:%d: unknown section %q", path, i+1, section)
			}
			continue
		}
		switch section {
		case "":
			header = append(header, line)
		case "policy":
			sc.policy += line + "\n"
		case "input":
			if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
				sc.inputs[len(sc.inputs)-1] = append(sc.inputs[len(sc.inputs)-1], line)
			}
		case "output":
			if strings.TrimSpace(line) != "" {
				sc.output = append(sc.output, line)
			}
		}
	}
	sc.header = strings.Join(header, "\n")
	return sc
}

// shortInput turns the short input form into a CloudEvent JSON object.
func shortInput(line string) (string, error) {
	if strings.HasPrefix(line, "{") {
		return line, nil
	}
	fields, err := splitFields(line)
	if err != nil {
		return "", err
	}
	typ := "io.jmlwatch." + fields[0]
	ce := map[string]any{"specversion": "1.0", "type": typ, "datacontenttype": "application/json"}
	data := map[string]any{}
	switch {
	case strings.HasPrefix(fields[0], "hr."):
		ce["source"] = "hr"
	case strings.HasPrefix(fields[0], "nhi."):
		ce["source"] = "nhi"
	case strings.HasPrefix(fields[0], "ticket."):
		ce["source"] = "tickets"
	default:
		ce["source"] = "idp"
	}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", fmt.Errorf("field %q is not key=value", f)
		}
		var val any = v
		var j any
		if json.Unmarshal([]byte(v), &j) == nil {
			val = j
		}
		switch k {
		case "id", "source", "time":
			ce[k] = v
			continue
		}
		m := data
		parts := strings.Split(k, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = val
	}
	ce["data"] = data
	b, err := json.Marshal(ce)
	return string(b), err
}

// splitFields splits on spaces, keeping "double quoted" values together.
func splitFields(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQ := false
	for _, r := range s {
		switch {
		case r == '"' && !inQ && strings.HasSuffix(cur.String(), "="):
			inQ = true
		case r == '"' && inQ:
			inQ = false
		case r == ' ' && !inQ:
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if inQ {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out, nil
}

type sliceSource struct {
	name string
	recs []replay.Record
}

func (s *sliceSource) Next() (replay.Record, error) {
	if len(s.recs) == 0 {
		return replay.Record{}, io.EOF
	}
	r := s.recs[0]
	s.recs = s.recs[1:]
	return r, nil
}

// run replays a scenario and renders its outputs and rejections.
func run(t *testing.T, sc *scenario, order []int) []string {
	t.Helper()
	return runOn(t, sc, order, memState{memkv.New()}, 0)
}

// runOn is run on state, with batchSize records a batch (0: Run's default).
func runOn(t *testing.T, sc *scenario, order []int, state replay.State, batchSize int) []string {
	t.Helper()
	polText := sc.policy
	if polText == "" {
		b, err := os.ReadFile("testdata/scenarios/policy.yaml")
		if err != nil {
			t.Fatal(err)
		}
		polText = string(b)
	}
	pol, err := policy.Parse([]byte(polText), "policy")
	if err != nil {
		t.Fatalf("%s: %v", sc.path, err)
	}
	names := map[string]string{} // case_id -> trigger id
	var sources []replay.Source
	for _, idx := range order {
		src := &sliceSource{name: fmt.Sprintf("input%d", idx)}
		decode, err := input.NewDecoders(pol.Aliases).For(input.Format(sc.formats[idx]))
		if err != nil {
			t.Fatalf("%s: %v", sc.path, err)
		}
		for i, line := range sc.inputs[idx] {
			js := line
			if sc.formats[idx] == "cloudevents" {
				if js, err = shortInput(line); err != nil {
					t.Fatalf("%s: input %d line %d: %v", sc.path, idx, i+1, err)
				}
			}
			for _, it := range decode([]byte(js)) {
				if it.Event != nil && strings.HasPrefix(it.Event.Type, "io.jmlwatch.hr.") {
					names[correlator.CaseID(it.Event.Source, it.Event.ID)] = it.Event.ID
				}
				src.recs = append(src.recs, replay.Record{Input: src.name, Line: i + 1, Item: it})
			}
		}
		sources = append(sources, src)
	}
	var lines []string
	cfg := replay.Config{
		Correlator: correlator.New(pol),
		State:      state,
		BatchSize:  batchSize,
		Sources:    sources,
		Output: func(o events.Output) error {
			lines = append(lines, render(o, names))
			return nil
		},
		Reject: func(r replay.Record) {
			lines = append(lines, fmt.Sprintf("rejected %s:%d %s", r.Input, r.Line, r.Item.Err))
		},
	}
	if sc.until != "" {
		u, err := time.Parse(time.RFC3339, sc.until)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Until = &u
	}
	if _, err := replay.Run(context.Background(), cfg); err != nil {
		t.Fatalf("%s: %v", sc.path, err)
	}
	return lines
}

type memState struct{ kv *memkv.KV }

func (m memState) NewBatch() replay.Batch { return m.kv.NewBatch() }

// render writes an output as "TYPE TIME key=value ...", the data's fields
// in their JSON order, case ids replaced by their trigger's id.
func render(o events.Output, names map[string]string) string {
	b, err := json.Marshal(o.Data)
	if err != nil {
		return err.Error()
	}
	var buf strings.Builder
	buf.WriteString(strings.TrimPrefix(o.Type, "io.jmlwatch."))
	buf.WriteString(" " + o.Time.UTC().Format(time.RFC3339))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m orderedObject
	if err := dec.Decode(&m); err != nil {
		return err.Error()
	}
	for _, kv := range m {
		if kv.k == "worker_id" || kv.k == "effective_at" && o.Type != events.TypeCaseOpened {
			continue
		}
		v := kv.v
		if kv.k == "case_id" {
			var id string
			_ = json.Unmarshal(v, &id)
			if n, ok := names[id]; ok {
				id = n
			}
			v = []byte(id)
		} else if kv.k == "steps" && o.Type == events.TypeCaseOpened {
			var steps []events.StepInfo
			_ = json.Unmarshal(v, &steps)
			var ss []string
			for _, s := range steps {
				ss = append(ss, fmt.Sprintf("%s/%s/%s", s.StepID, s.Tier, s.Deadline.UTC().Format(time.RFC3339)))
			}
			v = []byte("[" + strings.Join(ss, " ") + "]")
		} else if len(v) > 0 && v[0] == '"' {
			var s string
			_ = json.Unmarshal(v, &s)
			v = []byte(s)
		}
		fmt.Fprintf(&buf, " %s=%s", kv.k, v)
	}
	return buf.String()
}

type kvPair struct {
	k string
	v json.RawMessage
}

type orderedObject []kvPair

func (o *orderedObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		tk, err := dec.Token()
		if err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		*o = append(*o, kvPair{tk.(string), raw})
	}
	return nil
}

func scenarioFiles(t *testing.T) []string {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenarios")
	}
	return files
}

// TestScenarios replays every scenario file and compares the outputs: on
// memkv with replay's batch size, and on the Pebble store replay uses, one
// record a batch, so that state crossing a commit is read back from Pebble
// and the row cache.
func TestScenarios(t *testing.T) {
	for _, path := range scenarioFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			sc := parseScenario(t, path)
			order := make([]int, len(sc.inputs))
			for i := range order {
				order[i] = i
			}
			got := run(t, sc, order)
			if *update {
				rewrite(t, sc, got)
				return
			}
			opts := replay.StoreOptions()
			opts.InMemory = true
			db, err := store.Open("", opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for state, got := range map[string][]string{
				"memkv": got,
				"store": runOn(t, sc, order, replay.StoreState(db), 1),
			} {
				if !reflect.DeepEqual(got, sc.output) {
					t.Errorf("%s on %s: outputs differ\n--- got\n%s\n--- want\n%s", path, state, strings.Join(got, "\n"), strings.Join(sc.output, "\n"))
				}
			}
		})
	}
}

func rewrite(t *testing.T, sc *scenario, got []string) {
	b, err := os.ReadFile(sc.path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, l := range lines[:sc.outLine+1] {
		fmt.Fprintln(w, l)
	}
	for _, l := range got {
		fmt.Fprintln(w, l)
	}
	w.Flush()
	if err := os.WriteFile(sc.path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
