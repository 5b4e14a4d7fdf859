package runtime

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/store"
)

// stepLatencyBuckets are the upper bounds, in seconds, of the step latency
// histogram: a minute to 30 days, with 0 catching steps done before their
// effective time (negative latency, SPEC 4).
var stepLatencyBuckets = []float64{0, 60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600,
	24 * 3600, 48 * 3600, 72 * 3600, 7 * 24 * 3600, 14 * 24 * 3600, 30 * 24 * 3600}

// metrics are the runtime's Prometheus metrics, registered on the registry
// passed in Options (never the global one). docs/OPERATIONS.md lists them.
type metrics struct {
	pol *policy.Policy

	consumed    *prometheus.CounterVec   // topic, format
	elements    *prometheus.CounterVec   // topic, format, type, outcome
	outputs     *prometheus.CounterVec   // type
	stepLatency *prometheus.HistogramVec // kind, action, tier, system
	warnings    *prometheus.CounterVec   // kind, tier, system
	breaches    *prometheus.CounterVec   // kind, tier, system
	published   prometheus.Counter
	clockLag    prometheus.Gauge
	consumeLag  *prometheus.GaugeVec // topic, partition
	ready       prometheus.Gauge
	batches     prometheus.Counter

	openSteps     *prometheus.GaugeVec // kind, tier
	overdueSteps  *prometheus.GaugeVec // kind, tier
	pendingTimers prometheus.Gauge
	scanSeconds   prometheus.Gauge
	scanAge       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, pol *policy.Policy, db *store.DB) *metrics {
	m := &metrics{
		pol: pol,
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jmlwatch_records_consumed_total",
			Help: "Kafka records read from input topics and applied to the micro-batch (an envelope is one record), by topic and format.",
		}, []string{"topic", "format"}),
		elements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jmlwatch_records_total",
			Help: "Decoded records (each element of an array or envelope counted) by topic, format, type and outcome: applied, held, skipped or rejected. type is the event type; for a skipped vendor record the skip reason; for a rejected one the reason code.",
		}, []string{"topic", "format", "type", "outcome"}),
		outputs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jmlwatch_outputs_total",
			Help: "Output events written to the outbox, by type.",
		}, []string{"type"}),
		stepLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jmlwatch_step_latency_seconds",
			Help:    "Latency (completed_at - effective_at) of completed steps, by case kind, action, tier and system (a system the policy does not list is \"other\"). Negative latencies fall in the first bucket.",
			Buckets: stepLatencyBuckets,
		}, []string{"kind", "action", "tier", "system"}),
		warnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jmlwatch_sla_warnings_total",
			Help: "sla.warning events emitted, by case kind, tier and system.",
		}, []string{"kind", "tier", "system"}),
		breaches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jmlwatch_sla_breaches_total",
			Help: "sla.breached events emitted, by case kind, tier and system.",
		}, []string{"kind", "tier", "system"}),
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
			Help: "Records between the next offset to apply and the partition's high watermark, by owned input partition; updated at every micro-batch and when idle.",
		}, []string{"topic", "partition"}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jmlwatch_ready",
			Help: "1 when this member owns the input partitions, its store is writable and Kafka answers (what /readyz reports).",
		}),
		batches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "jmlwatch_microbatches_total",
			Help: "Micro-batches committed to the store.",
		}),
		openSteps: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jmlwatch_open_steps",
			Help: "Open steps of open cases, by case kind and tier, as of the last complete state scan.",
		}, []string{"kind", "tier"}),
		overdueSteps: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "jmlwatch_overdue_steps",
			Help: "Open steps of open cases whose deadline is before the correlator clock, by case kind and tier, as of the last complete state scan.",
		}, []string{"kind", "tier"}),
		pendingTimers: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jmlwatch_pending_timers",
			Help: "SLA warning, breach and unowned-account timers not yet fired, as of the last complete state scan.",
		}),
		scanSeconds: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jmlwatch_state_scan_duration_seconds",
			Help: "Wall time the last complete state scan (open and overdue steps, pending timers) took.",
		}),
		scanAge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "jmlwatch_state_scan_timestamp_seconds",
			Help: "Unix time at which the last state scan completed (0 before the first).",
		}),
	}
	reg.MustRegister(m.consumed, m.elements, m.outputs, m.stepLatency, m.warnings, m.breaches, m.published,
		m.clockLag, m.consumeLag, m.ready, m.batches, m.openSteps, m.overdueSteps, m.pendingTimers,
		m.scanSeconds, m.scanAge,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "jmlwatch_outbox_depth",
			Help: "Committed outbox entries (outputs and dead letters) not yet acknowledged by Kafka.",
		}, func() float64 {
			d, _ := db.OutboxDepth()
			return float64(d)
		}),
		storeCollector{db: db},
	)
	return m
}

// observeOutput counts an output written to the outbox.
func (m *metrics) observeOutput(o events.Output) {
	m.outputs.WithLabelValues(o.Type).Inc()
	switch d := o.Data.(type) {
	case *events.StepCompletedData:
		m.stepLatency.WithLabelValues(string(d.Kind), d.Action, d.Tier, m.pol.MetricLabel(d.System)).Observe(d.LatencySeconds)
	case *events.SLAData:
		c := m.warnings
		if o.Type == events.TypeSLABreached {
			c = m.breaches
		}
		c.WithLabelValues(string(d.Kind), d.Tier, m.pol.MetricLabel(d.System)).Inc()
	}
}

// storeCollector exports the Pebble figures of store.DB.Metrics at each
// scrape.
type storeCollector struct{ db *store.DB }

// storeMetrics are the figures storeCollector exports, each with its value
// in store.Metrics.
var storeMetrics = [...]struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	val  func(m *store.Metrics) float64
}{
	{
		prometheus.NewDesc("jmlwatch_store_disk_bytes", "Bytes on disk of the state store (tables, WAL, other files).", nil, nil),
		prometheus.GaugeValue, func(m *store.Metrics) float64 { return float64(m.DiskSpaceUsage) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_compactions_total", "Pebble compactions since the store was opened.", nil, nil),
		prometheus.CounterValue, func(m *store.Metrics) float64 { return float64(m.Compactions) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_flushes_total", "Pebble memtable flushes since the store was opened.", nil, nil),
		prometheus.CounterValue, func(m *store.Metrics) float64 { return float64(m.Flushes) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_compaction_debt_bytes", "Estimated bytes Pebble must compact before the LSM is stable; growing: writes outpace the disk.", nil, nil),
		prometheus.GaugeValue, func(m *store.Metrics) float64 { return float64(m.CompactionDebt) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_read_amplification", "Sorted runs a read may visit.", nil, nil),
		prometheus.GaugeValue, func(m *store.Metrics) float64 { return float64(m.ReadAmplification) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_memtable_bytes", "Bytes of Pebble memtables.", nil, nil),
		prometheus.GaugeValue, func(m *store.Metrics) float64 { return float64(m.MemTableSize) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_block_cache_bytes", "Bytes in the block cache.", nil, nil),
		prometheus.GaugeValue, func(m *store.Metrics) float64 { return float64(m.BlockCacheSize) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_block_cache_hits_total", "Block cache hits since the store was opened.", nil, nil),
		prometheus.CounterValue, func(m *store.Metrics) float64 { return float64(m.BlockCacheHits) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_block_cache_misses_total", "Block cache misses since the store was opened.", nil, nil),
		prometheus.CounterValue, func(m *store.Metrics) float64 { return float64(m.BlockCacheMisses) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_row_cache_bytes", "Bytes in the row cache (worker aggregates and account links).", nil, nil),
		prometheus.GaugeValue, func(m *store.Metrics) float64 { return float64(m.RowCacheSize) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_row_cache_hits_total", "Row cache hits since the store was opened.", nil, nil),
		prometheus.CounterValue, func(m *store.Metrics) float64 { return float64(m.RowCacheHits) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_row_cache_misses_total", "Row cache misses since the store was opened.", nil, nil),
		prometheus.CounterValue, func(m *store.Metrics) float64 { return float64(m.RowCacheMisses) },
	},
	{
		prometheus.NewDesc("jmlwatch_store_failed", "1 after a fatal store write error (the store accepts no more writes).", nil, nil),
		prometheus.GaugeValue, func(m *store.Metrics) float64 {
			if m.Failed {
				return 1
			}
			return 0
		},
	},
}

var _ prometheus.Collector = storeCollector{}

// Describe implements prometheus.Collector.
func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, x := range storeMetrics {
		ch <- x.desc
	}
}

// Collect implements prometheus.Collector; it reports nothing once the
// store is closed.
func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	m, err := c.db.Metrics()
	if err != nil {
		return
	}
	for _, x := range storeMetrics {
		ch <- prometheus.MustNewConstMetric(x.desc, x.typ, x.val(&m))
	}
}
