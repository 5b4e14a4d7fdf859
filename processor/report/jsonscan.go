package report

import (
	"fmt"

	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// scanner is a small allocation-free JSON reader over one buffer: it
// validates the RFC 8259 grammar and hands out strings as sub-slices of the
// buffer (unescaped into a fresh slice by jsonscan.AppendString only when
// they hold escapes). It is what lets the report read ten million events
// without building a value per field; see decode.go for the fields it
// extracts. It keeps its own grammar walk rather than jsonscan.Valid because
// a bad record's message names the first error and its byte offset.
//
// Every method that can fail returns false and keeps the first error in err.
type scanner struct {
	b     []byte
	i     int
	depth int
	err   error
}

// syntaxError is a JSON grammar violation at byte Offset of a record.
type syntaxError struct {
	Offset int
	Msg    string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("bad json: %s at byte %d", e.Msg, e.Offset) }

func (s *scanner) reset(b []byte) {
	s.b, s.i, s.depth, s.err = b, 0, 0, nil
}

func (s *scanner) fail(msg string) bool {
	if s.err == nil {
		s.err = &syntaxError{Offset: s.i, Msg: msg}
	}
	return false
}

func (s *scanner) failByte(what string) bool {
	if s.i >= len(s.b) {
		return s.fail("unexpected end of input")
	}
	return s.fail(fmt.Sprintf("invalid character %q %s", s.b[s.i], what))
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// atEnd reports whether only whitespace is left.
func (s *scanner) atEnd() bool {
	s.ws()
	return s.i >= len(s.b)
}

// object iterates the members of the object at the current position,
// calling member with each key; member must consume the value (with
// skipValue or a typed reader) and return false to stop with an error.
func (s *scanner) object(member func(key []byte) bool) bool {
	s.ws()
	if s.peek() != '{' {
		return s.failByte("looking for beginning of object")
	}
	if s.depth++; s.depth > jsonscan.MaxDepth {
		return s.fail("exceeded max depth")
	}
	s.i++
	s.ws()
	if s.peek() == '}' {
		s.i++
		s.depth--
		return true
	}
	for {
		s.ws()
		if s.peek() != '"' {
			return s.failByte("looking for beginning of object key string")
		}
		key, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if s.peek() != ':' {
			return s.failByte("after object key")
		}
		s.i++
		s.ws()
		if !member(key) {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return true
		default:
			return s.failByte("after object key:value pair")
		}
	}
}

// array iterates the elements of the array at the current position; elem
// must consume each value.
func (s *scanner) array(elem func() bool) bool {
	s.ws()
	if s.peek() != '[' {
		return s.failByte("looking for beginning of array")
	}
	if s.depth++; s.depth > jsonscan.MaxDepth {
		return s.fail("exceeded max depth")
	}
	s.i++
	s.ws()
	if s.peek() == ']' {
		s.i++
		s.depth--
		return true
	}
	for {
		s.ws()
		if !elem() {
			return false
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return true
		default:
			return s.failByte("after array element")
		}
	}
}

// skipValue consumes and validates one value.
func (s *scanner) skipValue() bool {
	s.ws()
	switch c := s.peek(); {
	case c == '{':
		return s.object(func([]byte) bool { return s.skipValue() })
	case c == '[':
		return s.array(s.skipValue)
	case c == '"':
		_, _, ok := s.scanString()
		return ok
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	default:
		return s.failByte("looking for beginning of value")
	}
}

func (s *scanner) literal(word string) bool {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.failByte("in literal")
	}
	s.i += len(word)
	return true
}

func (s *scanner) number() bool {
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		return s.failByte("in numeric literal")
	}
	if s.peek() == '.' {
		s.i++
		if c := s.peek(); c < '0' || c > '9' {
			return s.failByte("after decimal point in numeric literal")
		}
		s.digits()
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if c := s.peek(); c < '0' || c > '9' {
			return s.failByte("in exponent of numeric literal")
		}
		s.digits()
	}
	return true
}

func (s *scanner) digits() {
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
}

// scanString consumes a string at the current position and returns the
// offset just past its closing quote and whether it holds escapes.
func (s *scanner) scanString() (end int, escaped, ok bool) {
	s.i++ // opening quote
	for {
		// Fast path: plain bytes.
		for s.i < len(s.b) && plain[s.b[s.i]] {
			s.i++
		}
		if s.i >= len(s.b) {
			return 0, false, s.fail("unexpected end of input")
		}
		switch c := s.b[s.i]; {
		case c == '"':
			s.i++
			return s.i, escaped, true
		case c == '\\':
			escaped = true
			s.i++
			if s.i >= len(s.b) {
				return 0, false, s.fail("unexpected end of input")
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				s.i++
				if len(s.b)-s.i < 4 || !isHex(s.b[s.i]) || !isHex(s.b[s.i+1]) || !isHex(s.b[s.i+2]) || !isHex(s.b[s.i+3]) {
					return 0, false, s.fail("invalid \\u escape in string literal")
				}
				s.i += 4
			default:
				return 0, false, s.failByte("in string escape code")
			}
		default: // a control character
			return 0, false, s.failByte("in string literal")
		}
	}
}

// plain marks the bytes a string holds as they are: not a quote, a
// backslash or a control character.
var plain = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	return t
}()

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// str reads a string value; the result aliases the buffer unless the string
// holds escapes.
func (s *scanner) str() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, s.failByte("looking for beginning of string")
	}
	start := s.i
	end, escaped, ok := s.scanString()
	if !ok {
		return nil, false
	}
	raw := s.b[start+1 : end-1]
	if !escaped {
		return raw, true
	}
	return jsonscan.AppendString(make([]byte, 0, len(raw)), raw), true
}

// boolean reads true or false.
func (s *scanner) boolean() (bool, bool) {
	switch s.peek() {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	return false, s.failByte("looking for a boolean")
}
