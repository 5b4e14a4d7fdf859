package replay

import (
	"io"
	"sync"
)

// prefetchChunk is the number of records a prefetcher hands over at once:
// large enough that the channel costs nothing per record, small enough that
// a source's read-ahead stays a few hundred kilobytes.
const prefetchChunk = 256

// prefetchDepth is how many chunks a prefetcher may read ahead.
const prefetchDepth = 4

// chunk is a run of records of one source, ended by err (io.EOF after the
// last record) when err is set.
type chunk struct {
	recs []Record
	err  error
}

// prefetcher reads (and so decodes) one source on its own goroutine, so
// that decoding runs on another core than the correlator. The records come
// out in the source's order: prefetching changes no output.
type prefetcher struct {
	ch  chan chunk
	cur []Record // what is left of the chunk being read
	err error
	// buf is the chunk being read, handed back through free for reuse
	// once read to its end.
	buf  []Record
	free chan []Record
}

// prefetchAll starts a prefetcher for each source. stop ends them; it
// returns once none is running, so the caller may close the sources after.
func prefetchAll(srcs []Source) (ps []*prefetcher, stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	ps = make([]*prefetcher, len(srcs))
	for i, src := range srcs {
		p := &prefetcher{
			ch:   make(chan chunk, prefetchDepth),
			free: make(chan []Record, prefetchDepth+2),
		}
		ps[i] = p
		wg.Go(func() { p.run(src, done) })
	}
	var once sync.Once
	return ps, func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

// run reads src until it ends, fails or done is closed.
func (p *prefetcher) run(src Source, done <-chan struct{}) {
	defer close(p.ch)
	for {
		var recs []Record
		select {
		case recs = <-p.free:
			recs = recs[:0]
		default:
			recs = make([]Record, 0, prefetchChunk)
		}
		var err error
		for len(recs) < prefetchChunk {
			var rec Record
			if rec, err = src.Next(); err != nil {
				break
			}
			recs = append(recs, rec)
		}
		select {
		case p.ch <- chunk{recs: recs, err: err}:
		case <-done:
			return
		}
		if err != nil {
			return
		}
	}
}

// Next returns the source's next record, or its error (io.EOF at the end).
func (p *prefetcher) Next() (Record, error) {
	for len(p.cur) == 0 {
		if p.err != nil {
			return Record{}, p.err
		}
		if p.buf != nil {
			select {
			case p.free <- p.buf:
			default:
			}
			p.buf = nil
		}
		c, ok := <-p.ch
		if !ok {
			// run returned without a final error only when stopped.
			return Record{}, io.EOF
		}
		p.cur, p.err, p.buf = c.recs, c.err, c.recs
	}
	rec := p.cur[0]
	p.cur[0] = Record{} // drop references for the collector
	p.cur = p.cur[1:]
	return rec, nil
}
