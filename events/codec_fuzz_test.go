package events

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
)

// fuzzSeeds are the structured values of the testdata files.
func fuzzSeeds(t testing.TB) [][]byte {
	seeds := testdataLines(t, "valid.jsonl")
	for _, line := range testdataLines(t, "reject.tsv") {
		if parts := strings.SplitN(string(line), "\t", 3); len(parts) == 3 {
			seeds = append(seeds, []byte(parts[2]))
		}
	}
	batch, err := os.ReadFile("testdata/batch.json")
	if err != nil {
		t.Fatal(err)
	}
	return append(seeds, batch)
}

// checkRoundTrip re-encodes an accepted event and decodes it again: the
// decoder must accept its own canonical form and give the same Input.
func checkRoundTrip(t *testing.T, in *Input) {
	t.Helper()
	enc, err := EncodeInput(in)
	if err != nil {
		t.Fatalf("EncodeInput(%+v): %v", in, err)
	}
	back := DecodeStructured(enc)
	if len(back) != 1 || back[0].Err != nil {
		t.Fatalf("decoding the re-encoded %s: %+v", enc, back)
	}
	if !reflect.DeepEqual(back[0].Event, in) {
		t.Fatalf("round trip through %s:\n got %s\nwant %s", enc, dump(back[0].Event), dump(in))
	}
}

func FuzzDecodeStructured(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		items := DecodeStructured(value)
		valid := json.Valid(value)
		trimmed := bytes.TrimLeft(value, " \t\r\n")
		if !valid {
			if len(items) != 1 || items[0].Err == nil || items[0].Err.Code != ReasonBadJSON || items[0].Index != -1 {
				t.Fatalf("invalid json %q gave %+v, want one bad_json item", value, items)
			}
			return
		}
		var elems []json.RawMessage
		isArray := len(trimmed) > 0 && trimmed[0] == '['
		if isArray {
			if err := json.Unmarshal(value, &elems); err != nil {
				t.Fatalf("encoding/json cannot read the array %q: %v", value, err)
			}
			if len(items) != len(elems) {
				t.Fatalf("%d items for an array of %d", len(items), len(elems))
			}
		} else if len(items) != 1 {
			t.Fatalf("%d items for a lone value", len(items))
		}
		for i, it := range items {
			checkItem(t, it)
			if it.Skip != nil {
				t.Fatalf("a canonical decoder never skips: %+v", it)
			}
			if it.Offset < 0 || it.Offset > len(value) {
				t.Fatalf("item %d: offset %d outside the value", i, it.Offset)
			}
			if it.Index == -1 && !bytes.Equal(it.Raw, value) {
				t.Fatalf("lone item: raw %q is not the record", it.Raw)
			}
			if it.Index >= 0 && (it.Offset+len(it.Raw) > len(value) || !bytes.Equal(value[it.Offset:it.Offset+len(it.Raw)], it.Raw)) {
				t.Fatalf("item %d: offset %d, raw %q: not value[offset:offset+len(raw)]", i, it.Offset, it.Raw)
			}
			if want := -1; isArray {
				if it.Index != i {
					t.Fatalf("item %d has index %d", i, it.Index)
				}
				if !bytes.Equal(bytes.TrimSpace(elems[i]), it.Raw) {
					t.Fatalf("item %d raw %q, encoding/json sees %q", i, it.Raw, elems[i])
				}
			} else if it.Index != want {
				t.Fatalf("lone item has index %d", it.Index)
			}
			if it.Event != nil {
				checkRoundTrip(t, it.Event)
			}
		}
	})
}

func FuzzDecodeBinary(f *testing.F) {
	for _, line := range testdataLines(f, "valid.jsonl") {
		var env struct {
			SpecVersion, ID, Source, Type, Time, DataContentType string
			Data                                                 json.RawMessage
		}
		if json.Unmarshal(line, &env) != nil || env.Data == nil {
			continue
		}
		f.Add(env.DataContentType, env.SpecVersion, env.ID, env.Source, env.Type, env.Time, []byte(env.Data), "ce_traceparent", []byte("00-x"))
	}
	f.Add("application/cloudevents+json", "", "", "", "", "", testdataLines(f, "valid.jsonl")[0], "", []byte(nil))
	f.Add("application/cloudevents-batch+json", "", "", "", "", "", []byte("[]"), "CE_ID", []byte("x"))
	f.Add("", "1.0", "1", "s", TypeHRSnapshot, "2026-01-01T00:00:00Z", []byte(`{"worker_id":`), "", []byte(nil))
	f.Fuzz(func(t *testing.T, contentType, specVersion, id, source, typ, tm string, value []byte, extraKey string, extraValue []byte) {
		var headers []Header
		add := func(k, v string) {
			if v != "" {
				headers = append(headers, Header{Key: k, Value: []byte(v)})
			}
		}
		add("ce_specversion", specVersion)
		add("ce_id", id)
		add("ce_source", source)
		add("ce_type", typ)
		add("ce_time", tm)
		add("content-type", contentType)
		if extraKey != "" {
			headers = append(headers, Header{Key: extraKey, Value: extraValue})
		}

		items := DecodeBinary(headers, value)
		if len(items) != 1 || items[0].Index != -1 || items[0].Offset != 0 || !bytes.Equal(items[0].Raw, value) {
			t.Fatalf("DecodeBinary gave %+v, want one item for the whole value", items)
		}
		it := items[0]
		checkItem(t, it)
		if it.Skip != nil {
			t.Fatalf("a canonical decoder never skips: %+v", it)
		}
		if len(bytes.TrimSpace(value)) > 0 && !json.Valid(value) && (it.Err == nil || it.Err.Code != ReasonBadJSON) {
			t.Fatalf("invalid json value %q: got %+v, want bad_json", value, it)
		}
		if it.Event != nil {
			if extraKey == "" && (it.Event.ID != string(validUTF8([]byte(id))) || it.Event.Source != string(validUTF8([]byte(source))) || it.Event.Type != typ) {
				t.Fatalf("attributes of %+v are not the headers %q %q %q", it.Event, id, source, typ)
			}
			checkRoundTrip(t, it.Event)
		}

		for i, it := range DecodeKafka(headers, value) {
			checkItem(t, it)
			if it.Offset < 0 || it.Offset+len(it.Raw) > len(value) {
				t.Fatalf("kafka item %d: offset %d raw %q outside the value", i, it.Offset, it.Raw)
			}
			if it.Event != nil {
				checkRoundTrip(t, it.Event)
			}
		}
	})
}
