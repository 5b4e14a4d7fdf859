package input

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Record is one JSON value of an input file, as the Reader splits it.
type Record struct {
	// Line is the 1-based line on which Value starts.
	Line int
	// Value is the record's bytes: one line without its line end and
	// surrounding blanks (JSON Lines), or the whole document from the line
	// where it starts. It is owned by the caller; the Reader does not
	// reuse it.
	Value []byte
}

// LineOf returns the line on which the byte at offset within rec.Value
// starts: rec.Line plus the number of line feeds before it. An offset out
// of range is clamped to the record.
func LineOf(rec Record, offset int) int {
	offset = min(max(offset, 0), len(rec.Value))
	return rec.Line + bytes.Count(rec.Value[:offset], []byte{'\n'})
}

// mode is how a Reader splits its input.
type mode uint8

const (
	modeUnknown  mode = iota // nothing read yet
	modeLines                // JSON Lines
	modeDocument             // one document, already returned
)

// readBufferSize is the bufio buffer; lines longer than this are assembled
// from several reads, so it bounds nothing.
const readBufferSize = 64 << 10

// Reader splits an input file into Records, streaming: in JSON Lines mode it
// holds one line at a time. See the package documentation for how it tells
// JSON Lines from a document. A Reader is not safe for concurrent use.
type Reader struct {
	name   string
	br     *bufio.Reader
	closer io.Closer
	mode   mode
	line   int // lines consumed so far
	err    error
}

// Open opens the file at path for reading. The caller must Close it.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening input: %w", err)
	}
	r := NewReader(f, path)
	r.closer = f
	return r, nil
}

// NewReader returns a Reader over r; name is used in error messages.
// Closing the Reader does not close r.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, br: bufio.NewReaderSize(r, readBufferSize)}
}

// Close closes the file Open opened. It is safe to call more than once.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	if err != nil {
		return fmt.Errorf("closing input %s: %w", r.name, err)
	}
	return nil
}

// Next returns the next record, io.EOF after the last one, or a read
// error (wrapped, naming the file). After an error every call returns it
// again.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	rec, err := r.next()
	if err != nil {
		r.err = err
	}
	return rec, err
}

func (r *Reader) next() (Record, error) {
	if r.mode == modeDocument {
		return Record{}, io.EOF
	}
	for {
		raw, err := r.readLine()
		if err != nil {
			return Record{}, err
		}
		r.line++
		if r.line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
		}
		value := bytes.TrimSpace(raw)
		if len(value) == 0 {
			continue
		}
		if r.mode == modeLines {
			return Record{Line: r.line, Value: value}, nil
		}
		if classify(value) != valueIncomplete {
			r.mode = modeLines
			return Record{Line: r.line, Value: value}, nil
		}
		// The start of a document spanning lines: the rest of the file
		// belongs to it. Keep the bytes as they are, so that line feeds
		// count lines.
		doc := bytes.TrimLeft(raw, " \t")
		rest, err := io.ReadAll(r.br)
		if err != nil {
			return Record{}, fmt.Errorf("reading input %s: %w", r.name, err)
		}
		if truncatedFirstLine(doc, rest) {
			// JSON Lines after all, whose first line was cut short: it is
			// returned alone (the decoder rejects it), and every other line
			// is still a record of its own, not lost in a bad document.
			r.mode = modeLines
			r.br = bufio.NewReaderSize(bytes.NewReader(rest), readBufferSize)
			return Record{Line: r.line, Value: value}, nil
		}
		r.mode = modeDocument
		return Record{Line: r.line, Value: append(doc, rest...)}, nil
	}
}

// readLine returns the next line with its line end, in a new slice, or
// io.EOF at the end of the input.
func (r *Reader) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(line) > 0 {
				return line, nil
			}
			return nil, io.EOF
		default:
			return nil, fmt.Errorf("reading input %s: %w", r.name, err)
		}
	}
}

// truncatedFirstLine reports whether a file whose first line (first)
// starts a JSON value but does not finish it is JSON Lines with that line
// cut short rather than a document: its next non-blank line is a complete
// JSON value of its own and the whole is not valid JSON. Only that case
// pays for validating the whole (a pretty-printed document's second line
// is rarely a complete value).
func truncatedFirstLine(first, rest []byte) bool {
	for more := rest; len(more) > 0; {
		line := more
		if i := bytes.IndexByte(more, '\n'); i >= 0 {
			line, more = more[:i], more[i+1:]
		} else {
			more = nil
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			return classify(line) == valueComplete && !json.Valid(append(append([]byte(nil), first...), rest...))
		}
	}
	return false
}

// valueClass is what a line holds.
type valueClass uint8

const (
	valueComplete   valueClass = iota // exactly one JSON value
	valueIncomplete                   // the valid start of a longer JSON value
	valueInvalid                      // neither
)

// classify tells a complete JSON value from the start of one and from
// something that is not JSON.
func classify(b []byte) valueClass {
	dec := json.NewDecoder(bytes.NewReader(b))
	var v json.RawMessage
	switch err := dec.Decode(&v); {
	case err == nil:
		if len(bytes.TrimSpace(b[dec.InputOffset():])) == 0 {
			return valueComplete
		}
		return valueInvalid
	case errors.Is(err, io.ErrUnexpectedEOF):
		return valueIncomplete
	}
	return valueInvalid
}
