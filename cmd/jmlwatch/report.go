package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/report"
	"github.com/jmlwatch/jmlwatch/processor/runtime"
)

// maxBadRecordLines bounds the malformed records report lists on stderr; the
// rest are counted.
const maxBadRecordLines = 20

// newReportCmd returns `jmlwatch report`: the programme metrics of SPEC
// section 9 over files of output events.
func newReportCmd() *cobra.Command {
	var (
		inputs     []string
		configPath string
		periodStr  string
		baseStr    string
		policyPath string
		tz         string
		format     string
		outPath    string
	)
	cmd := &cobra.Command{
		Use:   "report (--input PATH... | --config FILE) [--period A/B] [--baseline C/D] [--policy FILE] [--timezone TZ] [--format table|json|csv|html] [--output FILE]",
		Short: "Programme metrics (time to provision/revoke, SLA ratios, breaches, orphans) over output events",
		Long: `report reads jmlwatch output events (structured CloudEvents, as JSON Lines
or as JSON documents each an event or an array of events: replay output, or
a dump of the events and alerts topics) and computes the
programme metrics of SPEC section 9 for a period and, with --baseline, their
change over a baseline.

Periods are FROM/TO, each an RFC 3339 timestamp or a date (YYYY-MM-DD, a
midnight in --timezone), half-open: 2026-03-01/2026-04-01 is all of March.
The default period is the 30 days up to the latest event (the greatest
CloudEvent time in the inputs), including it. Percentiles are nearest-rank.
See docs/REPORT.md for every definition and the JSON contract.

With --config FILE (the run config) instead of --input, the events and
alerts topics are read from Kafka, every partition from its first offset to
its end when reading starts, through the config's brokers, TLS and SASL;
records in binary mode (ce_ headers) and structured mode are both read.

Malformed records are listed on stderr with file and line (for Kafka:
kafka:TOPIC/PARTITION and the offset) and skipped.`,
		Args:                  cobra.NoArgs,
		DisableFlagsInUseLine: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var kin *report.KafkaInput
			switch {
			case configPath != "" && len(inputs) > 0:
				return usageErrorf("give --input or --config, not both")
			case configPath != "":
				var err error
				if kin, err = kafkaInput(configPath); err != nil {
					return err
				}
			case len(inputs) == 0:
				return usageErrorf("--input or --config: give files of output events, or the run config to read the events and alerts topics")
			}
			for _, in := range inputs {
				if in == "-" {
					continue
				}
				if _, err := os.Stat(in); err != nil {
					return usageErrorf("--input %s: %w", in, err)
				}
			}
			loc, err := time.LoadLocation(tz)
			if err != nil {
				return usageErrorf("--timezone %q: %w", tz, err)
			}
			f, err := report.ParseFormat(format)
			if err != nil {
				return usageErrorf("--format: %w", err)
			}
			opts := report.Options{Inputs: inputs, Stdin: cmd.InOrStdin(), Kafka: kin, Location: loc}
			if periodStr != "" {
				w, err := report.ParseWindow(periodStr, loc)
				if err != nil {
					return usageErrorf("--period %w", err)
				}
				opts.Period = &w
			}
			if baseStr != "" {
				w, err := report.ParseWindow(baseStr, loc)
				if err != nil {
					return usageErrorf("--baseline %w", err)
				}
				opts.Baseline = &w
			}
			if policyPath != "" {
				p, err := policy.Load(policyPath)
				if err != nil {
					return usageError(err)
				}
				systems := make([]string, 0, len(p.Systems))
				for name := range p.Systems {
					systems = append(systems, name)
				}
				slices.Sort(systems)
				opts.PolicySystems = systems
			}
			stderr := cmd.ErrOrStderr()
			var bad int
			opts.BadRecord = func(b *report.BadRecord) {
				bad++
				if bad <= maxBadRecordLines {
					fmt.Fprintf(stderr, "jmlwatch report: skipped %v\n", b)
				}
			}
			rep, err := report.Build(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if bad > maxBadRecordLines {
				fmt.Fprintf(stderr, "jmlwatch report: skipped %d malformed records in all (%d listed)\n", bad, maxBadRecordLines)
			}
			if rep.Events > 0 && rep.Ignored == rep.Events {
				fmt.Fprintf(stderr, "jmlwatch report: none of the %d events is a case, step, breach or orphan event: are the inputs jmlwatch output events (replay --output)?\n", rep.Events)
			}
			out := cmd.OutOrStdout()
			var file *os.File
			if outPath != "" && outPath != "-" {
				if file, err = os.Create(outPath); err != nil {
					return fmt.Errorf("--output: %w", err)
				}
				defer file.Close()
				out = file
			}
			bw := bufio.NewWriter(out)
			if err := rep.Write(bw, f); err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("writing report: %w", err)
			}
			if file != nil {
				if err := file.Close(); err != nil {
					return fmt.Errorf("--output: %w", err)
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&inputs, "input", nil, "file of output events: structured CloudEvents as JSON Lines or JSON documents (repeatable; - is stdin)")
	fl.StringVar(&configPath, "config", "", "run config: read its events and alerts topics from the beginning to their current end (brokers, TLS, SASL from the config)")
	fl.StringVar(&periodStr, "period", "", "FROM/TO, RFC 3339 timestamps or dates, half-open (default: the 30 days up to the latest event)")
	fl.StringVar(&baseStr, "baseline", "", "FROM/TO to compare the period with (default: none)")
	fl.StringVar(&policyPath, "policy", "", "policy file, for integration_coverage_ratio")
	fl.StringVar(&tz, "timezone", "UTC", "IANA time zone of dates, weeks and printed times")
	fl.StringVar(&format, "format", "table", "table, json, csv or html")
	fl.StringVarP(&outPath, "output", "o", "", "write the report to FILE (default: stdout)")
	return cmd
}

// kafkaInput reads the run config at path into the report's Kafka input:
// brokers, TLS and SASL, and the events and alerts topics. A bad config is
// a usage error (exit 2) naming the file, the field and what is wrong.
func kafkaInput(path string) (*report.KafkaInput, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--config: %w", err)
	}
	// The report needs no HTTP token: environment variables are checked
	// below, only the one SASL needs.
	cfg, err := runtime.ParseConfig(data, path, nil)
	if err != nil {
		return nil, usageError(err)
	}
	// The alerts may share the events topic: read it once.
	topics := slices.Compact([]string{cfg.Outputs.EventsTopic, cfg.Outputs.AlertsTopic})
	kin := &report.KafkaInput{Brokers: cfg.Brokers, Topics: topics}
	if cfg.SASL.Mechanism != "" {
		if _, ok := os.LookupEnv(cfg.SASL.PasswordEnv); !ok {
			return nil, usageErrorf("%s: sasl.password_env: environment variable %s is not set", path, cfg.SASL.PasswordEnv)
		}
	}
	if kin.TLS, kin.SASL, err = runtime.KafkaSecurity(cfg); err != nil {
		return nil, usageErrorf("%s: %w", path, err)
	}
	return kin, nil
}
