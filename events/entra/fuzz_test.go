package entra

import "testing"

// FuzzDecode feeds arbitrary values (seeded with every testdata file) to
// Decode: it must never panic, every item must satisfy CheckItem (exactly
// one of Event, Skip and Err; Raw at Offset; canonical rules), items must be
// in order without overlapping, and bad_json must be reported exactly when
// encoding/json rejects the value.
func FuzzDecode(f *testing.F) {
	vendor.FuzzDecode(f, `{}`, `[]`, `[{}]`, `null`, `"x"`, `{"activityDisplayName":"Add user"}`,
		`{"records":[{}]}`, `{"records":7}`, `{"value":[1]}`, `{"category":"SignInLogs","properties":{}}`)
}
