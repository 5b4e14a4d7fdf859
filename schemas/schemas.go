package schemas

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/jmlwatch/jmlwatch/events"
)

// FS holds the schema files: common.json (shared $defs), input/<type>.json
// for each canonical input type and output/<type>.json for each output type.
// It is read-only; tools and docs may serve or copy it.
//
//go:embed common.json input/*.json output/*.json
var FS embed.FS

// BaseURL is the base of every schema's $id. A file at p in FS has the $id
// BaseURL + p. Nothing is fetched from it: the schemas are embedded.
const BaseURL = "https://jmlwatch.io/schemas/v1/"

// Directories of FS holding the per-type schemas.
const (
	dirInput  = "input"
	dirOutput = "output"
)

// ErrUnknownType is returned (wrapped) by Set.Validate for a type with no
// schema.
var ErrUnknownType = errors.New("schemas: no schema for event type")

// Set is the compiled schema of every input and output event type. It is
// immutable after Compile and safe for concurrent use.
type Set struct {
	byType map[string]*jsonschema.Schema
	input  map[string]bool // type -> is an input type

	// The envelopes alone, to check events of unknown types.
	inputEnvelope, outputEnvelope *jsonschema.Schema
}

// Compile compiles every schema in FS, with format assertions on (so
// "format": "date-time" and "date" are enforced, as the decoder enforces
// them). It fails only if an embedded schema is broken, which the package
// tests rule out; callers may treat an error as a bug.
func Compile() (*Set, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.AssertContent() // data_base64: base64 of a JSON object, checked like data
	c.RegisterFormat(&jsonschema.Format{Name: "date-time", Validate: validateDateTime})
	// Every resource is added up front; a reference to anything else is a
	// bug in the schemas and must not reach the network.
	c.UseLoader(noLoader{})

	files, err := schemaFiles()
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		b, err := FS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("schemas: reading %s: %w", name, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schemas: parsing %s: %w", name, err)
		}
		if err := c.AddResource(BaseURL+name, doc); err != nil {
			return nil, fmt.Errorf("schemas: adding %s: %w", name, err)
		}
	}

	s := &Set{byType: make(map[string]*jsonschema.Schema), input: make(map[string]bool)}
	for _, name := range files {
		dir, file := path.Split(name)
		dir = strings.TrimSuffix(dir, "/")
		if dir != dirInput && dir != dirOutput {
			continue
		}
		sch, err := c.Compile(BaseURL + name)
		if err != nil {
			return nil, fmt.Errorf("schemas: compiling %s: %w", name, err)
		}
		typ := strings.TrimSuffix(file, ".json")
		s.byType[typ] = sch
		s.input[typ] = dir == dirInput
	}
	if s.inputEnvelope, err = c.Compile(BaseURL + "common.json#/$defs/inputEvent"); err != nil {
		return nil, fmt.Errorf("schemas: compiling the input envelope: %w", err)
	}
	if s.outputEnvelope, err = c.Compile(BaseURL + "common.json#/$defs/outputEvent"); err != nil {
		return nil, fmt.Errorf("schemas: compiling the output envelope: %w", err)
	}
	return s, nil
}

// validateDateTime asserts the date-time format exactly as the decoder
// parses a timestamp. Beyond the standard format (and the pattern the
// schemas add), it refuses an instant whose UTC year is outside 0000-9999,
// such as 0000-01-01T00:30:00+01:00, which RFC 3339 cannot write back.
func validateDateTime(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	if e, err := events.ParseEffectiveTime(s); err != nil || e.DateOnly {
		return fmt.Errorf("not an rfc 3339 date-time with a utc year in 0000-9999")
	}
	return nil
}

// schemaFiles lists every .json file in FS, sorted.
func schemaFiles() ([]string, error) {
	var files []string
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("schemas: listing embedded files: %w", err)
	}
	sort.Strings(files)
	return files, nil
}

// noLoader refuses every URL: all schemas are added as resources before
// compiling, so a load means a dangling $ref.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schemas: refusing to load %s: not an embedded schema", url)
}

// For returns the compiled schema of a CloudEvents type (input or output)
// and whether there is one.
func (s *Set) For(ceType string) (*jsonschema.Schema, bool) {
	sch, ok := s.byType[ceType]
	return sch, ok
}

// Types returns every type with a schema, sorted: the input types when input
// is true, else the output types.
func (s *Set) Types(input bool) []string {
	var out []string
	for t, in := range s.input {
		if in == input {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// Validate validates doc, a whole structured CloudEvent decoded as by
// jsonschema.UnmarshalJSON (or encoding/json into any), against the schema
// of ceType. It returns nil when doc is valid, an error wrapping
// ErrUnknownType when ceType has no schema, and otherwise a
// *jsonschema.ValidationError (see Reject to classify it).
func (s *Set) Validate(ceType string, doc any) error {
	sch, ok := s.byType[ceType]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownType, ceType)
	}
	return sch.Validate(doc)
}

// CheckInput validates one structured-mode CloudEvent given as JSON bytes
// (one element of a record: the Raw of an events.Item) against the schema of
// the canonical input type its "type" names. It returns nil when the event
// is valid, and otherwise the rejection, classified with the codes of SPEC
// section 8 as the decoder classifies the same fault (see Reject): an output
// type, like any type that is not a canonical input, is unknown_type.
func (s *Set) CheckInput(value []byte) *events.RejectError {
	return s.check(value, true)
}

// CheckOutput is CheckInput for the events jmlwatch emits (SPEC section 7):
// value must be an output event as events.EncodeStructured writes it.
func (s *Set) CheckOutput(value []byte) *events.RejectError {
	return s.check(value, false)
}

func (s *Set) check(value []byte, input bool) *events.RejectError {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(value))
	if err != nil {
		return events.Reject(events.ReasonBadJSON, "", "%v", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		// As the decoder says: valid JSON, but not in the event format.
		return events.Reject(events.ReasonBadJSON, "", "a cloudevent must be a json object")
	}
	typ, _ := obj["type"].(string)
	if in, ok := s.input[typ]; ok && in == input {
		if err := s.Validate(typ, doc); err != nil {
			return Reject(err)
		}
		return nil
	}
	// No schema for the type. The decoder checks specversion, id and
	// source before the type, so a fault there comes first.
	envelope := s.outputEnvelope
	if input {
		envelope = s.inputEnvelope
	}
	if err := envelope.Validate(doc); err != nil {
		if r := Reject(err); r.Field == "specversion" || r.Field == "id" || r.Field == "source" {
			return r
		}
	}
	switch tv := obj["type"].(type) {
	case nil:
		return events.Reject(events.ReasonMissingField, "type", "required attribute is missing")
	case string:
		if tv == "" {
			return events.Reject(events.ReasonMissingField, "type", "required attribute is empty")
		}
	default:
		return events.Reject(events.ReasonBadValue, "type", "must be a string")
	}
	what := "an input"
	if !input {
		what = "an output"
	}
	return events.Reject(events.ReasonUnknownType, "type", "%q is not %s event type", typ, what)
}

// Reject classifies an error returned by Set.Validate as the decoder's
// rejection of the same fault: its code (SPEC section 8), the field path
// ("data.worker_id", "time") and a detail naming the schema rule. When the
// document has several faults, Reject picks one, in the order the decoder
// checks: envelope attributes first (specversion, id, source, type, time,
// datacontenttype, data_base64, data), then data fields; for one field,
// missing_field before bad_value before bad_timestamp. An error that is not
// a validation error yields bad_value with the error text.
func Reject(err error) *events.RejectError {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return events.Reject(events.ReasonBadValue, "", "%v", err)
	}
	p := message.NewPrinter(language.English)
	var best *fault
	walk(ve, nil, func(l *jsonschema.ValidationError, prefix []string) {
		f := classify(l, prefix, p)
		if best == nil || f.less(best) {
			best = &f
		}
	})
	if best == nil { // unreachable: a validation error has a leaf
		return events.Reject(events.ReasonBadValue, "", "%v", err)
	}
	return events.Reject(best.code, strings.Join(best.field, "."), "schema: %s", best.detail)
}

// walk calls fn for each error of ve's tree that has no causes. prefix is
// prepended to instance locations: errors inside a contentSchema (the
// decoded data_base64) are located relative to the decoded value, which the
// decoder names "data".
func walk(ve *jsonschema.ValidationError, prefix []string, fn func(*jsonschema.ValidationError, []string)) {
	if len(ve.Causes) == 0 {
		fn(ve, prefix)
		return
	}
	if _, ok := ve.ErrorKind.(*kind.ContentSchema); ok {
		prefix = []string{"data"}
	}
	for _, c := range ve.Causes {
		walk(c, prefix, fn)
	}
}

// fault is one classified leaf of a validation error.
type fault struct {
	code   events.Reason
	field  []string
	detail string
}

// rank orders faults by where the decoder would find them first.
func (f *fault) rank() (int, int) {
	// The order in which the decoder checks the attributes; data fields
	// come after all of them.
	attr := 8
	if len(f.field) == 1 {
		switch f.field[0] {
		case "specversion":
			attr = 0
		case "id":
			attr = 1
		case "source":
			attr = 2
		case "type":
			attr = 3
		case "time":
			attr = 4
		case "datacontenttype":
			attr = 5
		case "data_base64":
			attr = 6
		case "data":
			attr = 7
		}
	}
	code := 2
	switch f.code {
	case events.ReasonMissingField:
		code = 0
	case events.ReasonBadValue, events.ReasonBadJSON:
		code = 1
	}
	return attr, code
}

func (f *fault) less(g *fault) bool {
	fa, fc := f.rank()
	ga, gc := g.rank()
	if fa != ga {
		return fa < ga
	}
	if fc != gc {
		return fc < gc
	}
	return strings.Join(f.field, ".") < strings.Join(g.field, ".")
}

// classify maps one leaf to a code and field, as the decoder would:
// absent, null and "" for a required member are missing_field; timestamp
// rules (the dateTime, utcDateTime and date definitions of common.json)
// give bad_timestamp; data_base64 that is not base64 is bad_value and not
// JSON is bad_json; everything else is bad_value.
func classify(l *jsonschema.ValidationError, prefix []string, p *message.Printer) fault {
	field := append([]string(nil), prefix...)
	for i, seg := range l.InstanceLocation {
		if i > 0 && isIndex(seg) {
			// The decoder names a list, not its element:
			// data.entitlements, not data.entitlements.1.
			break
		}
		field = append(field, seg)
	}
	detail := l.ErrorKind.LocalizedString(p)
	code := events.ReasonBadValue
	switch k := l.ErrorKind.(type) {
	case *kind.Required:
		code = events.ReasonMissingField
		field = append(field, k.Missing[0])
	case *kind.MinLength:
		if k.Got == 0 {
			code = events.ReasonMissingField
		}
	case *kind.Type:
		if k.Got == "null" {
			code = events.ReasonMissingField
		}
	case *kind.ContentMediaType:
		code = events.ReasonBadJSON
	case *kind.Format:
		if isTimeDef(l.SchemaURL) {
			code = events.ReasonBadTimestamp
			detail = fmt.Sprintf("%q is not a valid %s", k.Got, k.Want)
		}
	case *kind.Pattern:
		if isTimeDef(l.SchemaURL) {
			code = events.ReasonBadTimestamp
			detail = fmt.Sprintf("%q is not an rfc 3339 timestamp", k.Got)
		}
	}
	return fault{code: code, field: field, detail: detail}
}

// isIndex reports whether an instance location segment is an array index.
func isIndex(seg string) bool {
	if seg == "" {
		return false
	}
	for i := 0; i < len(seg); i++ {
		if seg[i] < '0' || seg[i] > '9' {
			return false
		}
	}
	return true
}

// isTimeDef reports whether schemaURL is one of the timestamp definitions.
func isTimeDef(schemaURL string) bool {
	for _, d := range [...]string{"/$defs/dateTime", "/$defs/utcDateTime", "/$defs/date"} {
		if strings.HasSuffix(schemaURL, d) {
			return true
		}
	}
	return false
}
