// Package demo runs jmlwatch end to end on one machine with no setup
// (`jmlwatch demo`, SPEC 1): the in-process Kafka-protocol broker
// (processor/broker), synthetic traffic (events/gen) produced to its input
// topics in accelerated event time, the processor (processor/runtime with
// clock: event) consuming them into a Pebble store, and the API and
// dashboard (processor/httpapi) mounted on the runtime's HTTP surface.
//
// Topics: hr, tickets and nhi carry canonical structured CloudEvents
// (content-type application/cloudevents+json); okta carries Okta System
// Log LogEvents and entra Entra directoryAudit records, vendor-native, the
// runtime reading them with format okta and entra. Outputs go to the
// runtime's default topics jmlwatch.events, jmlwatch.alerts and
// jmlwatch.dlq, which a Kafka client can read from the printed broker
// address.
//
// Decisions where the contract is silent:
//   - The broker listens on 127.0.0.1:9092 so that kcat and other clients
//     find it where they expect; when that port is busy (a local Kafka,
//     another demo) it takes a free loopback port, and the address is
//     printed either way.
//   - The dashboard listens on 127.0.0.1:8080 or, when busy, the first
//     free one of the next 20 ports.
//   - Pacing: the first Options.Warmup of event time (default 7 days) is
//     produced as fast as the broker takes it, then event time runs Speed
//     times faster than wall time (default 17280: a day every 5 s). The
//     warm-up makes the dashboard open on history rather than on the
//     initial load alone.
//   - State lives in a temporary directory removed at exit: every demo
//     starts fresh, and the generator is deterministic by seed.
//   - The summary line reads the runtime's metrics (records read, breaches
//     emitted) and the committed state (clock, open cases), never the apply
//     loop's batch.
//   - The runtime's log is discarded unless Options.Logger is set, so that
//     it does not break the summary line; failures are returned by Run.
package demo
