package report

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPipelineMatchesSequential: the chunked, parallel JSON Lines reader
// gives the report and the bad-record lines that a line-by-line fold gives,
// whatever the chunk boundaries cut.
func TestPipelineMatchesSequential(t *testing.T) {
	g := newGenerator(9, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 20*time.Minute)
	var buf bytes.Buffer
	if _, _, err := g.writeEvents(&buf, 12000); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	// Bad records here and there, blank lines, CRLF, and no final newline.
	for _, i := range []int{0, 1, 999, 5000, len(lines) - 1} {
		lines[i] = `{"type":"io.jmlwatch.step.completed","time":"nope"}`
	}
	lines[7] = ""
	lines[8] += "\r"
	data := strings.Join(lines, "\n")
	if len(data) < 3*chunkSize {
		t.Fatalf("only %d bytes: too few chunks", len(data))
	}
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}

	var got []int
	rep, err := Build(context.Background(), Options{Inputs: []string{path}, BadRecord: func(b *BadRecord) { got = append(got, b.Line) }})
	if err != nil {
		t.Fatal(err)
	}

	// Sequential reference.
	c := newCollector()
	var d decoder
	var want []int
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		ev, err := d.decode([]byte(l))
		if err == nil {
			err = c.add(ev)
		}
		if err != nil {
			want = append(want, i+1)
		}
	}
	if !equalInts(got, want) {
		t.Errorf("bad lines %v, want %v", got, want)
	}
	period := defaultPeriod(time.Unix(0, c.latest))
	ref := &Report{Period: Range{period.From.UTC(), period.To.UTC()}, Metrics: rows(c.systems, c.compute(period, time.UTC), nil, nil)}
	if a, b := jsonOf(t, rep), jsonOf(t, ref); a != b {
		t.Errorf("pipeline report differs from the sequential one")
	}
	if rep.Events != c.events {
		t.Errorf("events %d, want %d", rep.Events, c.events)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// cancelAfter cancels a context after its first read.
type cancelAfter struct {
	r      io.Reader
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.cancel()
	return n, err
}

func TestPipelineCancel(t *testing.T) {
	g := newGenerator(10, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Minute)
	var buf bytes.Buffer
	if _, _, err := g.writeEvents(&buf, 20000); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := Build(ctx, Options{Inputs: []string{"-"}, Stdin: &cancelAfter{r: &buf, cancel: cancel}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
