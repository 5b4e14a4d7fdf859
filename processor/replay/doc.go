// Package replay runs the correlator over recorded inputs with an event-time
// clock (SPEC 6, replay): deterministic backfills, baselines and tests.
//
// Inputs are read each in its own order and interleaved by event time (ties
// go by input order). For every record that is applied, held or skipped the
// clock becomes max(clock, time - allowed_lateness), due timers fire, the
// record is applied, and timers it created that are already due fire.
// Rejected records are reported and change nothing.
//
// Each source is read (and decoded) ahead on a goroutine of its own, 256
// records at a time, so decoding overlaps the correlator; the order within a
// source, and so every output, is the same as reading them in turn.
//
// State changes are committed every Config.BatchSize records (2048 by
// default). `jmlwatch replay` keeps its state in Pebble (StoreState, opened
// with StoreOptions: no WAL, 8 MiB memtables so that a batch stays under
// half a memtable); TestScenarios replays every scenario both on an
// in-memory KV and on that store, one record a batch.
package replay
