package gen

import (
	"bufio"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jmlwatch/jmlwatch/events/input"
)

// File identifies one of the generated outputs.
type File uint8

// The generated files. FileHR, FileNHI and FileTickets hold canonical
// CloudEvents (JSON Lines); FileOkta holds Okta System Log LogEvents and
// FileEntra Entra directoryAudit objects, one a line.
const (
	FileHR File = iota
	FileOkta
	FileEntra
	FileTickets
	FileNHI
	numFiles
)

// Name returns the file's name in an output directory (hr.jsonl, ...).
func (f File) Name() string {
	switch f {
	case FileHR:
		return "hr.jsonl"
	case FileOkta:
		return "okta.jsonl"
	case FileEntra:
		return "entra.jsonl"
	case FileTickets:
		return "tickets.jsonl"
	case FileNHI:
		return "nhi.jsonl"
	}
	return fmt.Sprintf("File(%d)", f)
}

// Format returns the replay --input format of the file: cloudevents, okta
// or entra.
func (f File) Format() input.Format {
	switch f {
	case FileOkta:
		return input.FormatOkta
	case FileEntra:
		return input.FormatEntra
	}
	return input.FormatCloudEvents
}

// Files lists every generated file in the order replay should read them.
func Files() []File { return []File{FileHR, FileNHI, FileOkta, FileEntra, FileTickets} }

// PolicyFile is the name of the policy written next to the data.
const PolicyFile = "policy.yaml"

// DefaultStart is the start of the generated period when Config.Start is
// zero: a fixed instant, so that output depends on the Config alone.
var defaultStart = time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)

// DefaultStart returns the start used when Config.Start is zero
// (2026-01-05T00:00:00Z).
func DefaultStart() time.Time { return defaultStart }

// Config describes what to generate. The zero value of every field but
// Workers and Days means its default.
type Config struct {
	// Workers is the initial headcount (required, > 0).
	Workers int
	// Days is the length of the generated period (required, > 0).
	Days int
	// Seed selects the random world; the same Config gives the same bytes.
	Seed uint64
	// Start is the beginning of the period (default DefaultStart()); it is
	// truncated to the millisecond.
	Start time.Time
	// Turnover is the annual leaver rate as a fraction of headcount
	// (default 0.175). Joiners come at the same rate.
	Turnover float64
	// MoveRate is the annual mover rate (default 0.10).
	MoveRate float64
	// NoisePerRecord is the mean number of noise records per lifecycle
	// record (default 20; negative means none).
	NoisePerRecord float64
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Workers <= 0 {
		errs = append(errs, fmt.Errorf("gen: workers must be positive, got %d", c.Workers))
	}
	if c.Workers > 50_000_000 {
		errs = append(errs, fmt.Errorf("gen: workers must be at most 50000000, got %d", c.Workers))
	}
	if c.Days <= 0 {
		errs = append(errs, fmt.Errorf("gen: days must be positive, got %d", c.Days))
	}
	if c.Turnover < 0 || c.Turnover > 5 || c.MoveRate < 0 || c.MoveRate > 5 {
		errs = append(errs, fmt.Errorf("gen: turnover and move rate must be within [0, 5]"))
	}
	if c.Start.IsZero() {
		c.Start = defaultStart
	}
	c.Start = c.Start.UTC().Truncate(time.Millisecond)
	if c.Turnover == 0 {
		c.Turnover = 0.175
	}
	if c.MoveRate == 0 {
		c.MoveRate = 0.10
	}
	if c.NoisePerRecord == 0 {
		c.NoisePerRecord = 20
	}
	if c.NoisePerRecord < 0 {
		c.NoisePerRecord = 0
	}
	return c, errors.Join(errs...)
}

// Stats counts what a generation produced.
type Stats struct {
	// Records by file.
	Records [numFiles]int
	// Lifecycle counts decided (some fall after the end and are not
	// written).
	Joiners, Movers, Leavers, Rescinds int
	// Lifecycle is the number of lifecycle records written (everything
	// but noise, the initial load and duplicates).
	Lifecycle int
	// Noise is the number of noise records written.
	Noise int
	// Duplicates is the number of repeated deliveries written.
	Duplicates int
}

// Total returns the number of records written to all files.
func (s Stats) Total() int {
	n := 0
	for _, r := range s.Records {
		n += r
	}
	return n
}

// Sink receives each generated record: its file, its event time and one
// JSON value without a trailing newline. Records arrive in event-time order
// across all files. line is reused after Sink returns.
type Sink func(f File, t time.Time, line []byte) error

// Generate runs the simulation described by cfg and passes every record to
// sink in event-time order. It stops at the first sink error or when ctx is
// done, returning that error.
func Generate(ctx context.Context, cfg Config, sink Sink) (Stats, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Stats{}, err
	}
	s := newSim(cfg, sink)
	return s.stats, s.run(ctx)
}

// WriteDir generates into dir (created if needed): hr.jsonl, nhi.jsonl,
// okta.jsonl, entra.jsonl, tickets.jsonl and policy.yaml. Existing files of
// those names are replaced.
func WriteDir(ctx context.Context, cfg Config, dir string) (Stats, error) {
	if _, err := cfg.withDefaults(); err != nil {
		return Stats{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("gen: creating output directory: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, PolicyFile), []byte(Policy()), 0o644); err != nil {
		return Stats{}, fmt.Errorf("gen: writing policy: %w", err)
	}
	var files [numFiles]*os.File
	var ws [numFiles]*bufio.Writer
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}
	for _, f := range Files() {
		fh, err := os.Create(filepath.Join(dir, f.Name()))
		if err != nil {
			closeAll()
			return Stats{}, fmt.Errorf("gen: %w", err)
		}
		files[f], ws[f] = fh, bufio.NewWriterSize(fh, 256<<10)
	}
	st, err := Generate(ctx, cfg, func(f File, _ time.Time, line []byte) error {
		w := ws[f]
		w.Write(line)
		return w.WriteByte('\n')
	})
	for _, f := range Files() {
		if ferr := ws[f].Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("gen: writing %s: %w", f.Name(), ferr)
		}
		if ferr := files[f].Close(); ferr != nil && err == nil {
			err = fmt.Errorf("gen: closing %s: %w", f.Name(), ferr)
		}
	}
	return st, err
}

// rec is a record waiting for its time. Its bytes are rendered only when it
// is written, from the few fields below, so the queue stays small.
type rec struct {
	t    int64  // event time, unix ms
	seq  uint64 // queue tie-break: insertion order
	id   uint64 // identity: duplicates share it
	eff  int64  // HR effective time (unix ms) or date (days since epoch)
	w    int32  // worker index
	x    int32  // kind-specific: app, department, other worker, ...
	kind kind
	sub  uint8 // kind-specific: reason, from-department, date-only flag
	dup  bool  // a repeated delivery (not counted as lifecycle)
}

type queue []rec

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(rec)) }
func (q *queue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

var _ heap.Interface = (*queue)(nil)
