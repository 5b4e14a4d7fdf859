// Package schemas holds the JSON Schemas (draft 2020-12) of jmlwatch's
// events: one for each canonical input type (SPEC section 2) in input/, one
// for each output type (SPEC section 7) in output/, and the shared
// definitions in common.json. Each schema covers the whole structured-mode
// CloudEvent: the envelope (specversion "1.0", id, source, type, time, ...)
// and data. The files are embedded (FS) and published for producers and
// consumers; their $id is BaseURL + path, and nothing is fetched from it.
//
// Compile compiles them into a Set; Set.Validate checks a parsed document,
// Set.CheckInput and Set.CheckOutput check an event's JSON bytes and report
// a fault as an *events.RejectError with the code and field path the
// decoder would give (Reject does the mapping). A Set holds no mutable
// state and is safe for concurrent use.
//
// The input schemas match the decoder (events.DecodeStructured) rule for
// rule, which the tests check against the decoder's corpus, a table of
// invalid samples and a differential fuzz target:
//   - JSON null is the same as an absent member; an empty string for a
//     required string is missing.
//   - A known field of the wrong JSON type is invalid; unknown attributes
//     (CloudEvents extensions) and unknown data fields are allowed, for
//     forward compatibility. A field one type reads and another does not
//     (entitlement, active, from, reason, ...) is checked only where read.
//   - Timestamps are RFC 3339 date-times (T and Z in either case, no leap
//     second); effective_at may also be a date YYYY-MM-DD. Format
//     assertions are on, and a pattern restates the rule so that other
//     validators, which may not assert formats, agree. A Set asserts
//     date-time with the decoder's own parser, which also refuses an
//     instant whose UTC year is outside 0000-9999 (0000-01-01T00:30:00+01:00);
//     a third-party validator reading the files accepts those two edges.
//   - data_base64 (base64 of a JSON object) may stand in for data, and is
//     checked like data (contentSchema; content assertions are on).
//
// Known limits: a schema sees a parsed document, so it cannot tell bad JSON
// apart (the decoder's bad_json), and when a member name repeats it sees
// only the last value, where the decoder also reports a bad earlier one.
// An output's partitionkey must equal its subject, which JSON Schema cannot
// state; the tests check it for the encoder. The output schemas require
// every field jmlwatch writes but allow more, so that consumers validating
// with them keep working when a later version adds fields.
package schemas
