// Package input reads jmlwatch input files (replay, validate, report):
// it parses --input [FORMAT:]PATH, splits a file into records, and decodes
// them with the format's decoder, reporting every element at the line where
// it starts.
//
// A file holds JSON Lines (one JSON value a line) or one JSON document,
// for every format. The mode is decided by the first non-blank line: when
// it is a complete JSON value, or is not valid JSON at all (a corrupt first
// line of a JSON Lines file), the file is JSON Lines, and every non-blank
// line is one record, whatever it holds (a bad line is returned so that the
// decoder rejects it as bad_json at its line). When the first line is the
// unfinished start of a JSON value ("[" or "{" of a pretty-printed
// document), the rest of the file is read as one document and returned as
// one record starting at that line; a document is held in memory whole.
// Except: when the next non-blank line is a complete JSON value and the
// whole is not valid JSON, the file is JSON Lines whose first line was cut
// short, and is read as such (the first line is rejected alone; the other
// records are not lost in one bad document).
// A UTF-8 byte order mark, CRLF line ends and blank lines are accepted
// everywhere; lines may be any length.
//
// Decoders maps each format to its DecodeFunc; NewDecoders builds them
// all (events.DecodeStructured, and the events/okta and events/entra
// normalizers with the policy's application aliases). A caller may also
// set its own DecodeFuncs.
package input
