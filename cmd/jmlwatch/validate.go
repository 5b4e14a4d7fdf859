package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/schemas"
)

// newValidateCmd returns `jmlwatch validate [--strict] [FORMAT:]PATH...`
// (SPEC section 1): it decodes every record of every file as replay would,
// checks canonical CloudEvents against the JSON Schemas too, prints each
// rejected element to stderr as "path:line: reason" and a summary table to
// stdout.
func newValidateCmd() *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "validate [--strict] [FORMAT:]PATH...",
		Short: "Check input files against the schemas",
		Long: `Validate reads each file as replay --input would and checks every record.

FORMAT is cloudevents (the default), okta or entra. A file holds JSON Lines
(one JSON value a line) or one JSON document. Canonical CloudEvents are
checked by the decoder and against the JSON Schema of their type; Okta and
Entra records by their normalizer.

Each rejected record (or element of an array or envelope) is printed to
stderr as "path:line: code: field: detail", at the line where it starts.
Vendor records without JML meaning are skipped and only counted. A summary
per file goes to stdout.

Exit status: 0 when every file was read, even if records were rejected
(with --strict: 1 if anything was rejected); 1 if a file cannot be read;
2 for bad usage.`,
		Example: `  jmlwatch validate hr.jsonl accounts.jsonl
  jmlwatch validate --strict okta:okta-logs.json entra:audit.json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("validate needs at least one [FORMAT:]PATH")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			specs := make([]input.Spec, 0, len(args))
			for _, a := range args {
				s, err := parseSpec(a)
				if err != nil {
					return err
				}
				specs = append(specs, s)
			}
			set, err := schemas.Compile()
			if err != nil {
				return err
			}
			v := validator{check: set.CheckInput, stderr: cmd.ErrOrStderr()}
			stats := make([]fileStats, 0, len(specs))
			var failed []error
			decs := decoders()
			for _, s := range specs {
				decode, err := decs.For(s.Format)
				if err != nil {
					return err
				}
				st, err := v.file(s, decode)
				stats = append(stats, st)
				if err != nil {
					failed = append(failed, err)
					fmt.Fprintf(cmd.ErrOrStderr(), "jmlwatch: %v\n", err)
				}
			}
			if err := writeSummary(cmd.OutOrStdout(), stats); err != nil {
				return err
			}
			if len(failed) > 0 {
				// Each failure is already on stderr.
				return exitStatus(1, nil)
			}
			if rejected := total(stats).rejected; strict && rejected > 0 {
				return exitStatus(1, fmt.Errorf("validate --strict: %d rejected", rejected))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "exit 1 after reading all input if anything was rejected")
	return cmd
}

// fileStats counts what validate found in one file. records are JSON Lines
// lines or whole documents; valid, skipped and rejected count elements (an
// array or envelope has one element per entry).
type fileStats struct {
	spec                              input.Spec
	records, valid, skipped, rejected int
}

// total sums the counts of every file.
func total(stats []fileStats) fileStats {
	var t fileStats
	for _, s := range stats {
		t.records += s.records
		t.valid += s.valid
		t.skipped += s.skipped
		t.rejected += s.rejected
	}
	return t
}

// validator checks files and prints rejections.
type validator struct {
	// check is the schema check of one canonical CloudEvent (the bytes of
	// an element the decoder accepted): schemas.Set.CheckInput.
	check  func(raw []byte) *events.RejectError
	stderr io.Writer
}

// file validates every record of the file s names, decoding each with
// decode. It returns the counts so far and an error if the file could not
// be opened or read to its end.
func (v *validator) file(s input.Spec, decode input.DecodeFunc) (fileStats, error) {
	st := fileStats{spec: s}
	r, err := input.Open(s.Path)
	if err != nil {
		return st, fmt.Errorf("validate: %w", err)
	}
	defer r.Close()
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return st, nil
		}
		if err != nil {
			return st, fmt.Errorf("validate: %w", err)
		}
		st.records++
		// Elements come in offset order: count lines incrementally, so a
		// large document costs one pass.
		line, off := rec.Line, 0
		for _, it := range decode(rec.Value) {
			if it.Offset >= off && it.Offset <= len(rec.Value) {
				line += bytes.Count(rec.Value[off:it.Offset], []byte{'\n'})
				off = it.Offset
			} else {
				line, off = input.LineOf(rec, it.Offset), it.Offset
			}
			rej := it.Err
			if rej == nil && it.Skip != nil {
				st.skipped++
				continue
			}
			if rej == nil && s.Format == input.FormatCloudEvents && v.check != nil {
				// The schema is the published contract: a fault the
				// decoder missed is still a fault.
				rej = v.check(it.Raw)
			}
			if rej == nil {
				st.valid++
				continue
			}
			st.rejected++
			fmt.Fprintf(v.stderr, "%s:%d: %v\n", s.Path, line, rej)
		}
	}
}

// decoders are the decoders validate uses. validate has no policy, so Okta
// app names are not aliased.
func decoders() input.Decoders { return input.NewDecoders(nil) }

// parseSpec parses a [FORMAT:]PATH argument. input.ParseSpec reads an
// unknown prefix as part of the path (paths may hold ':'); when no such
// file exists and the prefix looks like a format name, the user most likely
// mistyped a format, which is bad usage.
func parseSpec(arg string) (input.Spec, error) {
	s, err := input.ParseSpec(arg)
	if err != nil {
		return s, usageError(err)
	}
	prefix, _, ok := strings.Cut(arg, ":")
	if !ok || s.Format != input.FormatCloudEvents || s.Path != arg || !formatLike(prefix) {
		return s, nil
	}
	if _, err := os.Stat(arg); errors.Is(err, fs.ErrNotExist) {
		return s, usageErrorf("unknown input format %q in %q (want cloudevents, okta or entra)", prefix, arg)
	}
	return s, nil
}

// formatLike reports whether s could be meant as a format name: two or
// more lower-case letters (a one-letter prefix may be a drive letter).
func formatLike(s string) bool {
	if len(s) < 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

// writeSummary prints one row per file and a total row.
func writeSummary(w io.Writer, stats []fileStats) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tFORMAT\tRECORDS\tVALID\tSKIPPED\tREJECTED")
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", s.spec.Path, s.spec.Format, s.records, s.valid, s.skipped, s.rejected)
	}
	t := total(stats)
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\n", t.records, t.valid, t.skipped, t.rejected)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("validate: writing summary: %w", err)
	}
	return nil
}
