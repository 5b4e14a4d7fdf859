package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/replay"
	"github.com/jmlwatch/jmlwatch/store"
)

// newReplayCmd returns `jmlwatch replay` (SPEC sections 1 and 6).
func newReplayCmd() *cobra.Command {
	var (
		policyPath, outPath, until, stateDir string
		inputs                               []string
		strict                               bool
	)
	cmd := &cobra.Command{
		Use:   "replay --policy FILE --input [FORMAT:]PATH ... --output PATH [--until RFC3339] [--state DIR] [--strict]",
		Short: "Run the correlator over files with an event-time clock",
		Long: `Replay runs the same correlator as 'run' over files, deterministically, on an
event-time clock: for backfills, baselines and tests.

Inputs (--input repeats; FORMAT is cloudevents (default), okta or entra) are
read each in its own order and interleaved by event time; ties go by --input
order. For each record read (applied, held or skipped) the clock becomes
max(clock, time - allowed_lateness), timers strictly before it fire, the
record applies, and timers it created that are already due fire. --until
then moves the clock to that instant and fires what is strictly before it.

Outputs go to --output ('-' for stdout) as structured CloudEvents, one JSON
object a line, in emission order. Rejected records are listed on stderr as
"file:line: reason"; a summary follows on stderr.

Exit status: 0 (also when records were rejected, unless --strict: then 1),
1 runtime failure, 2 bad usage or bad policy.`,
		Example: `  jmlwatch replay --policy policy.yaml --input hr.jsonl --input okta:okta.jsonl \
      --input entra:entra.jsonl --output out.jsonl --until 2026-12-31T00:00:00Z`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if policyPath == "" || len(inputs) == 0 || outPath == "" {
				return usageErrorf("replay needs --policy, at least one --input and --output")
			}
			pol, err := policy.Load(policyPath)
			if err != nil {
				return usageError(err)
			}
			var untilT *time.Time
			if until != "" {
				t, err := time.Parse(time.RFC3339Nano, until)
				if err != nil {
					return usageErrorf("--until %q: not an RFC 3339 timestamp", until)
				}
				untilT = &t
			}
			decs := input.NewDecoders(pol.Aliases)
			var sources []replay.Source
			for _, a := range inputs {
				spec, err := parseSpec(a)
				if err != nil {
					return err
				}
				f, err := replay.OpenFile(spec, decs) // parseSpec admits only formats decs has
				if err != nil {
					return err
				}
				defer f.Close()
				sources = append(sources, f)
			}

			if stateDir == "" {
				dir, err := os.MkdirTemp("", "jmlwatch-replay-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				stateDir = dir
			}
			db, err := store.Open(stateDir, replay.StoreOptions())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := correlator.CheckFormat(db); err != nil {
				return fmt.Errorf("--state %s: %w", stateDir, err)
			}

			var w io.Writer = cmd.OutOrStdout()
			if outPath != "-" {
				f, err := os.Create(outPath)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			bw := bufio.NewWriterSize(w, 1<<16)
			stderr := cmd.ErrOrStderr()
			sum, err := replay.Run(cmd.Context(), replay.Config{
				Correlator: correlator.New(pol),
				State:      replay.StoreState(db),
				Sources:    sources,
				Until:      untilT,
				Output:     replay.JSONLinesOutput(bw),
				Reject: func(r replay.Record) {
					fmt.Fprintf(stderr, "%s:%d: %s\n", r.Input, r.Line, r.Item.Err)
				},
			})
			if err != nil {
				return err
			}
			if err := bw.Flush(); err != nil {
				return fmt.Errorf("writing %s: %w", outPath, err)
			}
			printSummary(stderr, sum)
			if strict && sum.Rejected > 0 {
				return exitStatus(1, fmt.Errorf("%d record(s) rejected (--strict)", sum.Rejected))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyPath, "policy", "", "policy file (YAML, SPEC 5)")
	f.StringArrayVar(&inputs, "input", nil, "input file as [FORMAT:]PATH (repeatable); FORMAT is cloudevents, okta or entra")
	f.StringVar(&outPath, "output", "", "where to write output events, one JSON CloudEvent a line ('-' for stdout)")
	f.StringVar(&until, "until", "", "at the end, move the clock to this RFC 3339 instant and fire what is due before it")
	f.StringVar(&stateDir, "state", "", "state directory (default: a temporary directory removed at exit)")
	f.BoolVar(&strict, "strict", false, "exit 1 after reading all input if any record was rejected")
	return cmd
}

func printSummary(w io.Writer, s replay.Summary) {
	fmt.Fprintf(w, "read %d, applied %d, skipped %d, held %d, rejected %d\n", s.Read, s.Applied, s.Skipped, s.Held, s.Rejected)
	if len(s.SkipBy) > 0 {
		fmt.Fprintf(w, "skipped by reason:%s\n", formatCounts(s.SkipBy))
	}
	fmt.Fprintf(w, "outputs:%s\n", formatCounts(s.Outputs))
}

func formatCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out string
	for _, k := range keys {
		out += fmt.Sprintf(" %s=%d", k, m[k])
	}
	if out == "" {
		return " none"
	}
	return out
}
