package okta

import (
	"testing"

	"github.com/jmlwatch/jmlwatch/events/internal/vendortest"
)

// BenchmarkDecodeMapped decodes one realistic mapped LogEvent (an app
// assignment: three targets, an alias lookup), compact as /api/v1/logs
// sends it.
func BenchmarkDecodeMapped(b *testing.B) {
	vendor.BenchDecode(b, "app_user_membership_add_noalias.json")
}

// BenchmarkDecodeMappedUser decodes a user lifecycle LogEvent.
func BenchmarkDecodeMappedUser(b *testing.B) { vendor.BenchDecode(b, "user_lifecycle_activate.json") }

// BenchmarkDecodeNoise decodes a skipped sign-in (user.session.start).
func BenchmarkDecodeNoise(b *testing.B) { vendor.BenchDecode(b, "noise_user_session_start.json") }

// BenchmarkDecodeNoiseSSO decodes a skipped SSO event.
func BenchmarkDecodeNoiseSSO(b *testing.B) {
	vendor.BenchDecode(b, "noise_user_authentication_sso.json")
}

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
	vendortest.BenchUnmarshal(b, file, func(ev *stdLogEvent) bool { return ev.EventType != "" })
}

// BenchmarkStdlibMapped is the baseline of BenchmarkDecodeMapped:
// encoding/json into a struct of the members used, nothing mapped yet.
func BenchmarkStdlibMapped(b *testing.B) { benchStdlib(b, "app_user_membership_add_noalias.json") }

// BenchmarkStdlibNoise is the baseline of BenchmarkDecodeNoise.
func BenchmarkStdlibNoise(b *testing.B) { benchStdlib(b, "noise_user_session_start.json") }
