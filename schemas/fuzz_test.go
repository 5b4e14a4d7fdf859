package schemas

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/jmlwatch/jmlwatch/events"
)

// FuzzSchemaAgreesWithDecoder checks that the input schemas and the
// decoder accept exactly the same events: for every element the decoder
// reads, it accepts it if and only if CheckInput does.
func FuzzSchemaAgreesWithDecoder(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*", "testdata/invalid/*.json", "../events/testdata/*.json*"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			var sample invalidSample
			if json.Unmarshal(b, &sample) == nil && len(sample.Event) > 0 {
				b = sample.Event
			}
			f.Add(b)
		}
	}
	s, err := Compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		for i, it := range events.DecodeStructured(value) {
			if it.Err != nil && it.Err.Code == events.ReasonBadJSON {
				continue // a schema sees parsed JSON only
			}
			if hasDuplicateKeys(it.Raw) {
				// RFC 8259: names should be unique, and readers differ.
				// The decoder keeps the first bad_value of a repeated data
				// field; a parsed document has only the last value.
				continue
			}
			rej := s.CheckInput(it.Raw)
			if (it.Err == nil) != (rej == nil) {
				t.Errorf("item %d %s: decoder %v, schema %v", i, it.Raw, it.Err, rej)
			}
		}
	})
}

// hasDuplicateKeys reports whether some object in the JSON value b repeats a
// member name (or b is not valid JSON).
func hasDuplicateKeys(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		object bool
		keys   map[string]bool
		key    bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return false
		}
		if err != nil {
			return true
		}
		d, _ := tok.(json.Delim)
		n := len(stack)
		switch {
		case d == '}' || d == ']':
			stack = stack[:n-1]
		case n > 0 && stack[n-1].object && stack[n-1].key:
			top := stack[n-1]
			k, _ := tok.(string)
			if top.keys[k] {
				return true
			}
			top.keys[k] = true
			top.key = false
			continue
		case d == '{':
			stack = append(stack, &frame{object: true, keys: map[string]bool{}, key: true})
			continue
		case d == '[':
			stack = append(stack, &frame{})
			continue
		}
		// A value ended: in an object, a key comes next.
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].key = true
		}
	}
}

func TestHasDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{`{"a":1,"b":{"a":2},"c":[{"a":1},{"a":2}]}`, false},
		{`{"a":1,"a":2}`, true},
		{`{"a":{"x":[1,{"y":1,"y":2}]}}`, true},
		{`{"a":{"b":1},"b":2}`, false},
		{`[{"a":1},{"a":1}]`, false},
	} {
		if got := hasDuplicateKeys([]byte(tc.in)); got != tc.want {
			t.Errorf("hasDuplicateKeys(%s) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
