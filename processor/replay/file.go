package replay

import (
	"github.com/jmlwatch/jmlwatch/events/input"
)

// FileSource is a Source over one input file: its items in file order,
// each with the line where it starts.
type FileSource struct {
	ir *input.ItemReader
}

// OpenFile opens the input spec with the decoders. The caller must Close it.
func OpenFile(spec input.Spec, decoders input.Decoders) (*FileSource, error) {
	ir, err := input.OpenItems(spec, decoders)
	if err != nil {
		return nil, err
	}
	return &FileSource{ir: ir}, nil
}

// Next returns the next item; io.EOF after the last.
func (f *FileSource) Next() (Record, error) {
	it, err := f.ir.Next()
	if err != nil {
		return Record{}, err
	}
	return Record{Input: it.Path, Line: it.Line, Item: it.Item}, nil
}

// Close closes the file.
func (f *FileSource) Close() error { return f.ir.Close() }
