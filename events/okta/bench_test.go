package okta

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
		items := Decode(value, testAliases)
		if len(items) != 1 || items[0].Err != nil {
			b.Fatalf("unexpected result %+v", items)
		}
	}
}

// BenchmarkDecodeMapped decodes one realistic mapped LogEvent (an app
// assignment: three targets, an alias lookup), compact as /api/v1/logs
// sends it.
func BenchmarkDecodeMapped(b *testing.B) { benchDecode(b, "app_user_membership_add_noalias.json") }

// BenchmarkDecodeMappedUser decodes a user lifecycle LogEvent.
func BenchmarkDecodeMappedUser(b *testing.B) { benchDecode(b, "user_lifecycle_activate.json") }

// BenchmarkDecodeNoise decodes a skipped sign-in (user.session.start).
func BenchmarkDecodeNoise(b *testing.B) { benchDecode(b, "noise_user_session_start.json") }

// BenchmarkDecodeNoiseSSO decodes a skipped SSO event.
func BenchmarkDecodeNoiseSSO(b *testing.B) { benchDecode(b, "noise_user_authentication_sso.json") }
