package main

import (
	"github.com/spf13/cobra"

	"github.com/jmlwatch/jmlwatch/processor/demo"
)

// newDemoCmd returns the demo command: synthetic traffic, the correlator and
// the dashboard on one machine, no setup (SPEC 1).
func newDemoCmd() *cobra.Command {
	var opts demo.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run jmlwatch on synthetic traffic and serve the dashboard (no setup needed)",
		Long: `demo generates a synthetic workforce's HR, Okta, Entra and ticket traffic
(as "jmlwatch gen" does), plays it in accelerated event time through the
correlator on the event clock, and serves the dashboard and API on
127.0.0.1:8080 (or the next free port). It prints the URL and a live
summary line; Ctrl-C stops it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Speed < 0 || opts.Workers < 0 || opts.Days < 0 {
				return usageErrorf("--speed, --workers and --days must be positive")
			}
			opts.Out = cmd.OutOrStdout()
			return demo.Run(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.Float64Var(&opts.Speed, "speed", 17280, "event seconds per wall-clock second (17280: a day every 5 s)")
	f.IntVar(&opts.Workers, "workers", 2000, "synthetic headcount")
	f.IntVar(&opts.Days, "days", 90, "days of traffic to generate")
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "listen address; the next free port is used when it is busy")
	f.Uint64Var(&opts.Seed, "seed", 1, "generator seed")
	return cmd
}
