package vendorkit

import (
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// TestTime checks Outcome.Time and TimeOf on the member "t" of an object:
// the codes of a required timestamp, and the UTC years 0000-9999 that the
// canonical decoder also keeps to.
func TestTime(t *testing.T) {
	tests := []struct {
		name, value string
		want        string        // RFC 3339 in UTC, "" for a rejection
		code        events.Reason // of the rejection
	}{
		{"utc", `{"t":"2026-03-02T09:14:07.512Z"}`, "2026-03-02T09:14:07.512Z", ""},
		{"offset", `{"t":"2026-03-02T10:14:07+01:00"}`, "2026-03-02T09:14:07Z", ""},
		{"first instant", `{"t":"0000-01-01T00:00:00Z"}`, "0000-01-01T00:00:00Z", ""},
		{"last instant", `{"t":"9999-12-31T23:59:59.999999999Z"}`, "9999-12-31T23:59:59.999999999Z", ""},
		{"year -1 in utc", `{"t":"0000-01-01T00:30:00+01:00"}`, "", events.ReasonBadTimestamp},
		{"year 10000 in utc", `{"t":"9999-12-31T23:30:00-01:00"}`, "", events.ReasonBadTimestamp},
		{"not a time", `{"t":"soon"}`, "", events.ReasonBadTimestamp},
		{"empty", `{"t":""}`, "", events.ReasonBadTimestamp},
		{"a number", `{"t":1}`, "", events.ReasonBadTimestamp},
		{"null", `{"t":null}`, "", events.ReasonMissingField},
		{"absent", `{}`, "", events.ReasonMissingField},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			value := []byte(tc.value)
			s := jsonscan.Member(value, jsonscan.Span{Start: 0, End: len(value)}, "t")
			var o Outcome
			got, ok := o.Time(value, s, "x.", "t")
			if tc.want != "" {
				if !ok || got.Format(time.RFC3339Nano) != tc.want || got.Location() != time.UTC {
					t.Fatalf("Time = %v, %v; want %s", got, ok, tc.want)
				}
			} else if ok || o.err == nil || o.err.Code != tc.code || o.err.Field != "x.t" {
				t.Fatalf("Time = %v, %v, rejection %v; want %s x.t", got, ok, o.err, tc.code)
			}
			// TimeOf: the same time, or zero where Time rejects.
			if of := TimeOf(value, s); !of.Equal(got) || (!ok && !of.IsZero()) {
				t.Errorf("TimeOf = %v, want %v", of, got)
			}
		})
	}
}
