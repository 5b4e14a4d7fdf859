package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// MaxDepth bounds the nesting of arrays and objects Valid accepts, so that a
// hostile record (megabytes of '[') cannot exhaust memory. It is the limit
// encoding/json uses.
const MaxDepth = 10000

// Valid reports whether data is exactly one JSON value, optionally surrounded
// by whitespace. It accepts what encoding/json.Valid accepts (bytes that are
// not valid UTF-8 are allowed inside strings; nesting deeper than MaxDepth is
// not) and allocates nothing.
func Valid(data []byte) bool {
	i := WS(data, 0)
	if i >= len(data) {
		return false
	}
	end := validValue(data, i, 0)
	if end < 0 {
		return false
	}
	return WS(data, end) == len(data)
}

// WS returns the index of the first byte at or after i that is not JSON
// whitespace (space, tab, line feed, carriage return), or len(data).
func WS(data []byte, i int) int {
	for i < len(data) {
		c := data[i]
		if c > ' ' || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			return i
		}
		i++
	}
	return i
}

// SWAR constants: the byte-parallel tests below look at 8 bytes at a time.
const (
	lsb       = 0x0101010101010101
	msb       = 0x8080808080808080
	quotes    = lsb * '"'
	backslash = lsb * '\\'
	controls  = lsb * 0x20
)

// validValue validates the value starting at data[i] (not whitespace),
// nested depth containers deep, and returns the index just past it, or -1.
func validValue(data []byte, i, depth int) int {
	return validate(data, i, depth, nil)
}

// MemberFunc receives one member of an object that ValidMembers validates:
// the Span of its key as written between the quotes (escapes not decoded)
// and its value's Span. Positions rather than slices are passed so that the
// buffer does not escape through the callback.
type MemberFunc func(key, val Span)

// ValidMembers validates the object that starts at data[i] and calls fn for
// each of its members, in order, once the member's value has been
// validated. It returns the index just past the object, or -1 if data[i]
// does not start a valid object (fn may have been called for the members
// before the error). It is the one-pass form of Valid plus Object for a
// buffer that has not been validated yet.
func ValidMembers(data []byte, i int, fn MemberFunc) int {
	if i >= len(data) || data[i] != '{' {
		return -1
	}
	return validate(data, i, 0, fn)
}

// validate is validValue, calling fn (when not nil) for each member of the
// top-level value if it is an object.
//
// It is one loop with an explicit stack rather than a recursive descent, and
// keeps few variables live across its states: the records it reads are
// mostly short strings and small objects, where call overhead and register
// spills would cost as much as the scanning itself.
func validate(data []byte, i, depth int, fn MemberFunc) int {
	limit := MaxDepth - depth // how deep containers may nest inside this value
	d := 0                    // containers open inside this value
	var stk uint64            // bit k: container k+1 (k < 64) is an object
	var deep []uint64         // the same for containers beyond 64 (rare)
	var keyStart, keyEnd, valStart int
	if fn != nil && (i >= len(data) || data[i] != '{') {
		fn = nil
	}

value:
	if i >= len(data) {
		return -1
	}
	if d == 1 {
		valStart = i
	}
	switch data[i] {
	case '"':
		i++
		for {
			for i+8 <= len(data) {
				x := binary.LittleEndian.Uint64(data[i:])
				q := x ^ quotes
				b := x ^ backslash
				m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | ((x - controls) &^ x)
				if m &= msb; m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					goto vspecial
				}
				i += 8
			}
			for i < len(data) && data[i] != '"' && data[i] != '\\' && data[i] >= 0x20 {
				i++
			}
			if i >= len(data) {
				return -1
			}
		vspecial:
			if data[i] == '"' {
				i++
				goto after
			}
			if data[i] != '\\' {
				return -1
			}
			if i = escape(data, i); i < 0 {
				return -1
			}
		}
	case '{':
		if d >= limit {
			return -1
		}
		if d < 64 {
			stk |= 1 << d
		} else {
			deep = setDeep(deep, d-64, true)
		}
		d++
		i = WS(data, i+1)
		if i < len(data) && data[i] == '}' {
			i++
			d--
			goto after
		}
		goto key
	case '[':
		if d >= limit {
			return -1
		}
		if d < 64 {
			stk &^= 1 << d
		} else {
			deep = setDeep(deep, d-64, false)
		}
		d++
		i = WS(data, i+1)
		if i < len(data) && data[i] == ']' {
			i++
			d--
			goto after
		}
		goto value
	case 't':
		if len(data)-i < 4 || string(data[i:i+4]) != "true" {
			return -1
		}
		i += 4
		goto after
	case 'f':
		if len(data)-i < 5 || string(data[i:i+5]) != "false" {
			return -1
		}
		i += 5
		goto after
	case 'n':
		if len(data)-i < 4 || string(data[i:i+4]) != "null" {
			return -1
		}
		i += 4
		goto after
	default:
		if i = validNumber(data, i); i < 0 {
			return -1
		}
		goto after
	}

key: // a member key starts at i (whitespace skipped)
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	i++
	if d == 1 {
		keyStart = i
	}
	for {
		for i+8 <= len(data) {
			x := binary.LittleEndian.Uint64(data[i:])
			q := x ^ quotes
			b := x ^ backslash
			m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | ((x - controls) &^ x)
			if m &= msb; m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto kspecial
			}
			i += 8
		}
		for i < len(data) && data[i] != '"' && data[i] != '\\' && data[i] >= 0x20 {
			i++
		}
		if i >= len(data) {
			return -1
		}
	kspecial:
		if data[i] == '"' {
			break
		}
		if data[i] != '\\' {
			return -1
		}
		if i = escape(data, i); i < 0 {
			return -1
		}
	}
	if d == 1 {
		keyEnd = i
	}
	i++
	if i < len(data) && data[i] == ':' {
		i++
	} else {
		i = WS(data, i)
		if i >= len(data) || data[i] != ':' {
			return -1
		}
		i++
	}
	if i < len(data) && data[i] > ' ' {
		goto value
	}
	i = WS(data, i)
	goto value

after: // a value ended at i
	if d == 0 {
		return i
	}
	if d == 1 && fn != nil {
		fn(Span{keyStart, keyEnd}, Span{valStart, i})
	}
	if i >= len(data) || data[i] <= ' ' {
		if i = WS(data, i); i >= len(data) {
			return -1
		}
	}
	switch data[i] {
	case ',':
		i++
		if i >= len(data) || data[i] <= ' ' {
			i = WS(data, i)
		}
		if isObject(stk, deep, d-1) {
			goto key
		}
		goto value
	case '}':
		if !isObject(stk, deep, d-1) {
			return -1
		}
	case ']':
		if isObject(stk, deep, d-1) {
			return -1
		}
	default:
		return -1
	}
	i++
	d--
	goto after
}

// setDeep sets bit k of deep to obj, growing it as needed.
func setDeep(deep []uint64, k int, obj bool) []uint64 {
	for len(deep) <= k>>6 {
		deep = append(deep, 0)
	}
	if obj {
		deep[k>>6] |= 1 << (k & 63)
	} else {
		deep[k>>6] &^= 1 << (k & 63)
	}
	return deep
}

// isObject reports whether open container k (0-based) is an object.
func isObject(stk uint64, deep []uint64, k int) bool {
	if k < 64 {
		return stk&(1<<k) != 0
	}
	k -= 64
	return deep[k>>6]&(1<<(k&63)) != 0
}

// escape validates the escape sequence at data[i] ('\\') and returns the
// index just past it, or -1.
func escape(data []byte, i int) int {
	if i+1 >= len(data) {
		return -1
	}
	switch data[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return i + 2
	case 'u':
		if len(data)-i < 6 || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
			return -1
		}
		return i + 6
	}
	return -1
}

// validNumber validates -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// starting at i and returns the index just past it, or -1.
func validNumber(data []byte, i int) int {
	if data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return -1
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i = digits(data, i+1)
	default:
		return -1
	}
	if i < len(data) && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return -1
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return -1
		}
		i = j
	}
	return i
}

func digits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// special returns the index of the first byte at or after i that is '"',
// '\\' or a control character (< 0x20), or len(data).
func special(data []byte, i int) int {
	for i+8 <= len(data) {
		x := binary.LittleEndian.Uint64(data[i:])
		// A zero byte in x^quotes is a '"', in x^backslash a '\\'; x-controls
		// borrows into the high bit of every byte below 0x20. The lowest flagged
		// byte is exact (only higher ones can be false positives).
		q := x ^ quotes
		b := x ^ backslash
		m := ((q - lsb) &^ q) | ((b - lsb) &^ b) | ((x - controls) &^ x)
		m &= msb
		if m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(data) {
		if c := data[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
		i++
	}
	return i
}

// validString validates the rest of a string whose opening quote ends at i
// and returns the index just past its closing quote, or -1.
func validString(data []byte, i int) int {
	for {
		i = special(data, i)
		if i >= len(data) {
			return -1
		}
		switch data[i] {
		case '"':
			return i + 1
		case '\\':
			i = escape(data, i)
			if i < 0 {
				return -1
			}
		default: // a control character
			return -1
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}
