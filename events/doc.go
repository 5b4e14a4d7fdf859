// Package events defines jmlwatch's canonical input and output events, their
// CloudEvents encodings (structured and Kafka binary mode), and the decode
// results (accepted, skipped, rejected) shared by every input format.
//
// The package imports nothing else from jmlwatch. Vendor normalizers live in
// its subpackages (events/okta, events/entra) and produce the same values.
package events
