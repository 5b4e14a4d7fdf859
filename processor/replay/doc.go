// Package replay runs the correlator over recorded inputs with an event-time
// clock (SPEC 6, replay): deterministic backfills, baselines and tests.
//
// Inputs are read each in its own order and interleaved by event time (ties
// go by input order). For every record that is applied, held or skipped the
// clock becomes max(clock, time - allowed_lateness), due timers fire, the
// record is applied, and timers it created that are already due fire.
// Rejected records are reported and change nothing.
package replay
