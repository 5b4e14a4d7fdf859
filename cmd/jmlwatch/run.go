package main

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/runtime"
)

// newRunCmd returns `jmlwatch run --config FILE [--rebuild]` (SPEC
// sections 1, 6 run, 8): the daemon.
func newRunCmd() *cobra.Command {
	var (
		configPath string
		rebuild    bool
	)
	cmd := &cobra.Command{
		Use:   "run --config FILE [--rebuild]",
		Short: "Run the daemon: Kafka in, Pebble state, Kafka out, HTTP surface",
		Long: `Run consumes the input topics of the config, correlates them with the
policy, keeps state in a Pebble store under state_dir, and produces the output
events (and dead letters) to Kafka. It serves /healthz, /readyz and /metrics
on http_addr.

One member of the consumer group owns every input partition; other members
stay idle (role standby on /readyz). Supported deployment: one replica on a
persistent volume. See docs/OPERATIONS.md.

--rebuild deletes the store and consumes every input from its earliest
offset. Without it, run refuses to start (exit 1) when Kafka's committed
offsets are ahead of the store's checkpoint or the store is empty while
offsets are committed.

On SIGTERM it finishes the micro-batch, commits it, flushes the outbox for
at most 5s and exits 0.

Exit status: 0 after SIGTERM, 1 runtime failure, 2 bad usage, config or policy.`,
		Example: `  jmlwatch run --config jmlwatch.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if configPath == "" {
				return usageErrorf("run needs --config FILE")
			}
			cfg, err := runtime.LoadConfig(configPath)
			if err != nil {
				return usageError(err)
			}
			pol, err := policy.Load(cfg.Policy)
			if err != nil {
				return usageError(err)
			}
			zc := zap.NewProductionConfig()
			zc.OutputPaths = []string{"stderr"}
			zc.ErrorOutputPaths = []string{"stderr"}
			log, err := zc.Build()
			if err != nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			reg := prometheus.NewRegistry()
			reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
			rt, err := runtime.New(runtime.Options{Config: cfg, Policy: pol, Rebuild: rebuild, Logger: log, Registry: reg})
			if err != nil {
				var ce *runtime.ConfigError
				if errors.As(err, &ce) {
					return usageError(err)
				}
				return err
			}
			log.Info("jmlwatch run started", zap.String("http_addr", rt.HTTPAddr()), zap.Strings("brokers", cfg.Brokers))
			return rt.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "the run config file (YAML)")
	f.BoolVar(&rebuild, "rebuild", false, "delete the store and rebuild state from the earliest offsets")
	return cmd
}
