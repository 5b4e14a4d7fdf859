package main

import (
	"errors"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/jmlwatch/jmlwatch/processor/httpapi"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/runtime"
	"github.com/jmlwatch/jmlwatch/store"
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
events (and dead letters) to Kafka. It serves /healthz, /readyz, /metrics,
the API under /api/v1 and the dashboard at / on http_addr; with
http_token_env set, /api needs that bearer token (the rest stays open).

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
			rt, err := runtime.New(runtime.Options{Config: cfg, Policy: pol, Rebuild: rebuild, Logger: log, Registry: reg,
				Handler: apiHandler(pol, httpToken(cfg, os.Getenv))})
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

// apiHandler returns the runtime's Handler: the API and dashboard
// (processor/httpapi) over the committed state in db. The store offers no
// Pebble snapshot, so each read goes to the DB itself: Pebble reads never
// wait for the apply loop's batch commits, and they see only committed
// micro-batches. token, when not empty, is the bearer token every /api call
// needs; /healthz, /readyz and /metrics are served by the runtime outside
// this handler and stay open.
func apiHandler(pol *policy.Policy, token string) func(db *store.DB) http.Handler {
	return func(db *store.DB) http.Handler {
		return httpapi.New(httpapi.Options{State: db, Policy: pol, Token: token})
	}
}

// httpToken returns the bearer token of the environment variable the
// config's http_token_env names ("" when it names none). LoadConfig has
// already refused a named variable that is unset or empty.
func httpToken(cfg *runtime.Config, getenv func(string) string) string {
	if cfg.HTTPTokenEnv == "" {
		return ""
	}
	return getenv(cfg.HTTPTokenEnv)
}
