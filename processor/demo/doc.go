// Package demo runs jmlwatch end to end on one machine with no setup: it
// generates synthetic traffic (events/gen) in accelerated event time,
// decodes it with the real decoders, applies it through the correlator on
// the event-time clock, and serves the API and dashboard (processor/httpapi)
// over the state as it grows.
//
// This first version does not go through Kafka: the Kafka runtime
// (processor/runtime) and the in-process broker were not ready when it was
// written. Records flow from the generator straight into the correlator in
// event-time order, exactly as replay would apply the generated files. The
// state is in memory; every half second the apply loop publishes an
// immutable copy that HTTP reads use, so reads never block processing.
package demo
