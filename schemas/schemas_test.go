package schemas

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/jmlwatch/jmlwatch/events"
)

// inputTypes and outputTypes are every canonical type (SPEC 2 and 7).
var (
	inputTypes = []string{
		events.TypeHRSnapshot, events.TypeHRJoiner, events.TypeHRMover, events.TypeHRLeaver,
		events.TypeHRRescinded, events.TypeAccountCreated, events.TypeAccountEnabled,
		events.TypeAccountDisabled, events.TypeAccountDeleted, events.TypeAccountSnapshot,
		events.TypeAccessGranted, events.TypeAccessRevoked, events.TypeSessionsRevoked,
		events.TypeNHIRegistered, events.TypeNHIReassigned, events.TypeNHIRevoked,
		events.TypeTicketResolved,
	}
	outputTypes = []string{
		events.TypeCaseOpened, events.TypeStepAdded, events.TypeStepCompleted,
		events.TypeCaseCompleted, events.TypeCaseCancelled, events.TypeSLAWarning,
		events.TypeSLABreached, events.TypeOrphanDetected, events.TypeAccountUnowned,
	}
)

func compile(t testing.TB) *Set {
	t.Helper()
	s, err := Compile()
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

func TestCompileCoversEveryType(t *testing.T) {
	s := compile(t)
	want := slices.Sorted(slices.Values(inputTypes))
	if got := s.Types(true); !slices.Equal(got, want) {
		t.Errorf("input types:\n got %v\nwant %v", got, want)
	}
	want = slices.Sorted(slices.Values(outputTypes))
	if got := s.Types(false); !slices.Equal(got, want) {
		t.Errorf("output types:\n got %v\nwant %v", got, want)
	}
	for _, typ := range append(slices.Clone(inputTypes), outputTypes...) {
		if sch, ok := s.For(typ); !ok || sch == nil {
			t.Errorf("For(%q) = %v, %v", typ, sch, ok)
		}
	}
	if _, ok := s.For("io.jmlwatch.nope"); ok {
		t.Error(`For("io.jmlwatch.nope") found a schema`)
	}
	err := s.Validate("io.jmlwatch.nope", map[string]any{})
	if !errors.Is(err, ErrUnknownType) {
		t.Errorf("Validate(unknown type) = %v, want ErrUnknownType", err)
	}
}

// TestSchemaFiles checks the conventions of the files themselves: draft
// 2020-12, $id = BaseURL + path, title = the type the file name gives.
func TestSchemaFiles(t *testing.T) {
	files, err := schemaFiles()
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1+len(inputTypes)+len(outputTypes) {
		t.Errorf("%d schema files, want %d", len(files), 1+len(inputTypes)+len(outputTypes))
	}
	for _, name := range files {
		b, err := fs.ReadFile(FS, name)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Schema string `json:"$schema"`
			ID     string `json:"$id"`
			Title  string `json:"title"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
			t.Errorf("%s: $schema %q", name, doc.Schema)
		}
		if doc.ID != BaseURL+name {
			t.Errorf("%s: $id %q, want %q", name, doc.ID, BaseURL+name)
		}
		if typ := strings.TrimSuffix(filepath.Base(name), ".json"); name != "common.json" && doc.Title != typ {
			t.Errorf("%s: title %q, want %q", name, doc.Title, typ)
		}
	}
}

// record is one JSON value of a testdata file with the line it starts on.
type record struct {
	name  string // file:line
	value []byte
}

// readRecords reads a testdata file: .jsonl is one value a non-blank line,
// anything else one document.
func readRecords(t *testing.T, path string) []record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, ".jsonl") {
		return []record{{name: path + ":1", value: b}}
	}
	var recs []record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
			recs = append(recs, record{name: path + ":" + strconv.Itoa(n), value: slices.Clone(line)})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return recs
}

func glob(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestValidSamples: every element of every valid sample is accepted by the
// decoder and by the schema of its type.
func TestValidSamples(t *testing.T) {
	s := compile(t)
	files := glob(t, "testdata/valid/*")
	if len(files) == 0 {
		t.Fatal("no testdata/valid files")
	}
	seen := map[string]bool{}
	for _, f := range files {
		for _, rec := range readRecords(t, f) {
			items := events.DecodeStructured(rec.value)
			for i, it := range items {
				if it.Err != nil {
					t.Errorf("%s[%d]: decoder rejects a valid sample: %v", rec.name, i, it.Err)
					continue
				}
				if rej := s.CheckInput(it.Raw); rej != nil {
					t.Errorf("%s[%d]: schema rejects a valid sample: %v", rec.name, i, rej)
				}
				seen[it.Event.Type] = true
			}
		}
	}
	for _, typ := range inputTypes {
		if !seen[typ] {
			t.Errorf("no valid sample of %s", typ)
		}
	}
}

// invalidSample is a file of testdata/invalid: an event and the reason
// ("code: field") both the decoder and the schema must give.
type invalidSample struct {
	Reason string          `json:"reason"`
	Event  json.RawMessage `json:"event"`
}

func reasonOf(r *events.RejectError) string {
	if r == nil {
		return "accepted"
	}
	if r.Field == "" {
		return string(r.Code)
	}
	return string(r.Code) + ": " + r.Field
}

// TestInvalidSamples: each invalid sample is rejected by the decoder and
// by the schema, with the same code and field.
func TestInvalidSamples(t *testing.T) {
	s := compile(t)
	files := glob(t, "testdata/invalid/*.json")
	if len(files) < 50 {
		t.Fatalf("%d invalid samples, want at least 50", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var sample invalidSample
			if err := json.Unmarshal(b, &sample); err != nil || sample.Reason == "" || len(sample.Event) == 0 {
				t.Fatalf("malformed sample (want {\"reason\":..., \"event\":...}): %v", err)
			}
			items := events.DecodeStructured(sample.Event)
			if len(items) != 1 {
				t.Fatalf("decoder: %d items, want 1", len(items))
			}
			if got := reasonOf(items[0].Err); got != sample.Reason {
				t.Errorf("decoder: %s (%v), want %s", got, items[0].Err, sample.Reason)
			}
			if got := s.CheckInput(sample.Event); reasonOf(got) != sample.Reason {
				t.Errorf("schema: %s (%v), want %s", reasonOf(got), got, sample.Reason)
			}
		})
	}
}

// TestAgreesWithDecoderTestdata runs the decoder's own corpus (events/
// testdata) through the schemas: every element the decoder accepts, the
// schema accepts; every rejection in reject.tsv other than bad_json (which
// a schema cannot see) is the schema's rejection too, code and field.
func TestAgreesWithDecoderTestdata(t *testing.T) {
	s := compile(t)
	dir := filepath.Join("..", "events", "testdata")
	var accepted int
	for _, f := range append(glob(t, filepath.Join(dir, "*.jsonl")), glob(t, filepath.Join(dir, "*.json"))...) {
		if strings.Contains(filepath.Base(f), "output") {
			continue // outputs: see TestEncodedOutputs
		}
		for _, rec := range readRecords(t, f) {
			for i, it := range events.DecodeStructured(rec.value) {
				if it.Err != nil {
					if rej := s.CheckInput(it.Raw); rej == nil && it.Err.Code != events.ReasonBadJSON {
						t.Errorf("%s[%d]: decoder rejects (%v), schema accepts", rec.name, i, it.Err)
					}
					continue
				}
				accepted++
				if rej := s.CheckInput(it.Raw); rej != nil {
					t.Errorf("%s[%d]: decoder accepts, schema rejects: %v", rec.name, i, rej)
				}
			}
		}
	}
	if accepted == 0 {
		t.Errorf("no accepted events in %s", dir)
	}

	tsv := filepath.Join(dir, "reject.tsv")
	b, err := os.ReadFile(tsv)
	if err != nil {
		t.Fatalf("the decoder's rejection table: %v", err)
	}
	var rows int
	for n, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		code, rest, _ := strings.Cut(line, "\t")
		field, value, ok := strings.Cut(rest, "\t")
		if !ok {
			t.Fatalf("%s:%d: want code<TAB>field<TAB>value", tsv, n+1)
		}
		if code == string(events.ReasonBadJSON) {
			continue
		}
		rows++
		want := code
		if field != "-" {
			want += ": " + field
		}
		if got := s.CheckInput([]byte(value)); reasonOf(got) != want {
			t.Errorf("%s:%d: schema: %s (%v), decoder: %s", tsv, n+1, reasonOf(got), got, want)
		}
	}
	if rows == 0 {
		t.Errorf("%s: no rows", tsv)
	}
}

func TestCheckEnvelopeShape(t *testing.T) {
	s := compile(t)
	for _, tc := range []struct {
		value, want string
	}{
		{`{"a":`, "bad_json"},
		{`[]`, "bad_json"},
		{`"x"`, "bad_json"},
		{`{"type":"io.jmlwatch.hr.joiner"}`, "missing_field: specversion"},
		{`{"specversion":"1.0","id":"1","source":"s"}`, "missing_field: type"},
		{`{"specversion":"1.0","id":"1","source":"s","type":7}`, "bad_value: type"},
		{`{"specversion":"1.0","id":"1","source":"s","type":""}`, "missing_field: type"},
		{`{"specversion":"1.0","id":"1","source":"s","type":"io.jmlwatch.case.exploded"}`, "unknown_type: type"},
		{`{"specversion":"1.0","source":"s","type":"io.jmlwatch.case.exploded"}`, "missing_field: id"},
		{`{"specversion":"1.0","id":"1","source":"s","type":"io.jmlwatch.case.opened"}`, "unknown_type: type"},
	} {
		if got := reasonOf(s.CheckInput([]byte(tc.value))); got != tc.want {
			t.Errorf("Check(%s) = %s, want %s", tc.value, got, tc.want)
		}
	}
}

func TestRejectNonValidationError(t *testing.T) {
	r := Reject(errors.New("boom"))
	if r.Code != events.ReasonBadValue || !strings.Contains(r.Detail, "boom") {
		t.Errorf("Reject(boom) = %v", r)
	}
}

// TestValidateDoc exercises Validate with a document decoded by the
// library, as a tool holding parsed JSON would call it.
func TestValidateDoc(t *testing.T) {
	s := compile(t)
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"specversion":"1.0","id":"1","source":"s",` +
		`"type":"io.jmlwatch.nhi.revoked","time":"2026-01-01T00:00:00Z","data":{"nhi_id":"n","system":"okta"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(events.TypeNHIRevoked, doc); err != nil {
		t.Errorf("valid nhi.revoked: %v", err)
	}
	// The same document against another type's schema fails on the type
	// constant and on the data the other type requires.
	err = s.Validate(events.TypeNHIRegistered, doc)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("nhi.revoked as nhi.registered: %v, want a validation error", err)
	}
	if r := Reject(err); r.Code != events.ReasonBadValue || r.Field != "type" {
		t.Errorf("Reject = %v, want bad_value: type", r)
	}
}
