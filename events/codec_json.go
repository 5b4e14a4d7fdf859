package events

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of arrays and objects the decoder follows,
// so that a hostile record (a multi-megabyte line of '[') cannot exhaust the
// stack. It is the limit encoding/json uses.
const maxJSONDepth = 10000

// jsonParser is a small recursive-descent JSON reader over one buffer. It
// validates the RFC 8259 grammar exactly (the decoders rely on it to tell
// bad_json from well-formed JSON of the wrong shape) and hands out strings
// and member keys without building a generic tree, which is what makes the
// canonical decode several times faster than encoding/json into a struct.
//
// Every method that can fail returns false and leaves the first syntax
// error in err; callers stop at the first false.
type jsonParser struct {
	b     []byte
	i     int
	depth int
	err   *jsonSyntaxError
}

// jsonSyntaxError is a JSON grammar violation at byte Offset of the buffer.
type jsonSyntaxError struct {
	Offset int
	Msg    string
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("%s at byte %d", e.Msg, e.Offset)
}

// fail records a syntax error at the current position (the first one wins)
// and returns false.
func (p *jsonParser) fail(msg string) bool {
	if p.err == nil {
		p.err = &jsonSyntaxError{Offset: p.i, Msg: msg}
	}
	return false
}

// failByte reports an unexpected byte or the end of input.
func (p *jsonParser) failByte(what string) bool {
	if p.i >= len(p.b) {
		return p.fail("unexpected end of json input")
	}
	return p.fail(fmt.Sprintf("invalid character %q %s", p.b[p.i], what))
}

// ws skips JSON whitespace.
func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the byte at the current position, or 0 at the end.
func (p *jsonParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// skipValue consumes one JSON value starting at the current position (no
// leading whitespace) and validates it.
func (p *jsonParser) skipValue() bool {
	switch p.peek() {
	case '{':
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
			if !p.skipString() || !p.colon() || !p.skipValue() {
				return false
			}
		}
	case '[':
		if !p.enter() {
			return false
		}
		for first := true; ; first = false {
			more, ok := p.nextElement(first)
			if !ok {
				return false
			}
			if !more {
				return true
			}
			if !p.skipValue() {
				return false
			}
		}
	case '"':
		return p.skipString()
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return p.number()
	}
	return p.failByte("looking for beginning of value")
}

// enter consumes the '{' or '[' at the current position and the whitespace
// after it, counting the nesting depth.
func (p *jsonParser) enter() bool {
	p.depth++
	if p.depth > maxJSONDepth {
		return p.fail("exceeded max json nesting depth")
	}
	p.i++
	p.ws()
	return true
}

// nextMember is called with the position after '{' (first) or after a
// member's value. It consumes the ',' or the closing '}' and the whitespace
// around them, and reports whether a member (its key string) follows.
func (p *jsonParser) nextMember(first bool) (more, ok bool) {
	p.ws()
	c := p.peek()
	if c == '}' {
		p.i++
		p.depth--
		return false, true
	}
	if !first {
		if c != ',' {
			return false, p.failByte("after object key:value pair")
		}
		p.i++
		p.ws()
		c = p.peek()
	}
	if c != '"' {
		return false, p.failByte("looking for beginning of object key string")
	}
	return true, true
}

// nextElement is nextMember for arrays: it reports whether an element
// follows, and leaves the position at its first byte.
func (p *jsonParser) nextElement(first bool) (more, ok bool) {
	p.ws()
	c := p.peek()
	if first && c == ']' {
		p.i++
		p.depth--
		return false, true
	}
	if !first {
		switch c {
		case ']':
			p.i++
			p.depth--
			return false, true
		case ',':
			p.i++
			p.ws()
		default:
			return false, p.failByte("after array element")
		}
	}
	if p.i >= len(p.b) {
		return false, p.failByte("")
	}
	return true, true
}

// colon consumes the ':' after a key and the whitespace around it.
func (p *jsonParser) colon() bool {
	p.ws()
	if p.peek() != ':' {
		return p.failByte("after object key")
	}
	p.i++
	p.ws()
	return true
}

// literal consumes the literal word.
func (p *jsonParser) literal(word string) bool {
	if len(p.b)-p.i >= len(word) && string(p.b[p.i:p.i+len(word)]) == word {
		p.i += len(word)
		return true
	}
	for k := 0; k < len(word); k++ {
		if p.i >= len(p.b) || p.b[p.i] != word[k] {
			return p.failByte("in literal " + word)
		}
		p.i++
	}
	return true
}

// number consumes a JSON number.
func (p *jsonParser) number() bool {
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		p.i++
		p.digits()
	default:
		return p.failByte("in numeric literal")
	}
	if p.peek() == '.' {
		p.i++
		if !isDigit(p.peek()) {
			return p.failByte("after decimal point in numeric literal")
		}
		p.digits()
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if !isDigit(p.peek()) {
			return p.failByte("in exponent of numeric literal")
		}
		p.digits()
	}
	return true
}

func (p *jsonParser) digits() {
	for p.i < len(p.b) && isDigit(p.b[p.i]) {
		p.i++
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// skipString consumes the string at the current position.
func (p *jsonParser) skipString() bool {
	_, _, ok := p.scanString()
	return ok
}

// scanString consumes the string at the current position and returns the
// end of its contents (the index of the closing quote) and whether the
// contents need decoding: escapes or bytes outside ASCII.
func (p *jsonParser) scanString() (end int, special, ok bool) {
	p.i++ // opening quote
	b := p.b
	for i := p.i; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			p.i = i + 1
			return i, special, true
		case c == '\\':
			special = true
			if i+1 >= len(b) {
				p.i = len(b)
				return 0, false, p.failByte("")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for k := 2; k < 6; k++ {
					if i+k >= len(b) {
						p.i = len(b)
						return 0, false, p.failByte("")
					}
					if !isHex(b[i+k]) {
						p.i = i + k
						return 0, false, p.failByte("in \\u hexadecimal character escape")
					}
				}
				i += 6
			default:
				p.i = i + 1
				return 0, false, p.failByte("in string escape code")
			}
		case c < 0x20:
			p.i = i
			return 0, false, p.failByte("in string literal")
		default:
			if c >= utf8.RuneSelf {
				special = true
			}
			i++
		}
	}
	p.i = len(b)
	return 0, false, p.failByte("")
}

func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// readBytes consumes the string at the current position and returns its
// value, decoded as encoding/json decodes it (invalid UTF-8 becomes
// U+FFFD, so that every identifier jmlwatch keeps is valid UTF-8 and
// survives encoding unchanged). The result aliases the buffer when the
// string needs no decoding, the common case.
func (p *jsonParser) readBytes() ([]byte, bool) {
	start := p.i + 1
	end, special, ok := p.scanString()
	if !ok {
		return nil, false
	}
	s := p.b[start:end]
	if !special || (bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s)) {
		return s, true
	}
	return unescape(s), true
}

// readKey consumes a member key and the ':' after it and returns the key's
// bytes: a sub-slice of the buffer when the key has no escapes (the common
// case: no allocation), else its unescaped copy.
func (p *jsonParser) readKey() ([]byte, bool) {
	start := p.i + 1
	end, special, ok := p.scanString()
	if !ok || !p.colon() {
		return nil, false
	}
	if special && bytes.IndexByte(p.b[start:end], '\\') >= 0 {
		return unescape(p.b[start:end]), true
	}
	return p.b[start:end], true
}

// unescape decodes the contents of a valid JSON string. Like
// encoding/json, it turns an unpaired UTF-16 surrogate escape and every
// byte of invalid UTF-8 into U+FFFD.
func unescape(s []byte) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, s[i:i+size]...)
			}
			i += size
			continue
		}
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch s[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(s[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if dec := utf16.DecodeRune(r, hex4(s[i+2:i+6])); dec != utf8.RuneError {
						i += 6
						out = utf8.AppendRune(out, dec)
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, s[i+1])
		}
		i += 2
	}
	return out
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// jsonKind names the JSON type of the value at the current position, for
// messages; it assumes the value is valid.
func (p *jsonParser) kindName() string {
	switch p.peek() {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// validJSON reports whether b holds exactly one JSON value, with optional
// surrounding whitespace, and returns the syntax error otherwise.
func validJSON(b []byte) *jsonSyntaxError {
	p := jsonParser{b: b}
	p.ws()
	if p.i == len(b) {
		p.fail("empty value")
		return p.err
	}
	if !p.skipValue() {
		return p.err
	}
	p.ws()
	if p.i != len(b) {
		p.failByte("after top-level value")
	}
	return p.err
}
