package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/entra"
	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/events/okta"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/httpapi"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

// Options configure Run. Zero values mean the defaults.
type Options struct {
	// Workers is the synthetic headcount (default 2000).
	Workers int
	// Days is the generated period (default 90).
	Days int
	// Speed is event seconds per wall second (default 17280: a day every
	// 5 s).
	Speed float64
	// Addr is where to serve; when it is busy the next ports (up to 20)
	// are tried (default 127.0.0.1:8080).
	Addr string
	// Seed of the generator (default 1).
	Seed uint64
	// Out receives the URL and the live summary line (default io.Discard).
	Out io.Writer
	// Ready, when set, is called with the URL once the server listens.
	Ready func(url string)
}

// Stats is the live summary.
type Stats struct {
	Records   int64 // records read (applied, skipped, held)
	OpenCases int64
	Breaches  int64
	Clock     time.Time
}

// Run runs the demo until ctx is done, then shuts the server down and
// returns nil. It returns an error if it cannot listen or generation fails.
func Run(ctx context.Context, opts Options) error {
	if opts.Workers <= 0 {
		opts.Workers = 2000
	}
	if opts.Days <= 0 {
		opts.Days = 90
	}
	if opts.Speed <= 0 {
		opts.Speed = 17280
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:8080"
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	pol, err := policy.Parse([]byte(gen.Policy()), "gen policy")
	if err != nil {
		return fmt.Errorf("demo: policy: %w", err)
	}
	ln, err := listen(opts.Addr)
	if err != nil {
		return err
	}
	snap := &snapshot{}
	snap.cur.Store(memkv.New())
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ready\n") })
	mux.Handle("/", httpapi.New(httpapi.Options{State: snap, Policy: pol}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		srv.Shutdown(sctx)
		cancel()
		wg.Wait()
	}()
	url := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(opts.Out, "jmlwatch demo: dashboard at %s (API under %sapi/v1/); Ctrl-C to stop\n", url, url)
	if opts.Ready != nil {
		opts.Ready(url)
	}

	a := &applier{pol: pol, tx: correlator.New(pol).NewTx(nil), snap: snap, speed: opts.Speed, openSet: map[string]bool{}}
	a.kv = memkv.New()
	a.tx.Reset(a.kv)
	a.wallStart = time.Now()
	a.genStart = gen.DefaultStart()

	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s := a.stats()
				fmt.Fprintf(opts.Out, "\r%s  records %d  open cases %d  breaches %d   ",
					s.Clock.Format("2006-01-02 15:04"), s.Records, s.OpenCases, s.Breaches)
			}
		}
	}()
	_, err = gen.Generate(ctx, gen.Config{Workers: opts.Workers, Days: opts.Days, Seed: opts.Seed}, a.sink(ctx))
	if err == nil {
		err = a.publish()
		fmt.Fprintf(opts.Out, "\njmlwatch demo: traffic finished; still serving %s until Ctrl-C\n", url)
		<-ctx.Done()
	}
	<-done
	fmt.Fprintln(opts.Out)
	if errors.Is(err, context.Canceled) || ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return nil
	}
	return err
}

// listen binds addr or, when it is in use, one of the next 20 ports.
func listen(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("demo: --addr %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return nil, fmt.Errorf("demo: --addr %q: bad port", addr)
	}
	var first error
	for i := 0; i <= 20; i++ {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(p+i)))
		if err == nil {
			return ln, nil
		}
		if first == nil {
			first = err
		}
		if p == 0 {
			break
		}
	}
	return nil, fmt.Errorf("demo: listening on %s or the next 20 ports: %w", addr, first)
}

// snapshot is a correlator.Reader over the latest published copy of the
// state. Reads never wait for the apply loop.
type snapshot struct{ cur atomic.Pointer[memkv.KV] }

func (s *snapshot) Get(key []byte) ([]byte, bool, error) { return s.cur.Load().Get(key) }
func (s *snapshot) Scan(lower, upper []byte, fn func(k, v []byte) error) error {
	return s.cur.Load().Scan(lower, upper, fn)
}

// applier feeds generated records through the decoders and the
// correlator, paced to event time.
type applier struct {
	pol       *policy.Policy
	kv        *memkv.KV
	tx        *correlator.Tx
	snap      *snapshot
	speed     float64
	wallStart time.Time
	genStart  time.Time
	published time.Time
	out       []events.Output
	openSet   map[string]bool

	records, open, breaches atomic.Int64
	clock                   atomic.Int64
}

func (a *applier) stats() Stats {
	return Stats{Records: a.records.Load(), OpenCases: a.open.Load(), Breaches: a.breaches.Load(),
		Clock: time.Unix(0, a.clock.Load()).UTC()}
}

func (a *applier) sink(ctx context.Context) gen.Sink {
	return func(f gen.File, t time.Time, line []byte) error {
		// Pace: event time t is due at wallStart + (t - genStart) / speed.
		due := a.wallStart.Add(time.Duration(float64(t.Sub(a.genStart)) / a.speed))
		if wait := time.Until(due); wait > 0 {
			if err := a.publish(); err != nil {
				return err
			}
			tm := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				tm.Stop()
				return ctx.Err()
			case <-tm.C:
			}
		}
		var items []events.Item
		switch f.Format() {
		case "okta":
			items = okta.Decode(line, a.pol.Aliases)
		case "entra":
			items = entra.Decode(line)
		default:
			items = events.DecodeStructured(line)
		}
		for _, it := range items {
			if it.Err != nil {
				continue // gen writes no bad records; the gen tests check it
			}
			a.records.Add(1)
			tt := t
			if it.Event != nil {
				tt = it.Event.Time
			}
			var err error
			if a.out, err = a.tx.Advance(tt.Add(-a.pol.AllowedLateness), a.out); err != nil {
				return err
			}
			if it.Event != nil {
				if a.out, _, err = a.tx.Apply(it.Event, a.out); err != nil {
					return err
				}
			}
			a.count()
		}
		if time.Since(a.published) > 500*time.Millisecond {
			return a.publish()
		}
		return nil
	}
}

func (a *applier) count() {
	for _, o := range a.out {
		switch o.Type {
		case events.TypeCaseOpened:
			if d, ok := o.Data.(*events.CaseOpenedData); ok {
				a.openSet[d.CaseID] = true
			}
		case events.TypeCaseCompleted:
			if d, ok := o.Data.(*events.CaseCompletedData); ok {
				delete(a.openSet, d.CaseID)
			}
		case events.TypeCaseCancelled:
			if d, ok := o.Data.(*events.CaseCancelledData); ok {
				delete(a.openSet, d.CaseID)
			}
		case events.TypeSLABreached:
			a.breaches.Add(1)
		}
	}
	a.open.Store(int64(len(a.openSet)))
	a.out = a.out[:0]
}

// publish flushes the Tx and hands HTTP readers a copy of the state.
func (a *applier) publish() error {
	if err := a.tx.Flush(); err != nil {
		return err
	}
	c, err := a.tx.Clock()
	if err != nil {
		return err
	}
	a.clock.Store(c.UnixNano())
	cp := memkv.New()
	if err := a.kv.Scan(nil, nil, func(k, v []byte) error { return cp.Set(k, v) }); err != nil {
		return err
	}
	a.snap.cur.Store(cp)
	a.published = time.Now()
	return nil
}
