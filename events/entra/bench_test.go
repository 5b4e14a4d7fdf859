package entra

import (
	"os"
	"path/filepath"
	"testing"
)

func benchDecode(b *testing.B, file string) {
	value, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	timer := startCPUTimer(b)
	defer timer.stop()
	for b.Loop() {
		items := Decode(value)
		if len(items) != 1 || items[0].Err != nil {
			b.Fatalf("unexpected result %+v", items)
		}
	}
}

// BenchmarkDecodeMapped decodes one realistic mapped directoryAudit (a
// role removal: the role name read from a JSON-encoded modified property).
func BenchmarkDecodeMapped(b *testing.B) { benchDecode(b, "remove_member_from_role.json") }

// BenchmarkDecodeMappedUpdateUser decodes an "Update user" that disables the
// account (the AccountEnabled change parsed).
func BenchmarkDecodeMappedUpdateUser(b *testing.B) { benchDecode(b, "update_user_enable.json") }

// BenchmarkDecodeNoise decodes a skipped activity (security info
// registration).
func BenchmarkDecodeNoise(b *testing.B) { benchDecode(b, "noise_user_registered_security_info.json") }
