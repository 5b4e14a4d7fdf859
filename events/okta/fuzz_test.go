package okta

import (
	"os"
	"testing"

	"github.com/jmlwatch/jmlwatch/events/internal/vendortest"
)

// FuzzDecode feeds arbitrary values (seeded with every testdata file) to
// Decode: it must never panic, every item must satisfy CheckItem (exactly
// one of Event, Skip and Err; Raw at Offset; canonical rules), items must be
// in order without overlapping, and bad_json must be reported exactly when
// encoding/json rejects the value.
func FuzzDecode(f *testing.F) {
	for _, in := range vendortest.Inputs(f) {
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
	f.Fuzz(vendor.Fuzz)
}
