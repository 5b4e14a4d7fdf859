package okta

import "testing"

// FuzzDecode feeds arbitrary values (seeded with every testdata file) to
// Decode: it must never panic, every item must satisfy CheckItem (exactly
// one of Event, Skip and Err; Raw at Offset; canonical rules), items must be
// in order without overlapping, and bad_json must be reported exactly when
// encoding/json rejects the value.
func FuzzDecode(f *testing.F) {
	vendor.FuzzDecode(f, `{}`, `[]`, `[{}]`, `null`, `"x"`, `{"eventType":"user.lifecycle.create"}`,
		`{"data":{"events":[{}]}}`, `{"eventType":"com.okta.event_hook","data":{"events":7}}`)
}
