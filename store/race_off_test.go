//go:build !race

package store

// raceEnabled reports a -race build, where sync.Pool drops items at random
// (so Pebble allocates on reads that normally reuse pooled iterators).
const raceEnabled = false
