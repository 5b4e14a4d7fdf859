package jsonscan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmlwatch/jmlwatch/events/internal/vendortest"
)

// BenchmarkValidMembers is the validating pass of a vendor normalizer on its
// own: ValidMembers over one whole record (copies of the okta and entra
// noise testdata), the member callback doing nothing.
func BenchmarkValidMembers(b *testing.B) {
	for _, file := range []string{"okta_user_session_start.json", "entra_user_registered_security_info.json"} {
		b.Run(strings.TrimSuffix(file, ".json"), func(b *testing.B) {
			data, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			fn := func(_, v Span) { n++ }
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			timer := vendortest.StartCPUTimer(b)
			defer timer.Stop()
			for b.Loop() {
				if end := ValidMembers(data, 0, fn); end != len(data) && WS(data, end) != len(data) {
					b.Fatalf("ValidMembers = %d, want %d", end, len(data))
				}
			}
		})
	}
}
