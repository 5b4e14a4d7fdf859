package events

import (
	"encoding/base64"
	"strings"
	"unicode/utf8"
)

// Header is one Kafka record header. Keys are compared case-insensitively
// by the decoders (as the CloudEvents SDKs do); Value is read, never kept.
type Header struct {
	Key   string
	Value []byte
}

// SpecVersion is the only CloudEvents specversion jmlwatch reads and writes.
const SpecVersion = "1.0"

// Content types of the CloudEvents Kafka binding.
const (
	// ContentTypeJSON is the datacontenttype of every jmlwatch output and
	// the content-type header of its binary-mode records.
	ContentTypeJSON = "application/json"
	// ContentTypeCloudEventsJSON is the content-type of a structured-mode
	// record (one event).
	ContentTypeCloudEventsJSON = "application/cloudevents+json"
	// ContentTypeCloudEventsBatchJSON is the content-type of a JSON array of
	// structured events (the CloudEvents JSON batch format).
	ContentTypeCloudEventsBatchJSON = "application/cloudevents-batch+json"
)

// DecodeStructured decodes value as the CloudEvents JSON event format: one
// event object (one Item, Index -1) or a JSON array of them, the JSON batch
// format (one Item per element, Index 0, 1, ...). Each Item's Offset is the
// byte offset of its object's first byte within value; Raw is the whole
// value for a lone object (the record, as a dead letter keeps it) and the
// element's bytes for an array element, aliasing value either way. An
// empty array gives no items.
//
// If value is not valid JSON the result is a single bad_json Item (Index
// -1, Raw = value) whose detail gives the byte offset of the error: nothing
// of a malformed batch applies. A value, or an array element, that is valid
// JSON but not an object is rejected as bad_json too, since it is not in the
// event format. Every other problem rejects only its own element, with the
// first of these checks that fails (Field in parentheses):
//
//   - specversion absent, null or "" (specversion): missing_field; not the
//     string "1.0": bad_value. Then id, source and type the same way
//     (missing_field; a non-string is bad_value).
//   - type not a canonical input type (type): unknown_type.
//   - time (time): missing_field; not a string: bad_value; not an RFC 3339
//     date-time: bad_timestamp.
//   - datacontenttype, when set, not application/json or a +json type
//     (datacontenttype): bad_value.
//   - data absent or null (data): missing_field; not an object: bad_value.
//     data_base64 is accepted instead of data when it holds a JSON object.
//   - the type's data fields (data.worker_id, data.effective_at, ...):
//     required and empty is missing_field, wrong JSON type or a value
//     outside its enumeration is bad_value, a bad effective_at is
//     bad_timestamp (it may be a YYYY-MM-DD date, kept as a date).
//
// Attribute and data keys are matched case-sensitively (CloudEvents names
// are lower case); unknown attributes and data fields are ignored, as are
// known fields another event type uses; when a key repeats the last one
// wins. Strings are decoded as encoding/json decodes them, so invalid UTF-8
// becomes U+FFFD. Times are returned in UTC.
//
// DecodeStructured never panics and never returns an Item without exactly
// one of Event and Err set. It is safe for concurrent use.
func DecodeStructured(value []byte) []Item {
	p := jsonParser{b: value}
	p.ws()
	start := p.i
	switch p.peek() {
	case '{':
		var a ceAttrs
		ok := a.readObject(&p)
		if ok {
			p.ws()
			if p.i != len(value) {
				ok = p.failByte("after top-level value")
			}
			if ok {
				item := Item{Index: -1, Offset: start, Raw: value}
				item.Event, item.Err = a.input()
				return []Item{item}
			}
		}
		return []Item{badJSON(value, start, p.err)}
	case '[':
		return decodeBatch(&p, value, start)
	}
	if err := validJSON(value); err != nil {
		return []Item{badJSON(value, start, err)}
	}
	return []Item{{Index: -1, Offset: start, Raw: value,
		Err: Reject(ReasonBadJSON, "", "a cloudevent must be a json object, got %s", p.kindName())}}
}

// decodeBatch decodes the JSON array at p (the CloudEvents batch format).
func decodeBatch(p *jsonParser, value []byte, start int) []Item {
	var items []Item
	p.enter()
	for first := true; ; first = false {
		more, ok := p.nextElement(first)
		if !ok {
			return []Item{badJSON(value, start, p.err)}
		}
		if !more {
			break
		}
		elem := p.i
		item := Item{Index: len(items), Offset: elem}
		if p.peek() == '{' {
			var a ceAttrs
			if !a.readObject(p) {
				return []Item{badJSON(value, start, p.err)}
			}
			item.Event, item.Err = a.input()
		} else {
			kind := p.kindName()
			if !p.skipValue() {
				return []Item{badJSON(value, start, p.err)}
			}
			item.Err = Reject(ReasonBadJSON, "", "a cloudevent must be a json object, got %s", kind)
		}
		item.Raw = value[elem:p.i]
		items = append(items, item)
	}
	p.ws()
	if p.i != len(value) {
		p.failByte("after top-level value")
		return []Item{badJSON(value, start, p.err)}
	}
	return items
}

// badJSON is the single Item reporting that value is not valid JSON.
func badJSON(value []byte, start int, err *jsonSyntaxError) Item {
	if start >= len(value) {
		start = 0
	}
	detail := "empty value"
	if err != nil {
		detail = err.Error()
	}
	return Item{Index: -1, Offset: start, Raw: value, Err: Reject(ReasonBadJSON, "", "%s", detail)}
}

// DecodeBinary decodes a Kafka record in the binary content mode: the
// attributes in ce_-prefixed headers (ce_specversion, ce_id, ce_source,
// ce_type, ce_time, ...; other ce_ headers are extensions and ignored), the
// content-type header as datacontenttype, and value as data. It returns one
// Item (Index -1, Offset 0, Raw = value).
//
// A value that is not valid JSON is rejected as bad_json before anything
// else; an absent or empty value is missing_field data. Attribute problems
// name the header (field "ce_time", "content-type"); data problems name the
// data field ("data.worker_id"). When a header repeats, the last one wins.
func DecodeBinary(headers []Header, value []byte) []Item {
	item := Item{Index: -1, Raw: value}
	a := ceAttrs{binary: true}
	for _, h := range headers {
		if v := a.headerAttr(h.Key); v != nil {
			*v = attrValue{raw: validUTF8(h.Value), state: attrString}
		}
	}
	p := jsonParser{b: value}
	p.ws()
	if p.i < len(value) {
		if err := validJSON(value); err != nil {
			item.Err = Reject(ReasonBadJSON, "", "%s", err.Error())
			return []Item{item}
		}
		a.data = value[p.i:]
	}
	item.Event, item.Err = a.input()
	return []Item{item}
}

// validUTF8 returns b with every byte of invalid UTF-8 replaced by U+FFFD,
// as a JSON string would be decoded; b itself when it is valid.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// DecodeKafka decodes a Kafka record by the CloudEvents Kafka protocol
// binding's content-type rule: a content-type header starting with
// application/cloudevents (case-insensitively) means structured mode
// (DecodeStructured; an array is accepted as a batch); any other record is
// in binary mode (DecodeBinary), and one without a ce_specversion header is
// not a CloudEvent at all: it is rejected as missing_field ce_specversion.
// A structured media type in a format other than JSON
// (application/cloudevents+avro, ...) is rejected as bad_value content-type.
func DecodeKafka(headers []Header, value []byte) []Item {
	var contentType string
	var hasSpecVersion bool
	for _, h := range headers {
		switch {
		case strings.EqualFold(h.Key, "content-type"):
			contentType = string(h.Value)
		case strings.EqualFold(h.Key, "ce_specversion"):
			hasSpecVersion = true
		}
	}
	if hasPrefixFold(contentType, "application/cloudevents") {
		switch mediaType(contentType) {
		case "application/cloudevents", ContentTypeCloudEventsJSON,
			"application/cloudevents-batch", ContentTypeCloudEventsBatchJSON:
			return DecodeStructured(value)
		}
		return []Item{{Index: -1, Raw: value, Err: Reject(ReasonBadValue, "content-type",
			"unsupported cloudevents event format %q (only json is supported)", contentType)}}
	}
	if !hasSpecVersion {
		return []Item{{Index: -1, Raw: value, Err: Reject(ReasonMissingField, "ce_specversion",
			"not a cloudevent: no content-type application/cloudevents and no ce_specversion header")}}
	}
	return DecodeBinary(headers, value)
}

// mediaType returns the media type of a content type: lower case, without
// parameters and surrounding spaces.
func mediaType(contentType string) string {
	if i := strings.IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	return strings.ToLower(strings.TrimSpace(contentType))
}

// isJSONMediaType reports whether a datacontenttype declares JSON:
// application/json or any type with the +json structured syntax suffix.
func isJSONMediaType(contentType string) bool {
	mt := mediaType(contentType)
	return mt == ContentTypeJSON || (strings.HasSuffix(mt, "+json") && strings.Contains(mt, "/"))
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// attrState says whether an attribute was present, and as what.
type attrState uint8

const (
	attrAbsent    attrState = iota // absent or JSON null
	attrString                     // a JSON string (or a header)
	attrWrongType                  // present, but not a string
)

// attrValue is one context attribute as read.
type attrValue struct {
	raw   []byte // the decoded value; aliases the record when it can
	state attrState
	kind  string // the JSON type, when attrWrongType
}

// ceAttrs collects the context attributes and data of one event, from
// either content mode, for validation by input.
type ceAttrs struct {
	specVersion, id, source, typ, time, dataContentType, dataBase64 attrValue

	data   []byte // the data value's bytes; nil when absent or null
	binary bool   // read from headers: fields are named by header
}

// readObject reads the event object at p (positioned at '{').
func (a *ceAttrs) readObject(p *jsonParser) bool {
	if !p.enter() {
		return false
	}
	for first := true; ; first = false {
		more, ok := p.nextMember(first)
		if !ok {
			return false
		}
		if !more {
			return true
		}
		key, ok := p.readKey()
		if !ok {
			return false
		}
		var v *attrValue
		switch string(key) {
		case "specversion":
			v = &a.specVersion
		case "id":
			v = &a.id
		case "source":
			v = &a.source
		case "type":
			v = &a.typ
		case "time":
			v = &a.time
		case "datacontenttype":
			v = &a.dataContentType
		case "data_base64":
			v = &a.dataBase64
		case "data":
			start := p.i
			if !p.skipValue() {
				return false
			}
			a.data = p.b[start:p.i]
			if p.b[start] == 'n' {
				a.data = nil // null data is no data
			}
			continue
		default:
			if !p.skipValue() {
				return false
			}
			continue
		}
		switch p.peek() {
		case '"':
			s, ok := p.readBytes()
			if !ok {
				return false
			}
			*v = attrValue{raw: s, state: attrString}
		case 'n':
			if !p.literal("null") {
				return false
			}
			*v = attrValue{}
		default:
			kind := p.kindName()
			if !p.skipValue() {
				return false
			}
			*v = attrValue{state: attrWrongType, kind: kind}
		}
	}
}

// headerAttr returns the attribute a binary-mode header carries, or nil.
func (a *ceAttrs) headerAttr(key string) *attrValue {
	if strings.EqualFold(key, "content-type") {
		return &a.dataContentType
	}
	if !hasPrefixFold(key, "ce_") {
		return nil
	}
	switch name := key[3:]; {
	case strings.EqualFold(name, "specversion"):
		return &a.specVersion
	case strings.EqualFold(name, "id"):
		return &a.id
	case strings.EqualFold(name, "source"):
		return &a.source
	case strings.EqualFold(name, "type"):
		return &a.typ
	case strings.EqualFold(name, "time"):
		return &a.time
	}
	return nil
}

// field names an attribute for a RejectError: the attribute name in
// structured mode, the header in binary mode.
func (a *ceAttrs) field(name string) string {
	if !a.binary {
		return name
	}
	if name == "datacontenttype" {
		return "content-type"
	}
	return "ce_" + name
}

// required checks a required string attribute.
func (a *ceAttrs) required(v attrValue, name string) *RejectError {
	switch {
	case v.state == attrAbsent:
		return Reject(ReasonMissingField, a.field(name), "required attribute is missing")
	case v.state == attrWrongType:
		return Reject(ReasonBadValue, a.field(name), "must be a string, got %s", v.kind)
	case len(v.raw) == 0:
		return Reject(ReasonMissingField, a.field(name), "required attribute is empty")
	}
	return nil
}

// input validates the attributes and data and builds the Input.
func (a *ceAttrs) input() (*Input, *RejectError) {
	if err := a.required(a.specVersion, "specversion"); err != nil {
		return nil, err
	}
	if string(a.specVersion.raw) != SpecVersion {
		return nil, Reject(ReasonBadValue, a.field("specversion"), "unsupported specversion %q (want %q)", a.specVersion.raw, SpecVersion)
	}
	if err := a.required(a.id, "id"); err != nil {
		return nil, err
	}
	if err := a.required(a.source, "source"); err != nil {
		return nil, err
	}
	if err := a.required(a.typ, "type"); err != nil {
		return nil, err
	}
	typ, cat := internType(a.typ.raw)
	if typ == "" {
		return nil, Reject(ReasonUnknownType, a.field("type"), "unknown event type %q", a.typ.raw)
	}
	if err := a.required(a.time, "time"); err != nil {
		return nil, err
	}
	t, ok := parseRFC3339(a.time.raw)
	if !ok {
		return nil, Reject(ReasonBadTimestamp, a.field("time"), "%q is not an rfc 3339 date-time", a.time.raw)
	}
	switch ct := a.dataContentType; ct.state {
	case attrWrongType:
		return nil, Reject(ReasonBadValue, a.field("datacontenttype"), "must be a string, got %s", ct.kind)
	case attrString:
		if len(ct.raw) > 0 && string(ct.raw) != ContentTypeJSON && !isJSONMediaType(string(ct.raw)) {
			return nil, Reject(ReasonBadValue, a.field("datacontenttype"), "data content type %q is not json", ct.raw)
		}
	}
	data := a.data
	switch b64 := a.dataBase64; b64.state {
	case attrWrongType:
		return nil, Reject(ReasonBadValue, "data_base64", "must be a string, got %s", b64.kind)
	case attrString:
		if data != nil {
			return nil, Reject(ReasonBadValue, "data_base64", "an event has data or data_base64, not both")
		}
		dec, err := base64.StdEncoding.DecodeString(string(b64.raw))
		if err != nil {
			return nil, Reject(ReasonBadValue, "data_base64", "not base64: %v", err)
		}
		if err := validJSON(dec); err != nil {
			return nil, Reject(ReasonBadJSON, "data_base64", "%s", err.Error())
		}
		data = dec
	}
	if data == nil {
		return nil, Reject(ReasonMissingField, "data", "an event needs data")
	}
	return decodeEvent(a.id.raw, a.source.raw, typ, cat, t, data)
}

// internType returns the canonical input type constant equal to b, and its
// category; "" when b is not a canonical input type. It does not allocate.
func internType(b []byte) (string, Category) {
	var typ string
	switch string(b) {
	case TypeHRSnapshot:
		typ = TypeHRSnapshot
	case TypeHRJoiner:
		typ = TypeHRJoiner
	case TypeHRMover:
		typ = TypeHRMover
	case TypeHRLeaver:
		typ = TypeHRLeaver
	case TypeHRRescinded:
		typ = TypeHRRescinded
	case TypeAccountCreated:
		typ = TypeAccountCreated
	case TypeAccountEnabled:
		typ = TypeAccountEnabled
	case TypeAccountDisabled:
		typ = TypeAccountDisabled
	case TypeAccountDeleted:
		typ = TypeAccountDeleted
	case TypeAccountSnapshot:
		typ = TypeAccountSnapshot
	case TypeAccessGranted:
		typ = TypeAccessGranted
	case TypeAccessRevoked:
		typ = TypeAccessRevoked
	case TypeSessionsRevoked:
		typ = TypeSessionsRevoked
	case TypeNHIRegistered:
		typ = TypeNHIRegistered
	case TypeNHIReassigned:
		typ = TypeNHIReassigned
	case TypeNHIRevoked:
		typ = TypeNHIRevoked
	case TypeTicketResolved:
		typ = TypeTicketResolved
	default:
		return "", 0
	}
	cat, _ := CategoryOf(typ)
	return typ, cat
}
