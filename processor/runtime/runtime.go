package runtime

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"go.uber.org/zap"

	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/store"
)

// Defaults of the micro-batch bounds.
const (
	DefaultBatchRecords = 1000
	DefaultBatchWait    = 50 * time.Millisecond
	// FutureLimit is how far ahead of wall time a record may be with
	// clock: wall before it is rejected as future (SPEC 2).
	FutureLimit = 5 * time.Minute
	// ShutdownFlush bounds the outbox flush after SIGTERM (SPEC 8).
	ShutdownFlush = 5 * time.Second
)

// Options configure New. Config is required; the rest have defaults.
type Options struct {
	// Config is the validated run config.
	Config *Config
	// Policy is the validated policy; nil loads Config.Policy.
	Policy *policy.Policy
	// Rebuild deletes the store and consumes every input from its earliest
	// offset, ignoring the offsets committed in Kafka.
	Rebuild bool
	// Logger receives the log; nil logs nothing.
	Logger *zap.Logger
	// Registry receives the metrics; nil uses a private registry (still
	// served on /metrics).
	Registry *prometheus.Registry
	// Handler, when set, is called once the store is open; the handler it
	// returns serves every path other than /healthz, /readyz and /metrics
	// (the /api and the dashboard). It reads state through db and must not
	// write to it.
	Handler func(db *store.DB) http.Handler
	// Listener, when set, is used instead of listening on Config.HTTPAddr
	// (tests pass a 127.0.0.1:0 listener).
	Listener net.Listener
	// BatchRecords and BatchWait bound a micro-batch (defaults
	// DefaultBatchRecords, DefaultBatchWait).
	BatchRecords int
	BatchWait    time.Duration
	// Now is the wall clock (default time.Now); tests may fake it.
	Now func() time.Time
	// TickInterval is how often the clock is advanced with idle inputs
	// (default 250ms, so timers fire within a second of being due).
	TickInterval time.Duration

	// sessionTimeout is the consumer group session and rebalance timeout
	// (default 10s). Tests shorten it (with a broker whose minimum allows
	// it) so that a killed member leaves the group quickly.
	sessionTimeout time.Duration
}

// OffsetError is returned when the local store and the offsets committed
// in Kafka disagree so that starting would skip or repeat input: Kafka's
// committed offset is ahead of the local checkpoint, or the store is empty
// while offsets are committed. --rebuild resolves it.
type OffsetError struct {
	Topic     string
	Partition int
	Local     int64 // -1: none
	Committed int64
	Dir       string
}

func (e *OffsetError) Error() string {
	if e.Local < 0 {
		return fmt.Sprintf("refusing to start: the store %s has no checkpoint for %s/%d but Kafka has committed offset %d for the group (a lost or new volume?); start with --rebuild to rebuild state from the earliest offsets",
			e.Dir, e.Topic, e.Partition, e.Committed)
	}
	return fmt.Sprintf("refusing to start: Kafka's committed offset %d for %s/%d is ahead of the store's checkpoint %d in %s (a stale volume?); start with --rebuild to rebuild state from the earliest offsets",
		e.Committed, e.Topic, e.Partition, e.Local, e.Dir)
}

// Runtime is the run daemon. Create it with New and run it with Run once.
type Runtime struct {
	opts Options
	cfg  *Config
	pol  *policy.Policy
	// decs decodes the vendor formats (the policy's Okta aliases applied);
	// cloudevents records are decoded with their Kafka headers (loop.decode).
	decs    input.Decoders
	corr    *correlator.Correlator
	log     *zap.Logger
	reg     *prometheus.Registry
	db      *store.DB
	ln      net.Listener
	kc      *kafkaClients
	metrics *metrics
	pub     *publisher
	writer  *kafka.Writer

	hasState atomic.Bool
	// failWrites makes every micro-batch commit fail as a failing disk
	// would (a test hook: there is no other way to make a healthy disk
	// fail on demand).
	failWrites atomic.Bool

	mu struct {
		sync.Mutex
		role      string
		reason    string
		storeErr  error // a fatal store error: consumption stopped
		brokerErr error // the last broker error, nil once Kafka answers
	}
}

// New opens the store (deleting it first with Options.Rebuild) and the
// HTTP listener. The caller must call Run, which closes them.
func New(opts Options) (*Runtime, error) {
	if opts.Config == nil {
		return nil, errors.New("runtime: no config")
	}
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	r := &Runtime{opts: opts, cfg: opts.Config, log: opts.Logger, reg: opts.Registry}
	if r.log == nil {
		r.log = zap.NewNop()
	}
	if r.reg == nil {
		r.reg = prometheus.NewRegistry()
	}
	if r.opts.BatchRecords <= 0 {
		r.opts.BatchRecords = DefaultBatchRecords
	}
	if r.opts.BatchWait <= 0 {
		r.opts.BatchWait = DefaultBatchWait
	}
	if r.opts.Now == nil {
		r.opts.Now = time.Now
	}
	if r.opts.TickInterval <= 0 {
		r.opts.TickInterval = 250 * time.Millisecond
	}
	if r.opts.sessionTimeout <= 0 {
		r.opts.sessionTimeout = 10 * time.Second
	}
	r.pol = opts.Policy
	if r.pol == nil {
		p, err := policy.Load(r.cfg.Policy)
		if err != nil {
			return nil, err
		}
		r.pol = p
	}
	r.decs = input.NewDecoders(r.pol.Aliases)
	r.corr = correlator.New(r.pol)
	kc, err := newKafkaClients(r.cfg)
	if err != nil {
		return nil, err
	}
	r.kc = kc
	if opts.Rebuild {
		if err := os.RemoveAll(r.cfg.StateDir); err != nil {
			return nil, fmt.Errorf("rebuild: removing %s: %w", r.cfg.StateDir, err)
		}
		r.log.Info("rebuild: store deleted; consuming every input from its earliest offset", zap.String("state_dir", r.cfg.StateDir))
	}
	if err := os.MkdirAll(r.cfg.StateDir, 0o750); err != nil {
		return nil, fmt.Errorf("creating state dir: %w", err)
	}
	db, err := store.Open(r.cfg.StateDir, store.Options{
		RowCacheSize: 32 << 20, RowCachePrefixes: correlator.CachedKeyPrefixes,
	})
	if err != nil {
		return nil, fmt.Errorf("opening store %s: %w", r.cfg.StateDir, err)
	}
	r.db = db
	if err := correlator.CheckFormat(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("state %s: %w", r.cfg.StateDir, err)
	}
	offs, err := db.Offsets()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("reading checkpoint from %s: %w", r.cfg.StateDir, err)
	}
	r.hasState.Store(len(offs) > 0)
	r.ln = opts.Listener
	if r.ln == nil {
		ln, err := net.Listen("tcp", r.cfg.HTTPAddr)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("http_addr %s: %w", r.cfg.HTTPAddr, err)
		}
		r.ln = ln
	}
	r.metrics = newMetrics(r.reg, r.pol, r.db)
	r.writer = &kafka.Writer{
		Addr:                   kafka.TCP(r.cfg.Brokers...),
		Balancer:               &kafka.Murmur2Balancer{Consistent: true},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           5 * time.Millisecond,
		BatchSize:              1000,
		MaxAttempts:            3,
		AllowAutoTopicCreation: true,
		Transport:              r.kc.transport,
	}
	r.pub = newPublisher(r.db, r.writer, r.log, r.metrics)
	r.mu.role = RoleStarting
	return r, nil
}

// HTTPAddr returns the address the HTTP surface listens on.
func (r *Runtime) HTTPAddr() string { return r.ln.Addr().String() }

// DB returns the store, for read access (valid until Run returns).
func (r *Runtime) DB() *store.DB { return r.db }

// Readiness returns what /readyz reports.
func (r *Runtime) Readiness() Readiness {
	r.mu.Lock()
	defer r.mu.Unlock()
	rd := Readiness{Role: r.mu.role, Reason: r.mu.reason}
	switch {
	case r.mu.storeErr != nil:
		rd.Reason = "store failure: " + r.mu.storeErr.Error()
	case r.mu.brokerErr != nil:
		rd.Reason = "kafka unavailable: " + r.mu.brokerErr.Error()
	case !r.pub.isHealthy():
		rd.Reason = "kafka unavailable: producing the outbox fails"
	case r.mu.role == RoleOwner:
		rd.Ready = true
		rd.Reason = ""
	}
	return rd
}

func (r *Runtime) setRole(role, reason string) {
	r.mu.Lock()
	r.mu.role, r.mu.reason = role, reason
	r.mu.Unlock()
	r.updateReady()
}

func (r *Runtime) setBrokerErr(err error) {
	r.mu.Lock()
	r.mu.brokerErr = err
	r.mu.Unlock()
	r.updateReady()
}

// clearBrokerErr clears the broker error if one is set (cheap when none).
func (r *Runtime) clearBrokerErr() {
	r.mu.Lock()
	set := r.mu.brokerErr != nil
	r.mu.brokerErr = nil
	r.mu.Unlock()
	if set {
		r.updateReady()
	}
}

func (r *Runtime) updateReady() {
	if r.Readiness().Ready {
		r.metrics.ready.Set(1)
	} else {
		r.metrics.ready.Set(0)
	}
}

// Run runs the daemon until ctx is cancelled (SIGTERM): it then finishes
// the micro-batch, commits it, flushes the outbox for at most
// ShutdownFlush and returns nil. It returns an *OffsetError when the
// checkpoint and Kafka disagree, and the store error after a store failure
// (having stopped consuming and reported not ready until ctx is done).
func (r *Runtime) Run(ctx context.Context) (err error) {
	defer func() {
		if cerr := r.db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing store: %w", cerr)
		}
	}()
	var extra http.Handler
	if r.opts.Handler != nil {
		extra = r.opts.Handler(r.db)
	}
	srv := &http.Server{Handler: r.handler(r.reg, extra), ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(r.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("http server failed", zap.Error(err))
		}
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		wg.Wait()
	}()

	pubCtx, stopPub := context.WithCancel(context.Background())
	var pubWG sync.WaitGroup
	pubWG.Add(1)
	go func() { defer pubWG.Done(); r.pub.run(pubCtx) }()
	defer func() {
		stopPub()
		pubWG.Wait()
		// SIGTERM: flush what is left for at most ShutdownFlush; the rest
		// stays in the outbox for the next start.
		fctx, cancel := context.WithTimeout(context.Background(), ShutdownFlush)
		defer cancel()
		if ferr := r.pub.drain(fctx); ferr != nil {
			d, _ := r.db.OutboxDepth()
			r.log.Warn("outbox not fully flushed at shutdown; the rest is published at the next start", zap.Int("left", d), zap.Error(ferr))
		}
		_ = r.writer.Close()
	}()

	scanCtx, stopScan := context.WithCancel(context.Background())
	var scanWG sync.WaitGroup
	scanWG.Add(1)
	go func() { defer scanWG.Done(); newStateScanner(r.db, r.metrics, r.opts.Now).run(scanCtx) }()
	defer func() { stopScan(); scanWG.Wait() }()

	err = r.consume(ctx)
	r.setRole(RoleStopped, "shutting down")
	if errors.Is(err, store.ErrFatal) {
		// A failing disk: stop consuming, stay up not ready until told to stop.
		<-ctx.Done()
		return err
	}
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// consume joins the group and runs generations until ctx is done.
func (r *Runtime) consume(ctx context.Context) error {
	topics := make([]string, len(r.cfg.Inputs))
	for i, in := range r.cfg.Inputs {
		topics[i] = in.Topic
	}
	cg, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID:                r.cfg.GroupID,
		Brokers:           r.cfg.Brokers,
		Dialer:            r.kc.dialer,
		Topics:            topics,
		GroupBalancers:    []kafka.GroupBalancer{&soleOwnerBalancer{hasState: &r.hasState, started: r.opts.Now().UnixNano()}},
		StartOffset:       kafka.FirstOffset,
		HeartbeatInterval: min(time.Second, r.opts.sessionTimeout/3),
		SessionTimeout:    r.opts.sessionTimeout,
		RebalanceTimeout:  r.opts.sessionTimeout,
		JoinGroupBackoff:  min(time.Second, r.opts.sessionTimeout/3),
		Timeout:           5 * time.Second,
		Logger:            kafka.LoggerFunc(func(m string, a ...any) { r.log.Debug(fmt.Sprintf(m, a...)) }),
		ErrorLogger:       kafka.LoggerFunc(func(m string, a ...any) { r.log.Warn(fmt.Sprintf(m, a...)) }),
	})
	if err != nil {
		return fmt.Errorf("creating consumer group: %w", err)
	}
	defer cg.Close()
	backoff := 100 * time.Millisecond
	for {
		gen, err := cg.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.setBrokerErr(err)
			r.log.Warn("joining the consumer group failed; retrying", zap.Error(err), zap.Duration("backoff", backoff))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		r.setBrokerErr(nil)
		n := 0
		for _, ps := range gen.Assignments {
			n += len(ps)
		}
		if n == 0 {
			r.setRole(RoleStandby, "another member of group "+r.cfg.GroupID+" owns every input partition")
			r.log.Info("standby: another member owns every input partition; this member stays idle (supported deployment: one replica)",
				zap.String("group", r.cfg.GroupID), zap.Int32("generation", gen.ID))
			done := make(chan struct{})
			gen.Start(func(gctx context.Context) {
				defer close(done)
				select {
				case <-gctx.Done():
				case <-ctx.Done():
				}
			})
			<-done
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		var loopErr error
		done := make(chan struct{})
		gen.Start(func(gctx context.Context) {
			defer close(done)
			loopErr = r.own(ctx, gctx, gen)
		})
		<-done
		if loopErr != nil {
			return loopErr
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}
