package entra

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
	for _, s := range []string{`{}`, `[]`, `[{}]`, `null`, `"x"`, `{"activityDisplayName":"Add user"}`,
		`{"records":[{}]}`, `{"records":7}`, `{"value":[1]}`, `{"category":"SignInLogs","properties":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(vendor.Fuzz)
}
