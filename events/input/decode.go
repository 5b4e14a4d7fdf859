package input

import (
	"bytes"
	"fmt"
	"io"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/entra"
	"github.com/jmlwatch/jmlwatch/events/okta"
)

// DecodeFunc decodes one record's value into items (see events.Item: one
// per element, with its byte offset in value). events.DecodeStructured is
// the DecodeFunc of FormatCloudEvents; NewDecoders wraps the vendor
// normalizers. A DecodeFunc must not retain value beyond the items' Raw slices.
type DecodeFunc func(value []byte) []events.Item

// Decoders holds the decoder of each input format, shared by the commands
// that read files (replay, validate, report). FormatCloudEvents always
// decodes with events.DecodeStructured; Okta and Entra must be set before
// files of those formats are read.
type Decoders struct {
	Okta  DecodeFunc
	Entra DecodeFunc
}

// NewDecoders returns the decoders of every format: Okta records with the
// policy's application aliases (nil: none), Entra records as they come.
func NewDecoders(aliases map[string]string) Decoders {
	return Decoders{
		Okta:  func(v []byte) []events.Item { return okta.Decode(v, aliases) },
		Entra: entra.Decode,
	}
}

// For returns the DecodeFunc of format f. It fails for an unknown format,
// or a vendor format whose decoder is not set.
func (d Decoders) For(f Format) (DecodeFunc, error) {
	var fn DecodeFunc
	switch f {
	case FormatCloudEvents:
		fn = events.DecodeStructured
	case FormatOkta:
		fn = d.Okta
	case FormatEntra:
		fn = d.Entra
	default:
		return nil, fmt.Errorf("unknown input format %q", f)
	}
	if fn == nil {
		return nil, fmt.Errorf("no decoder for input format %s", f)
	}
	return fn, nil
}

// Item is one decoded element of an input file, with where it came from:
// the file and the line on which the element starts (for a value that is
// not valid JSON at all, the line where the record starts).
type Item struct {
	events.Item
	Path string
	Line int
}

// ItemReader reads the items of one input file in file order: it splits
// the file with a Reader, decodes each record and locates each element.
// It is not safe for concurrent use.
type ItemReader struct {
	r      *Reader
	path   string
	decode DecodeFunc

	rec     Record
	pending []events.Item
	// lineAt and offAt remember the last located offset, so that locating
	// the elements of a large document costs one pass over it.
	lineAt, offAt int
}

// OpenItems opens spec.Path and returns an ItemReader decoding it with the
// spec's format from decoders. The caller must Close it.
func OpenItems(spec Spec, decoders Decoders) (*ItemReader, error) {
	decode, err := decoders.For(spec.Format)
	if err != nil {
		return nil, fmt.Errorf("opening input %s: %w", spec, err)
	}
	r, err := Open(spec.Path)
	if err != nil {
		return nil, err
	}
	return NewItemReader(r, spec.Path, decode), nil
}

// NewItemReader returns an ItemReader over r; path names the file in items.
// Closing the ItemReader closes r.
func NewItemReader(r *Reader, path string, decode DecodeFunc) *ItemReader {
	return &ItemReader{r: r, path: path, decode: decode}
}

// Next returns the next item, io.EOF after the last one, or the Reader's
// error. A record that decodes to no items (an empty array) yields none.
func (ir *ItemReader) Next() (Item, error) {
	for len(ir.pending) == 0 {
		rec, err := ir.r.Next()
		if err != nil {
			return Item{}, err
		}
		ir.rec, ir.lineAt, ir.offAt = rec, rec.Line, 0
		ir.pending = ir.decode(rec.Value)
	}
	it := ir.pending[0]
	ir.pending[0] = events.Item{}
	ir.pending = ir.pending[1:]
	return Item{Item: it, Path: ir.path, Line: ir.lineOf(it.Offset)}, nil
}

// lineOf is LineOf(ir.rec, off), counting from the last offset located
// when off is past it.
func (ir *ItemReader) lineOf(off int) int {
	off = min(max(off, 0), len(ir.rec.Value))
	if off < ir.offAt {
		ir.lineAt, ir.offAt = ir.rec.Line, 0
	}
	ir.lineAt += bytes.Count(ir.rec.Value[ir.offAt:off], []byte{'\n'})
	ir.offAt = off
	return ir.lineAt
}

// Close closes the underlying Reader.
func (ir *ItemReader) Close() error {
	return ir.r.Close()
}

// ReadAll reads every item of the file at spec, in order, calling fn for
// each; it stops at the first error fn returns (returned as is) or the
// first read error. It is a convenience over OpenItems for commands that do
// not interleave files.
func ReadAll(spec Spec, decoders Decoders, fn func(Item) error) error {
	ir, err := OpenItems(spec, decoders)
	if err != nil {
		return err
	}
	defer ir.Close()
	for {
		it, err := ir.Next()
		if err == io.EOF {
			return ir.Close()
		}
		if err != nil {
			return err
		}
		if err := fn(it); err != nil {
			return err
		}
	}
}
