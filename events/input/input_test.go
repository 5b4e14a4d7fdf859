package input

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/jmlwatch/jmlwatch/events"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    Spec
		wantErr bool
	}{
		{in: "events.jsonl", want: Spec{FormatCloudEvents, "events.jsonl"}},
		{in: "okta:/var/log/okta.json", want: Spec{FormatOkta, "/var/log/okta.json"}},
		{in: "entra:audit.json", want: Spec{FormatEntra, "audit.json"}},
		{in: "cloudevents:ce.jsonl", want: Spec{FormatCloudEvents, "ce.jsonl"}},
		{in: "cloudevents:okta:x.json", want: Spec{FormatCloudEvents, "okta:x.json"}},
		{in: "okta:c:\\logs\\o.json", want: Spec{FormatOkta, "c:\\logs\\o.json"}},
		{in: "C:\\logs\\ce.json", want: Spec{FormatCloudEvents, "C:\\logs\\ce.json"}},
		{in: "data/2026:05:29.jsonl", want: Spec{FormatCloudEvents, "data/2026:05:29.jsonl"}},
		{in: "Okta:x.json", want: Spec{FormatCloudEvents, "Okta:x.json"}},
		{in: "splunk:x.json", want: Spec{FormatCloudEvents, "splunk:x.json"}},
		{in: ":x.json", want: Spec{FormatCloudEvents, ":x.json"}},
		{in: "", wantErr: true},
		{in: "okta:", wantErr: true},
		{in: "cloudevents:", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseSpec(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil {
			if back, err := ParseSpec(got.String()); err != nil || back != got {
				t.Errorf("ParseSpec(%q.String()) = %+v, %v", tc.in, back, err)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": FormatCloudEvents, "cloudevents": FormatCloudEvents, "okta": FormatOkta, "entra": FormatEntra} {
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"OKTA", "json", " okta"} {
		if got, err := ParseFormat(in); err == nil {
			t.Errorf("ParseFormat(%q) = %q, want an error", in, got)
		}
	}
}

// readAll returns every record of a testdata file.
func readAll(t *testing.T, path string) []Record {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []Record
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("Next after the end = %v, want io.EOF", err)
	}
	return recs
}

type rec struct {
	line   int
	prefix string // Value starts with
	suffix string // and ends with
}

func TestReader(t *testing.T) {
	tests := []struct {
		file string
		want []rec
	}{
		{"events.jsonl", []rec{{1, `{"specversion":"1.0","id":"e1"`, `}}`}, {3, `{"specversion":"1.0","id":"e2"`, `}}`},
			{5, `{"specversion":"1.0", "id": broken`, `broken`}, {6, `{"specversion":"1.0","id":"e3"`, `}}`}}},
		{"crlf.jsonl", []rec{{1, `{"specversion":"1.0","id":"e1"`, `}}`}, {2, `{"specversion":"1.0","id":"e2"`, `}}`},
			{4, `{"specversion":"1.0","id":"e3"`, `}}`}}},
		{"bom.jsonl", []rec{{1, `{"specversion":"1.0","id":"e1"`, `}}`}, {2, `{"specversion":"1.0","id":"e2"`, `}}`}}},
		{"bad-first-line.jsonl", []rec{{1, `this is not json`, `json`}, {2, `{"specversion":"1.0","id":"e1"`, `}}`}}},
		{"pretty.json", []rec{{3, "{\n  \"specversion\"", "}\n}\n"}}},
		{"bom-pretty.json", []rec{{3, "{\r\n  \"specversion\"", "}\r\n}\r\n"}}},
		{"array.json", []rec{{1, "[\n  {", "}}\n]\n"}}},
		{"broken-doc.json", []rec{{1, "[\n", "]\n"}}},
		// The first line starts a value and is cut short, the next ones are
		// whole: JSON Lines, not one bad document.
		{"truncated-first-line.jsonl", []rec{{1, `{"specversion":"1.0","id":"e0"`, `joiner",`}, {2, `{"specversion":"1.0","id":"e1"`, `}}`},
			{4, `{"specversion":"1.0","id":"e2"`, `}}`}}},
		{"empty.jsonl", nil},
		{"blank.jsonl", nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			recs := readAll(t, filepath.Join("testdata", tc.file))
			if len(recs) != len(tc.want) {
				t.Fatalf("got %d records, want %d (lines %v)", len(recs), len(tc.want), lines(recs))
			}
			for i, w := range tc.want {
				r := recs[i]
				if r.Line != w.line || !bytes.HasPrefix(r.Value, []byte(w.prefix)) || !bytes.HasSuffix(r.Value, []byte(w.suffix)) {
					t.Errorf("record %d = line %d %q; want line %d, %q...%q", i, r.Line, r.Value, w.line, w.prefix, w.suffix)
				}
			}
		})
	}
	// Guard against a checkout that normalised the line ends.
	if b, _ := os.ReadFile("testdata/crlf.jsonl"); !bytes.Contains(b, []byte("\r\n")) {
		t.Error("testdata/crlf.jsonl has lost its CRLF line ends")
	}
}

func TestReaderRecordsAreNotReused(t *testing.T) {
	r := NewReader(strings.NewReader("{\"a\":1}\n{\"b\":2}\n"), "mem")
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	keep := string(first.Value)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if string(first.Value) != keep {
		t.Errorf("first record changed to %q after the second was read", first.Value)
	}
}

func TestReaderLongLines(t *testing.T) {
	// Lines far past any default buffer, in both modes.
	long := `{"specversion":"1.0","id":"long","pad":"` + strings.Repeat("x", 4<<20) + `"}`
	path := filepath.Join(t.TempDir(), "long.jsonl")
	if err := os.WriteFile(path, []byte(long+"\n{\"n\":2}\n"+long), 0o644); err != nil {
		t.Fatal(err)
	}
	recs := readAll(t, path)
	if len(recs) != 3 || string(recs[0].Value) != long || recs[1].Line != 2 || string(recs[2].Value) != long || recs[2].Line != 3 {
		t.Fatalf("got %d records (lines %v)", len(recs), lines(recs))
	}

	doc := "[\n" + long + ",\n" + long + "\n]"
	path = filepath.Join(t.TempDir(), "long.json")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	recs = readAll(t, path)
	if len(recs) != 1 || string(recs[0].Value) != doc {
		t.Fatalf("got %d records, want the document", len(recs))
	}
}

func lines(recs []Record) []int {
	var l []int
	for _, r := range recs {
		l = append(l, r.Line)
	}
	return l
}

func TestReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	r := NewReader(io.MultiReader(strings.NewReader("{\"a\":1}\n"), iotest.ErrReader(boom)), "mem")
	if _, err := r.Next(); err != nil {
		t.Fatalf("first record: %v", err)
	}
	for range 2 {
		if _, err := r.Next(); !errors.Is(err, boom) || !strings.Contains(err.Error(), "mem") {
			t.Errorf("Next = %v, want the read error naming the input", err)
		}
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
}

func TestLineOf(t *testing.T) {
	r := Record{Line: 7, Value: []byte("[\n  {},\n\n  {}\n]")}
	for off, want := range map[int]int{-1: 7, 0: 7, 1: 7, 2: 8, 4: 8, 8: 9, 9: 10, 11: 10, 13: 10, 14: 11, 99: 11} {
		if got := LineOf(r, off); got != want {
			t.Errorf("LineOf(offset %d) = %d, want %d", off, got, want)
		}
	}
}

// located is an item reduced to what TestItemReader checks.
type located struct {
	line int
	id   string        // accepted event id
	code events.Reason // rejection code
}

func collect(t *testing.T, spec Spec, d Decoders) []located {
	t.Helper()
	var got []located
	err := ReadAll(spec, d, func(it Item) error {
		if it.Path != spec.Path {
			t.Errorf("item path %q, want %q", it.Path, spec.Path)
		}
		l := located{line: it.Line}
		switch {
		case it.Event != nil:
			l.id = it.Event.ID
		case it.Err != nil:
			l.code = it.Err.Code
		case it.Skip != nil:
			l.id = "skip:" + it.Skip.Type
		}
		got = append(got, l)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestItemReader(t *testing.T) {
	tests := []struct {
		spec string
		want []located
	}{
		{"testdata/events.jsonl", []located{{1, "e1", ""}, {3, "e2", ""}, {5, "", events.ReasonBadJSON}, {6, "e3", ""}}},
		{"cloudevents:testdata/crlf.jsonl", []located{{1, "e1", ""}, {2, "e2", ""}, {4, "e3", ""}}},
		{"testdata/bom.jsonl", []located{{1, "e1", ""}, {2, "e2", ""}}},
		{"testdata/bad-first-line.jsonl", []located{{1, "", events.ReasonBadJSON}, {2, "e1", ""}}},
		{"testdata/pretty.json", []located{{3, "p1", ""}}},
		{"testdata/bom-pretty.json", []located{{3, "p1", ""}}},
		// a2 lacks effective_at: rejected at the line where it starts.
		{"testdata/array.json", []located{{2, "a1", ""}, {10, "", events.ReasonMissingField}, {13, "a3", ""}}},
		{"testdata/broken-doc.json", []located{{1, "", events.ReasonBadJSON}}},
		{"testdata/empty.jsonl", nil},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			spec, err := ParseSpec(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := collect(t, spec, Decoders{}); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestItemReaderVendorDecoder(t *testing.T) {
	// A stand-in vendor decoder: one item per element of an envelope,
	// offsets at each "uuid" so the lines can be checked.
	fake := func(v []byte) []events.Item {
		var items []events.Item
		for i, off := 0, 0; ; i++ {
			j := bytes.Index(v[off:], []byte(`"uuid"`))
			if j < 0 {
				return items
			}
			off += j
			items = append(items, events.Item{Index: i, Offset: off, Raw: v[off : off+6], Skip: &events.Skip{Reason: events.SkipUnmapped, Type: "user.session.start"}})
			off++
		}
	}
	path := filepath.Join(t.TempDir(), "okta.json")
	if err := os.WriteFile(path, []byte("{\"data\": {\"events\": [\n {\"uuid\": 1},\n\n {\"uuid\": 2}\n]}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := collect(t, Spec{FormatOkta, path}, Decoders{Okta: fake})
	want := []located{{2, "skip:user.session.start", ""}, {4, "skip:user.session.start", ""}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := OpenItems(Spec{FormatEntra, path}, Decoders{Okta: fake}); err == nil || !strings.Contains(err.Error(), "entra") {
		t.Errorf("OpenItems without an entra decoder = %v, want an error naming entra", err)
	}
	if _, err := (Decoders{}).For("splunk"); err == nil {
		t.Error("Decoders.For(unknown) succeeded")
	}
}

func TestReadAllStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := ReadAll(Spec{FormatCloudEvents, "testdata/events.jsonl"}, Decoders{}, func(Item) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("ReadAll = %v after %d items, want stop after 1", err, n)
	}
}

func FuzzReader(f *testing.F) {
	for _, name := range []string{"events.jsonl", "crlf.jsonl", "bom.jsonl", "pretty.json", "bom-pretty.json", "array.json", "broken-doc.json", "blank.jsonl"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		r := NewReader(bytes.NewReader(content), "fuzz")
		total := bytes.Count(content, []byte{'\n'}) + 1
		last := 0
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if rec.Line <= last || rec.Line > total || len(rec.Value) == 0 {
				t.Fatalf("record at line %d after line %d (of %d), %d bytes", rec.Line, last, total, len(rec.Value))
			}
			if end := LineOf(rec, len(rec.Value)); end > total {
				t.Fatalf("record from line %d ends on line %d of %d", rec.Line, end, total)
			}
			last = rec.Line
		}
	})
}
