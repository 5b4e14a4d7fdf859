package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jmlwatch/jmlwatch/events/gen"
)

// newGenCmd returns the gen command: synthetic HR, Okta, Entra, ticket and
// NHI files plus a policy that fits them (SPEC 1).
func newGenCmd() *cobra.Command {
	var (
		workers, days int
		seed          uint64
		out, start    string
	)
	cmd := &cobra.Command{
		Use:   "gen --workers N --days D --seed S --out DIR",
		Short: "Generate realistic synthetic HR / Okta / Entra / ticket files with noise",
		Long: `gen writes a synthetic workforce's history into DIR:

  hr.jsonl       canonical CloudEvents: hr.snapshot (initial load), joiners,
                 movers, leavers, rescinds (some entered late)
  nhi.jsonl      canonical CloudEvents: nhi.registered / nhi.reassigned
  okta.jsonl     Okta System Log LogEvents (vendor-native), one a line
  entra.jsonl    Entra directoryAudit objects (vendor-native), one a line
  tickets.jsonl  canonical ticket.resolved for the manual system payroll
  policy.yaml    a policy that fits the data

Each file is in event-time order. The same flags give the same bytes.
Replay it with:

  jmlwatch replay --policy DIR/policy.yaml --input DIR/hr.jsonl \
    --input DIR/nhi.jsonl --input okta:DIR/okta.jsonl \
    --input entra:DIR/entra.jsonl --input DIR/tickets.jsonl --output out.jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := gen.Config{Workers: workers, Days: days, Seed: seed}
			if start != "" {
				t, err := parseStart(start)
				if err != nil {
					return usageErrorf("--start: %v", err)
				}
				cfg.Start = t
			}
			if workers <= 0 {
				return usageErrorf("--workers must be positive, got %d", workers)
			}
			if days <= 0 {
				return usageErrorf("--days must be positive, got %d", days)
			}
			st, err := gen.WriteDir(cmd.Context(), cfg, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "gen: wrote %d records to %s (%d joiners, %d movers, %d leavers, %d lifecycle records, %d noise, %d duplicates)\n",
				st.Total(), out, st.Joiners, st.Movers, st.Leavers, st.Lifecycle, st.Noise, st.Duplicates)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&workers, "workers", 1000, "initial headcount")
	f.IntVar(&days, "days", 90, "length of the generated period in days")
	f.Uint64Var(&seed, "seed", 1, "random seed; the same seed gives the same files")
	f.StringVar(&out, "out", "", "output directory (created if needed)")
	f.StringVar(&start, "start", "", "start of the period, RFC 3339 or a date (default 2026-01-05)")
	cmd.MarkFlagRequired("out")
	return cmd
}

// parseStart reads --start: an RFC 3339 instant or a date (UTC midnight).
func parseStart(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a date", s)
	}
	return t, nil
}
