package entra

import (
	"testing"

	"github.com/jmlwatch/jmlwatch/events/internal/vendortest"
)

// BenchmarkDecodeMapped decodes one realistic mapped directoryAudit (a
// role removal: the role name read from a JSON-encoded modified property).
func BenchmarkDecodeMapped(b *testing.B) { vendor.BenchDecode(b, "remove_member_from_role.json") }

// BenchmarkDecodeMappedUpdateUser decodes an "Update user" that disables the
// account (the AccountEnabled change parsed).
func BenchmarkDecodeMappedUpdateUser(b *testing.B) { vendor.BenchDecode(b, "update_user_enable.json") }

// BenchmarkDecodeNoise decodes a skipped activity (security info
// registration).
func BenchmarkDecodeNoise(b *testing.B) {
	vendor.BenchDecode(b, "noise_user_registered_security_info.json")
}

// stdAudit is what a normalizer built on encoding/json would unmarshal: only
// the members Decode reads.
type stdAudit struct {
	ID                  string `json:"id"`
	ActivityDateTime    string `json:"activityDateTime"`
	ActivityDisplayName string `json:"activityDisplayName"`
	Result              string `json:"result"`
	TargetResources     []struct {
		ID                 string `json:"id"`
		Type               string `json:"type"`
		DisplayName        string `json:"displayName"`
		UserPrincipalName  string `json:"userPrincipalName"`
		ModifiedProperties []struct {
			DisplayName string `json:"displayName"`
			OldValue    any    `json:"oldValue"`
			NewValue    any    `json:"newValue"`
		} `json:"modifiedProperties"`
	} `json:"targetResources"`
}

func benchStdlib(b *testing.B, file string) {
	vendortest.BenchUnmarshal(b, file, func(a *stdAudit) bool { return a.ActivityDisplayName != "" })
}

// BenchmarkStdlibMapped is the baseline of BenchmarkDecodeMapped:
// encoding/json into a struct of the members used, nothing mapped yet.
func BenchmarkStdlibMapped(b *testing.B) { benchStdlib(b, "remove_member_from_role.json") }

// BenchmarkStdlibNoise is the baseline of BenchmarkDecodeNoise.
func BenchmarkStdlibNoise(b *testing.B) { benchStdlib(b, "noise_user_registered_security_info.json") }
