// Package jsonscan is the allocation-free JSON scanner shared by the vendor
// normalizers (events/okta, events/entra) and the report
// (processor/report). It imports nothing of ours, so any package may use it.
//
// It works on byte offsets into one buffer instead of building values: Valid
// checks the RFC 8259 grammar of a whole record once (exactly what
// encoding/json.Valid accepts), and the navigation helpers (Skip, Object,
// Array, String, AppendString) then walk the validated buffer, so a decoder
// can look at the three fields that decide whether a record matters before it
// reads anything else. ValidMembers and ObjectValid do both in one pass:
// they validate an object and report its top-level members on the way.
// Strings are unescaped only when asked for, and with the same results as
// encoding/json (invalid UTF-8 and unpaired surrogates become U+FFFD);
// ParseRFC3339 and ParseTime read RFC 3339 timestamps, allocating only for
// one written with escapes.
//
// Contract: every navigation helper requires a buffer that Valid accepted.
// On other input they never panic and never loop forever, but their results
// are unspecified.
package jsonscan
