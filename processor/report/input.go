package report

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// BadRecord is an input record the report could not use: bad JSON, a bad
// timestamp, or a field it needs missing or with an unknown value. The
// record is skipped and the report goes on.
type BadRecord struct {
	File string // the --input path
	Line int    // 1-based line; for a JSON document, the line the value starts at
	Err  error
}

func (b *BadRecord) Error() string { return fmt.Sprintf("%s:%d: %v", b.File, b.Line, b.Err) }

func (b *BadRecord) Unwrap() error { return b.Err }

// readBufSize is the read buffer, and how far the start of a file is
// sniffed for its shape.
const readBufSize = 1 << 20

// reader feeds one input stream into a collector.
type reader struct {
	c     *collector
	dec   decoder
	bad   func(*BadRecord)
	stdin io.Reader // the input named "-", if set
}

// readFile reads path: JSON Lines (the fast path), or, when the file starts
// with '[' or with an object spanning several lines, a sequence of JSON
// documents each an event or an array of events.
func (r *reader) readFile(ctx context.Context, path string) error {
	var in io.Reader = r.stdin
	if path != "-" || r.stdin == nil {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("opening input: %w", err)
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReaderSize(in, readBufSize)
	if isDocument(br) {
		return r.readDocuments(ctx, path, br)
	}
	return r.readLinesParallel(ctx, path, br, decodeWorkers())
}

// isDocument sniffs the start of a stream: an array, or a first object
// that is valid JSON only across lines (pretty-printed), is read as JSON
// documents. A bad first line of JSON Lines stays JSON Lines (and is
// reported).
func isDocument(br *bufio.Reader) bool {
	head, _ := br.Peek(readBufSize)
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) == 0 {
		return false
	}
	if head[0] == '[' {
		return true
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if head[0] != '{' || jsonscan.Valid(line) {
		return false
	}
	return jsonscan.ValidMembers(head, 0, nil) >= 0
}

// record decodes and adds one event.
func (r *reader) record(path string, line int, b []byte) {
	ev, err := r.dec.decode(b)
	if err == nil {
		err = r.c.add(ev)
	}
	if err != nil {
		r.bad(&BadRecord{File: path, Line: line, Err: err})
	}
}

// readDocuments reads a sequence of JSON values with encoding/json (the
// slow path): each an event or an array of events.
func (r *reader) readDocuments(ctx context.Context, path string, in io.Reader) error {
	lc := &lineCounter{r: in}
	dec := json.NewDecoder(lc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			// A syntax error ends the stream: encoding/json cannot resync.
			off := dec.InputOffset()
			if serr, ok := errors.AsType[*json.SyntaxError](err); ok {
				off = serr.Offset
			}
			r.bad(&BadRecord{File: path, Line: lc.lineAt(off), Err: fmt.Errorf("bad json: %w", err)})
			return nil
		}
		start := dec.InputOffset() - int64(len(v))
		line := lc.lineAt(start)
		if v[0] == '[' {
			var elems []json.RawMessage
			if err := json.Unmarshal(v, &elems); err != nil {
				r.bad(&BadRecord{File: path, Line: line, Err: fmt.Errorf("bad json: %w", err)})
				continue
			}
			pos := 0
			for _, e := range elems {
				// Each element's first byte, for its line.
				if i := bytes.Index(v[pos:], e); i >= 0 {
					pos += i
				}
				r.record(path, lc.lineAt(start+int64(pos)), e)
				pos += len(e)
			}
			continue
		}
		r.record(path, line, v)
	}
}

// lineCounter remembers the offsets of newlines so that a byte offset can be
// turned into a line number (documents are small: this is the slow path).
type lineCounter struct {
	r   io.Reader
	off int64
	nl  []int64
}

func (l *lineCounter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		if c == '\n' {
			l.nl = append(l.nl, l.off+int64(i))
		}
	}
	l.off += int64(n)
	return n, err
}

// lineAt returns the 1-based line of byte offset off.
func (l *lineCounter) lineAt(off int64) int {
	lo, hi := 0, len(l.nl)
	for lo < hi {
		m := (lo + hi) / 2
		if l.nl[m] < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo + 1
}
