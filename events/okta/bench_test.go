package okta

import (
	"encoding/json"
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

// stdLogEvent is what a normalizer built on encoding/json would unmarshal: only
// the members Decode reads.
type stdLogEvent struct {
	UUID      string `json:"uuid"`
	Published string `json:"published"`
	EventType string `json:"eventType"`
	Outcome   struct {
		Result string `json:"result"`
	} `json:"outcome"`
	Target []struct {
		ID          string `json:"id"`
		Type        string `json:"type"`
		AlternateID string `json:"alternateId"`
		DisplayName string `json:"displayName"`
	} `json:"target"`
}

func benchStdlib(b *testing.B, file string) {
	value, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	timer := startCPUTimer(b)
	defer timer.stop()
	for b.Loop() {
		var ev stdLogEvent
		if err := json.Unmarshal(value, &ev); err != nil || ev.EventType == "" {
			b.Fatal(err)
		}
	}
}

// BenchmarkStdlibMapped is the baseline of BenchmarkDecodeMapped:
// encoding/json into a struct of the members used, nothing mapped yet.
func BenchmarkStdlibMapped(b *testing.B) { benchStdlib(b, "app_user_membership_add_noalias.json") }

// BenchmarkStdlibNoise is the baseline of BenchmarkDecodeNoise.
func BenchmarkStdlibNoise(b *testing.B) { benchStdlib(b, "noise_user_session_start.json") }
