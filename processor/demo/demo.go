package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/httpapi"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/runtime"
	"github.com/jmlwatch/jmlwatch/store"
)

// Defaults of Options.
const (
	DefaultWorkers    = 2000
	DefaultDays       = 90
	DefaultSpeed      = 17280 // event seconds per wall second: a day every 5 s
	DefaultAddr       = "127.0.0.1:8080"
	DefaultBrokerAddr = "127.0.0.1:9092"
	DefaultSeed       = 1
	DefaultWarmup     = 7 * 24 * time.Hour
)

// portTries is how many ports after Options.Addr's are tried when it is
// busy.
const portTries = 20

// Options configure Run. Zero values mean the defaults.
type Options struct {
	// Workers is the synthetic headcount (default DefaultWorkers).
	Workers int
	// Days is the generated period (default DefaultDays).
	Days int
	// Speed is event seconds per wall second (default DefaultSpeed).
	Speed float64
	// Addr is where the dashboard and API listen; when it is busy the next
	// 20 ports are tried (default DefaultAddr). Port 0 means any free one.
	Addr string
	// BrokerAddr is where the in-process broker listens; when it is busy
	// (a local Kafka, another demo) a free loopback port is used instead
	// (default DefaultBrokerAddr).
	BrokerAddr string
	// Warmup is the event time at the start of the period that is
	// produced as fast as the broker takes it, before pacing at Speed
	// begins, so that the dashboard opens on a week of history with cases
	// already overdue (default DefaultWarmup; negative: none).
	Warmup time.Duration
	// Seed of the generator (default DefaultSeed).
	Seed uint64
	// Out receives the URL, the live summary line and the closing lines
	// (default io.Discard).
	Out io.Writer
	// Ready, when set, is called with the dashboard URL once it is printed.
	Ready func(url string)
	// Logger receives the runtime's log (nil: none, so that it does not
	// break the summary line).
	Logger *zap.Logger
	// Interval is how often the summary line is rewritten (default 1s).
	Interval time.Duration
}

func (o *Options) setDefaults() {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.Days <= 0 {
		o.Days = DefaultDays
	}
	if o.Speed <= 0 {
		o.Speed = DefaultSpeed
	}
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.BrokerAddr == "" {
		o.BrokerAddr = DefaultBrokerAddr
	}
	if o.Warmup == 0 {
		o.Warmup = DefaultWarmup
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
}

// inputs are the demo's input topics and the generated file that feeds
// each (whose Format is how the runtime decodes it).
var inputs = []struct {
	file  gen.File
	topic string
}{
	{gen.FileHR, "hr"},
	{gen.FileOkta, "okta"},
	{gen.FileEntra, "entra"},
	{gen.FileTickets, "tickets"},
	{gen.FileNHI, "nhi"},
}

// Run runs the demo until ctx is done: it starts the in-process broker
// with the input topics, the runtime (event clock, a Pebble store in a
// temporary directory) with the dashboard and API, and the generator
// feeding the topics in accelerated event time; it prints the URL and
// rewrites a summary line every Options.Interval. When the traffic ends it
// keeps serving. When ctx is done it stops the feed, then the runtime (which
// commits its micro-batch and flushes its outbox), then the broker, removes
// the temporary directory and returns nil.
//
// It returns an error, having stopped everything it started, if it cannot
// listen, start the broker or the runtime, or if the runtime or the feed
// fail.
func Run(ctx context.Context, opts Options) (err error) {
	opts.setDefaults()
	pol, err := policy.Parse([]byte(gen.Policy()), "gen policy")
	if err != nil {
		return fmt.Errorf("demo: policy: %w", err)
	}
	dir, err := os.MkdirTemp("", "jmlwatch-demo-")
	if err != nil {
		return fmt.Errorf("demo: state directory: %w", err)
	}
	defer func() {
		if rerr := os.RemoveAll(dir); rerr != nil && err == nil {
			err = fmt.Errorf("demo: removing %s: %w", dir, rerr)
		}
	}()
	polPath := filepath.Join(dir, gen.PolicyFile)
	if err := os.WriteFile(polPath, []byte(gen.Policy()), 0o600); err != nil {
		return fmt.Errorf("demo: writing policy: %w", err)
	}

	b, err := startBroker(ctx, opts.BrokerAddr)
	if err != nil {
		return err
	}
	defer b.Close()

	ln, err := listen(opts.Addr)
	if err != nil {
		return err
	}
	cfg := runtime.Defaults()
	cfg.Brokers = []string{b.Addr()}
	cfg.GroupID = "jmlwatch-demo"
	cfg.StateDir = filepath.Join(dir, "state")
	cfg.Policy = polPath
	cfg.HTTPAddr = ln.Addr().String()
	cfg.Clock = runtime.ClockEvent
	for _, in := range inputs {
		cfg.Inputs = append(cfg.Inputs, runtime.Input{Topic: in.topic, Format: in.file.Format()})
	}
	reg := prometheus.NewRegistry()
	rt, err := runtime.New(runtime.Options{
		Config: cfg, Policy: pol, Logger: opts.Logger, Registry: reg, Listener: ln,
		Handler: func(db *store.DB) http.Handler { return httpapi.New(httpapi.Options{State: db, Policy: pol}) },
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo: starting the processor: %w", err)
	}
	rctx, stopRuntime := context.WithCancel(context.Background())
	defer stopRuntime()
	rtDone := make(chan error, 1)
	go func() { rtDone <- rt.Run(rctx) }()

	url := "http://" + rt.HTTPAddr() + "/"
	fmt.Fprintf(opts.Out, "jmlwatch demo: dashboard at %s (API under %sapi/v1/, metrics at %smetrics)\n", url, url, url)
	fmt.Fprintf(opts.Out, "jmlwatch demo: Kafka-protocol broker at %s: inputs %s; outputs %s, %s, %s\n",
		b.Addr(), topicList(), cfg.Outputs.EventsTopic, cfg.Outputs.AlertsTopic, cfg.Outputs.DLQTopic)
	pace := fmt.Sprintf("at %gx", opts.Speed)
	if opts.Warmup > 0 {
		pace = fmt.Sprintf("the first %s at full speed, then %gx", days(opts.Warmup), opts.Speed)
	}
	fmt.Fprintf(opts.Out, "jmlwatch demo: %d workers, %d days from %s, %s; Ctrl-C to stop\n",
		opts.Workers, opts.Days, gen.DefaultStart().Format(time.DateOnly), pace)
	if opts.Ready != nil {
		opts.Ready(url)
	}

	f, err := newFeeder(b.Addr(), opts.Speed, opts.Warmup)
	if err != nil {
		stopRuntime()
		<-rtDone
		return err
	}
	fctx, stopFeed := context.WithCancel(ctx)
	defer stopFeed()
	feedDone := make(chan error, 1)
	go func() {
		feedDone <- f.run(fctx, gen.Config{Workers: opts.Workers, Days: opts.Days, Seed: opts.Seed})
	}()

	sum := &summary{db: rt.DB(), reg: reg, start: gen.DefaultStart(), days: opts.Days, fed: &f.fed}
	tick := time.NewTicker(opts.Interval)
	defer tick.Stop()
	var failure error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			fmt.Fprintf(opts.Out, "\r%s   ", sum.line())
		case ferr := <-feedDone:
			feedDone = nil
			if ferr != nil && ctx.Err() == nil {
				failure = ferr
				break loop
			}
			if ferr == nil {
				fmt.Fprintf(opts.Out, "\r%s   \njmlwatch demo: traffic finished (%d records fed); still serving %s until Ctrl-C\n",
					sum.line(), f.fed.Load(), url)
			}
		case rerr := <-rtDone:
			rtDone = nil
			failure = fmt.Errorf("demo: the processor stopped: %w", rerr)
			if rerr == nil {
				failure = errors.New("demo: the processor stopped")
			}
			break loop
		}
	}
	stopFeed()
	if feedDone != nil {
		<-feedDone
	}
	if rtDone != nil {
		fmt.Fprintf(opts.Out, "\r%s   \njmlwatch demo: stopping\n", sum.line())
		stopRuntime()
		if rerr := <-rtDone; rerr != nil && failure == nil {
			failure = fmt.Errorf("demo: stopping the processor: %w", rerr)
		}
	}
	defer func() {
		if failure == nil {
			fmt.Fprintln(opts.Out, "jmlwatch demo: stopped")
		}
	}()
	if cerr := f.close(); cerr != nil && failure == nil && ctx.Err() == nil {
		failure = cerr
	}
	return failure
}

// startBroker starts the in-process broker with the input topics on addr
// or, when addr is busy, on a free loopback port.
func startBroker(ctx context.Context, addr string) (*broker.Broker, error) {
	topics := make([]string, 0, len(inputs))
	for _, in := range inputs {
		topics = append(topics, in.topic)
	}
	b, err := broker.Start(ctx, broker.Options{Addr: addr, Topics: topics})
	if err != nil && addr != "127.0.0.1:0" {
		b, err = broker.Start(ctx, broker.Options{Addr: "127.0.0.1:0", Topics: topics})
	}
	if err != nil {
		return nil, fmt.Errorf("demo: starting the broker: %w", err)
	}
	return b, nil
}

func topicList() string {
	var s []string
	for _, in := range inputs {
		if in.file.Format() == input.FormatCloudEvents {
			s = append(s, in.topic)
		} else {
			s = append(s, in.topic+" ("+string(in.file.Format())+")")
		}
	}
	return strings.Join(s, ", ")
}

// listen binds addr or, when it is in use, one of the next portTries
// ports.
func listen(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("demo: --addr %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("demo: --addr %q: bad port", addr)
	}
	var first error
	for i := 0; i <= portTries && p+i <= 65535; i++ {
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
	return nil, fmt.Errorf("demo: listening on %s or the next %d ports: %w", addr, portTries, first)
}

// days formats d in days when it is whole days ("7 days"), else as a Go
// duration.
func days(d time.Duration) string {
	if d%(24*time.Hour) != 0 {
		return d.String()
	}
	if n := d / (24 * time.Hour); n != 1 {
		return strconv.Itoa(int(n)) + " days"
	}
	return "day"
}
