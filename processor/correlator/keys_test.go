package correlator

import (
	"bytes"
	"slices"
	"testing"
)

// TestKeyParts checks that escaped key parts round-trip, keep their order,
// and never contain the 0x00 separator.
func TestKeyParts(t *testing.T) {
	parts := [][]string{
		{"a", "b"}, {"a\x00b", "c"}, {"\x01", "\x00\x01\x02"}, {"", ""}, {"w1"}, {"a\x00", "b"},
	}
	for _, p := range parts {
		k := key('x', p...)
		if got := splitParts(k[1:]); !slices.Equal(got, p) {
			t.Errorf("splitParts(key(%q)) = %q", p, got)
		}
		if n := bytes.Count(k, []byte{0}); n != len(p)-1 {
			t.Errorf("key(%q) has %d separators, want %d", p, n, len(p)-1)
		}
	}
	// Order: a key's parts compare as the parts do.
	if bytes.Compare(key('x', "a", "z"), key('x', "a\x00", "a")) >= 0 {
		t.Error(`key("a","z") should sort before key("a\x00","a")`)
	}
}
