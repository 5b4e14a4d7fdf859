package main

import (
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/jmlwatch/jmlwatch/processor/demo"
)

// newDemoCmd returns `jmlwatch demo` (SPEC 1): the in-process broker,
// synthetic traffic, the processor and the dashboard on one machine, no
// setup.
func newDemoCmd() *cobra.Command {
	var opts demo.Options
	cmd := &cobra.Command{
		Use:   "demo [--speed X] [--workers N] [--days D] [--addr HOST:PORT] [--seed S]",
		Short: "Run jmlwatch end to end on synthetic traffic and serve the dashboard (no setup needed)",
		Long: `demo runs the whole of jmlwatch on one machine with no setup:

  - an in-process Kafka-protocol broker on 127.0.0.1 (port 9092, or a free
    one when 9092 is busy) with the input topics hr, okta (Okta System Log
    events), entra (Entra audit records), tickets and nhi;
  - a synthetic workforce's traffic (as "jmlwatch gen" makes it) produced
    to those topics in accelerated event time;
  - the processor ("jmlwatch run" with clock: event, its Pebble state in a
    temporary directory removed at exit), writing its output to
    jmlwatch.events, jmlwatch.alerts and jmlwatch.dlq;
  - the dashboard and API on 127.0.0.1:8080, or the next free port.

It prints the URL and rewrites one summary line every second: the event
clock, the day of the generated period, records read (and produced), open
cases and SLA breaches. When the traffic ends it keeps serving. Ctrl-C
(SIGINT or SIGTERM) stops it cleanly.

Exit status: 0 after Ctrl-C, 1 runtime failure, 2 bad usage.`,
		Example: `  jmlwatch demo
  jmlwatch demo --workers 500 --days 30 --speed 86400 --addr 127.0.0.1:9000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Speed <= 0 {
				return usageErrorf("--speed %g: must be positive", opts.Speed)
			}
			if opts.Workers <= 0 || opts.Days <= 0 {
				return usageErrorf("--workers and --days must be positive")
			}
			for _, a := range [...]struct{ flag, addr string }{{"--addr", opts.Addr}, {"--broker-addr", opts.BrokerAddr}} {
				flag, addr := a.flag, a.addr
				if _, port, err := net.SplitHostPort(addr); err != nil {
					return usageErrorf("%s %q: %v", flag, addr, err)
				} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
					return usageErrorf("%s %q: bad port", flag, addr)
				}
			}
			opts.Out = cmd.OutOrStdout()
			return demo.Run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&opts.Speed, "speed", demo.DefaultSpeed, "event seconds per wall-clock second (17280: a day every 5s)")
	f.IntVar(&opts.Workers, "workers", demo.DefaultWorkers, "synthetic headcount")
	f.IntVar(&opts.Days, "days", demo.DefaultDays, "days of traffic to generate")
	f.StringVar(&opts.Addr, "addr", demo.DefaultAddr, "dashboard and API listen address; the next free port is used when it is busy")
	f.StringVar(&opts.BrokerAddr, "broker-addr", demo.DefaultBrokerAddr, "in-process broker listen address; a free loopback port is used when it is busy")
	f.Uint64Var(&opts.Seed, "seed", demo.DefaultSeed, "generator seed")
	return cmd
}
