// Package runtime is the `jmlwatch run` daemon: Kafka in, Pebble state,
// Kafka out, and the HTTP surface (SPEC sections 6 run, 7 and 8).
//
// One process owns every input partition (a consumer group whose balancer
// gives all partitions to one member; other members stay idle and say so
// on /readyz). Per owned partition a fetcher reads from the offset
// checkpointed in the local store; one apply loop merges the partitions by
// event time and drives the pure correlator. Each micro-batch is one synced
// Pebble batch holding the correlator's state, the outbox (encoded outputs
// and dead letters) and the next offsets; only after it is durable are the
// offsets committed to Kafka. An outbox publisher produces the outbox with
// acks from all replicas and deletes entries after the ack. Metrics go to
// the registry passed in; the gauges of open and overdue steps and pending
// timers come from a periodic bounded scan of the store.
//
// See docs/OPERATIONS.md for the deployment model and every decision.
package runtime
