package report

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// JSON Lines are read in chunks by one goroutine, decoded and prepared by
// several (the bulk of the work), and applied to the collector, which is
// not safe for concurrent use, by the caller's goroutine, in input order.
// Memory: pipelineDepth chunks of chunkSize bytes and their prepared
// events are in flight at once.
const (
	chunkSize     = 1 << 20
	pipelineDepth = 6
)

// batch is a chunk of whole lines and what the workers made of them.
type batch struct {
	buf   []byte // holds data
	data  []byte // whole lines
	line  int    // number of data's first line
	evs   []prepared
	steps []preparedStep
	bad   []*BadRecord // in line order
	ready chan struct{}
}

// readLinesParallel reads JSON Lines from in with decoders on workers
// goroutines and applies them in order. It returns when in is exhausted,
// ctx is done, or reading fails; every goroutine it starts has ended by
// then.
func (r *reader) readLinesParallel(ctx context.Context, path string, in io.Reader, workers int) error {
	free := make(chan *batch, pipelineDepth)
	for range pipelineDepth {
		free <- &batch{buf: make([]byte, chunkSize)}
	}
	work := make(chan *batch, pipelineDepth)
	ordered := make(chan *batch, pipelineDepth)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var wg sync.WaitGroup
	var readErr error
	wg.Go(func() {
		defer close(work)
		defer close(ordered)
		readErr = produce(ctx, in, free, work, ordered)
	})
	for range workers {
		wg.Go(func() {
			var d decoder
			for b := range work {
				r.prepareBatch(&d, path, b)
				close(b.ready)
			}
		})
	}
	for b := range ordered {
		<-b.ready
		r.applyBatch(path, b)
		free <- b
	}
	wg.Wait()
	if readErr != nil {
		if errors.Is(readErr, context.Canceled) || errors.Is(readErr, context.DeadlineExceeded) {
			return readErr
		}
		return fmt.Errorf("reading %s: %w", path, readErr)
	}
	return nil
}

// produce fills batches from free with whole lines of in and sends each to
// ordered (for the applier, in input order) and to work (for a decoder).
func produce(ctx context.Context, in io.Reader, free <-chan *batch, work, ordered chan<- *batch) error {
	var carry []byte // a partial line, continued in the next chunk
	line := 1
	for eof := false; !eof; {
		if err := ctx.Err(); err != nil {
			return err
		}
		var b *batch
		select {
		case b = <-free:
		case <-ctx.Done():
			return ctx.Err()
		}
		n := copy(b.buf, carry)
		if n < len(carry) { // a line longer than the buffer
			b.buf = append(b.buf[:0], carry...)
			b.buf = b.buf[:cap(b.buf)]
			n = len(carry)
		}
		carry = carry[:0]
		for {
			if n == len(b.buf) { // full: make room if no line ends here
				if bytes.LastIndexByte(b.buf[:n], '\n') >= 0 {
					break
				}
				b.buf = append(b.buf, make([]byte, len(b.buf))...)
			}
			m, err := in.Read(b.buf[n:])
			n += m
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			if err != nil {
				return err
			}
		}
		end := n
		if !eof {
			end = bytes.LastIndexByte(b.buf[:n], '\n') + 1
			carry = append(carry, b.buf[end:n]...)
		}
		b.data, b.line = b.buf[:end], line
		b.evs, b.steps, b.bad = b.evs[:0], b.steps[:0], b.bad[:0]
		b.ready = make(chan struct{})
		line += bytes.Count(b.data, []byte{'\n'})
		ordered <- b // never blocks: at most pipelineDepth batches exist
		work <- b
	}
	return nil
}

// prepareBatch decodes and prepares every line of b.
func (r *reader) prepareBatch(d *decoder, path string, b *batch) {
	data, line := b.data, b.line
	for len(data) > 0 {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if l = bytes.TrimSpace(l); len(l) > 0 {
			ev, err := d.decode(l)
			if err == nil {
				b.evs = append(b.evs, prepared{})
				p := &b.evs[len(b.evs)-1]
				if b.steps, err = r.c.prepare(ev, p, b.steps); err == nil {
					p.line = int32(line - b.line)
				} else {
					b.evs = b.evs[:len(b.evs)-1]
				}
			}
			if err != nil {
				b.bad = append(b.bad, &BadRecord{File: path, Line: line, Err: err})
			}
		}
		line++
	}
}

// applyBatch applies b's events and reports its bad records, in line order.
func (r *reader) applyBatch(path string, b *batch) {
	bad := b.bad
	for i := range b.evs {
		p := &b.evs[i]
		line := b.line + int(p.line)
		for len(bad) > 0 && bad[0].Line < line {
			r.bad(bad[0])
			bad = bad[1:]
		}
		if err := r.c.apply(p, b.steps); err != nil {
			r.bad(&BadRecord{File: path, Line: line, Err: err})
		}
	}
	for _, br := range bad {
		r.bad(br)
	}
}

// decodeWorkers is how many goroutines decode JSON Lines.
func decodeWorkers() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }
