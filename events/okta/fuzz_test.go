package okta

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/jmlwatch/jmlwatch/events"
)

// FuzzDecode feeds arbitrary values (seeded with every testdata file) to
// Decode: it must never panic, every item must satisfy checkItem (exactly
// one of Event, Skip and Err; Raw at Offset; canonical rules), items must be
// in order without overlapping, and bad_json must be reported exactly when
// encoding/json rejects the value.
func FuzzDecode(f *testing.F) {
	for _, in := range inputs(f) {
		value, err := os.ReadFile(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(value)
	}
	for _, s := range []string{`{}`, `[]`, `[{}]`, `null`, `"x"`, `{"eventType":"user.lifecycle.create"}`,
		`{"data":{"events":[{}]}}`, `{"eventType":"com.okta.event_hook","data":{"events":7}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, value []byte) {
		items := Decode(value, testAliases)
		valid := json.Valid(value)
		prevEnd := 0
		for i, it := range items {
			checkItem(t, value, it)
			if it.Err != nil && it.Err.Code == events.ReasonBadJSON {
				if valid {
					t.Fatalf("bad_json for a value encoding/json accepts: %q", value)
				}
				continue
			}
			if !valid {
				t.Fatalf("item %d decoded from a value encoding/json rejects: %q", i, value)
			}
			if it.Offset < prevEnd {
				t.Fatalf("item %d at %d overlaps the previous one ending at %d", i, it.Offset, prevEnd)
			}
			prevEnd = it.Offset + len(it.Raw)
		}
		if !valid && len(items) != 1 {
			t.Fatalf("invalid value gave %d items", len(items))
		}
	})
}
