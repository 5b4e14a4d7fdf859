package correlator

import (
	"strings"
	"testing"
)

// TestIDsArePinned: case and output ids are pure functions (SPEC 7) whose
// values must never change between versions: downstream consumers and
// stored state recognise repeats by them. The expected values are
// SHA-256 digests computed outside Go.
func TestIDsArePinned(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{CaseID("hr", "L1"), "96a9d25d08ad0196cd659ed4c06092d5"},
		{OutputID("io.jmlwatch.step.completed", "abc", "revoke:okta:*"), "cea7136d48525b642ab74d8486e6c60a"},
		{CaseID(strings.Repeat("x", 300), "id"), "0ce859f130e23ad47b4baa4987ac9a8c"}, // past the stack buffer
	} {
		if tc.got != tc.want {
			t.Errorf("id %s, want %s", tc.got, tc.want)
		}
	}
}
