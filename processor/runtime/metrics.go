package runtime

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the runtime's Prometheus metrics, registered on the registry
// passed in Options (never the global one).
type metrics struct {
	consumed   *prometheus.CounterVec // topic
	elements   *prometheus.CounterVec // topic, type, outcome
	outputs    *prometheus.CounterVec // type
	published  prometheus.Counter
	clockLag   prometheus.Gauge
	consumeLag *prometheus.GaugeVec // topic, partition
	ready      prometheus.Gauge
	batches    prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, outboxDepth func() float64) *metrics {
	m := &metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jmlwatch_records_consumed_total",
			Help: "Kafka records read from input topics and applied to state.",
		}, []string{"topic"}),
		elements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jmlwatch_records_total",
			Help: "Decoded records (elements of envelopes counted apart) by topic, type and outcome: applied, held, skipped or rejected. type is the event type, the skip reason for skipped vendor records, or the reason code for rejected ones.",
		}, []string{"topic", "type", "outcome"}),
		outputs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jmlwatch_outputs_total",
			Help: "Output events written to the outbox, by type.",
		}, []string{"type"}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jmlwatch_outbox_published_total",
			Help: "Outbox entries (outputs and dead letters) acknowledged by Kafka.",
		}),
		clockLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jmlwatch_clock_lag_seconds",
			Help: "Wall time minus the correlator clock.",
		}),
		consumeLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jmlwatch_consumer_lag",
			Help: "Records between the next offset to apply and the high watermark, by owned partition.",
		}, []string{"topic", "partition"}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jmlwatch_ready",
			Help: "1 when this member owns the input partitions and is consuming.",
		}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jmlwatch_microbatches_total",
			Help: "Micro-batches committed to the store.",
		}),
	}
	reg.MustRegister(m.consumed, m.elements, m.outputs, m.published, m.clockLag, m.consumeLag, m.ready, m.batches,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "jmlwatch_outbox_depth",
			Help: "Committed outbox entries not yet acknowledged by Kafka.",
		}, outboxDepth))
	return m
}
