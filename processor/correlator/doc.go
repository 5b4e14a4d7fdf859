// Package correlator is jmlwatch's pure core: it turns canonical input events
// and a clock into state changes and output events (SPEC sections 3 to 7).
//
// The correlator never sees Kafka, Pebble, files or wall time. It reads and
// writes state through the small KV interface (the store package's batches
// implement it) and is driven by two calls on a Tx: Advance, which moves the
// clock and fires due timers, and Apply, which applies one record. The replay
// command and the Kafka runtime run exactly this code, which is why they
// agree.
//
// # State layout
//
// All keys start with a printable ASCII letter (the store reserves 0x00 and
// 0x01). Strings inside keys are separated by 0x00 (a 0x00 or 0x01 inside
// a string is escaped with 0x01, so identifiers may hold any character), and
// times are 8-byte big-endian nanoseconds biased so that key order is time
// order.
//
//	w<worker_id>                              worker aggregate: HR facts, cases and steps,
//	                                          accounts, entitlements, NHI holdings, ticket marks
//	e<lower(email)>\0<worker_id>              workers by current HR email
//	l<system>\0<account_id>                   learned account link -> worker_id
//	c<case_id>                                case index -> worker_id\0source\0id of the trigger
//	n<system>\0<nhi_id>                       NHI: owner, privilege, revocation, pending steps
//	p<system>\0<entitlement>                  privilege said by the latest access record
//	u<system>\0<account_id>                   unowned (held) account and its records
//	h<lower(login|email)>\0<system>\0<acct>   held accounts by login and email
//	q<lower(email)>\0<source>\0<id>           held tickets that named an unknown email
//	d<end><source>\0<id>                      de-duplication key in the bucket of its expiry
//	                                          (end: the bucket's end) -> the expiry; dropped
//	                                          with its bucket by one range deletion. A trigger
//	                                          that opened a case has none: its case index key
//	                                          is its de-duplication key while the case is
//	                                          retained (format 2 states: end = the largest
//	                                          time, value "c")
//	t<due><sortkey>\0<step_id>\0<type>        SLA and unowned-account timers -> payload
//	r<due>w<worker_id>                        a worker's retention sweep (no outputs): one
//	                                          a worker, at worker.RetainAt; states of
//	                                          format 3 and before hold one a case, account,
//	                                          entitlement, NHI holding and leaver marker
//	r<due><type><payload>                     other retention timers: NHIs, held accounts
//	                                          and tickets
//	k                                         the clock
//	v                                         the state format version (stateFormat)
//
// Everything about one worker lives under one key, so the state of a worker
// can move between instances by a hash of worker_id, and one event costs one
// read and one write of its worker. Within a Tx, decoded workers are cached
// and written back by Flush; the cache is bounded by the Tx's size, not by
// the population. Worker aggregates use a compact binary encoding
// (codec.go); the other values are JSON.
//
// Between micro-batches a Tx keeps only bounded in-memory state: the clock,
// the timer queues' low-water marks, the SLA timers armed since the last
// Flush (written by Flush, or earlier when they may be due), and Bloom
// filters over the de-duplication keys (one per expiry bucket, one over
// them all and the triggers of retained cases: seen.go), built from a scan
// of the keys and the case index on first use (a filter only saves reads,
// it never changes a result). A Tx whose batch failed to commit must be replaced,
// not reused.
package correlator
