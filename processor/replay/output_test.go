package replay_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/internal/memkv"
	"github.com/jmlwatch/jmlwatch/processor/replay"
)

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestJSONLinesOutput(t *testing.T) {
	t0 := benchBase
	recs := [][]byte{
		ce(events.TypeHRSnapshot, "s1", t0, map[string]any{"worker_id": "w1", "email": "w1@example.com"}),
		ce(events.TypeHRLeaver, "l1", t0.Add(time.Hour), map[string]any{"worker_id": "w1", "effective_at": t0.Add(time.Hour).Format(time.RFC3339)}),
	}
	var buf, want bytes.Buffer
	write := replay.JSONLinesOutput(&buf)
	n := 0
	runOutputs(t, recs, func(o events.Output) error {
		n++
		b, err := events.EncodeStructured(o)
		if err != nil {
			t.Fatal(err)
		}
		want.Write(b)
		want.WriteByte('\n')
		return write(o)
	})
	if n == 0 || !bytes.Equal(buf.Bytes(), want.Bytes()) {
		t.Errorf("%d outputs written as\n%s\nwant\n%s", n, buf.Bytes(), want.Bytes())
	}

	broken := errors.New("disk full")
	err := replay.JSONLinesOutput(failingWriter{broken})(events.Output{})
	if err == nil {
		t.Error("an output that does not encode was written")
	}
	var o events.Output
	runOutputs(t, recs, func(out events.Output) error { o = out; return nil })
	if err := replay.JSONLinesOutput(failingWriter{broken})(o); !errors.Is(err, broken) {
		t.Errorf("writing to a failing writer = %v, want %v", err, broken)
	}
}

func runOutputs(t *testing.T, recs [][]byte, out func(events.Output) error) {
	t.Helper()
	pol := benchPolicy(t)
	_, err := replay.Run(t.Context(), replay.Config{
		Correlator: correlator.New(pol),
		State:      memState{memkv.New()},
		Sources:    []replay.Source{&byteSource{recs: recs, decode: events.DecodeStructured}},
		Output:     out,
	})
	if err != nil {
		t.Fatal(err)
	}
}
