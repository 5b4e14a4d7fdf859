// Package broker runs a single-node, in-memory Kafka-protocol broker
// (franz-go's kfake) for local development, tests and the demo. It is not
// for production: it keeps every record in memory, has one replica, and
// forgets everything when it stops.
package broker
