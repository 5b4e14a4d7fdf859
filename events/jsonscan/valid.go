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
	backslash = lsb * '\\'
)

// stops flags, in the high bit of each byte, the bytes of x (8 bytes of a
// string, little-endian) where a string scan must stop: '"', '\\' and control
// characters (< 0x20). Every such byte is flagged and the lowest flagged
// byte is always one of them; a borrow can also flag a byte above a stop,
// which is why callers only use the lowest.
//
// x^2 maps '"' (0x22) to 0x20 and keeps control characters below 0x20, so
// one "less than 0x21" test (a subtraction that borrows into the high bit)
// catches both; x^'\\' is zero at a backslash, and one subtraction of 1
// catches that. Neither XOR touches the high bit, so clearing the bytes
// that were >= 0x80 needs one &^ x for both tests.
func stops(x uint64) uint64 {
	q := x ^ (lsb * 2)
	b := x ^ backslash
	return ((q - lsb*0x21) | (b - lsb)) &^ x & msb
}

// word returns data[i:i+8] as a little-endian uint64. It uses a full slice
// expression because data[i:] makes the compiler compute the capacity of
// the rest and mask the pointer for an empty rest: in validate's string
// loops that took a register and put i through a stack store and reload on
// every 8-byte step, which cost a third of the loop.
func word(data []byte, i int) uint64 {
	return binary.LittleEndian.Uint64(data[i : i+8 : i+8])
}

// Byte sequences that are frequent in compact JSON where a string ends,
// compared at once as (the low bytes of) a little-endian load (see
// validate).
const (
	keyThenString = '"' | ':'<<8 | '"'<<16           // `":"`
	keyThenObject = '"' | ':'<<8 | '{'<<16 | '"'<<24 // `":{"`
	keyThenNu     = '"' | ':'<<8 | 'n'<<16 | 'u'<<24 // `":nu`, of `":null`
	stringThenStr = '"' | ','<<8 | '"'<<16           // `","`
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
// It is one loop with an explicit stack rather than a recursive descent: the
// records it reads are mostly short strings and small objects, where call
// overhead would cost as much as the scanning. What makes it fast, measured
// on 1-2 KB vendor records (docs/PERFORMANCE.md, "Vendor normalizers"):
//
//   - Few values live in registers across the loop: the position, the
//     depth and the container bit stack. Everything the hot paths do not
//     need (the depth limit, the overflow stack, the member callback and the
//     current top-level member) lives in a struct in memory, so the string
//     loops do not spill and reload registers on every iteration.
//   - Strings are scanned 8 bytes at a time (stops).
//   - The container stack is a shifted bit stack, bit 0 the innermost
//     container, so "am I in an object" at a comma is one AND.
//   - The byte sequences that make up most of a compact record where a
//     string ends, `":"`, `","`, `":{"` and `":null`, are each checked with
//     one load and compare, going straight to the next string (or past the
//     null) instead of through the general states. Anything else
//     (whitespace, escapes, other values, the end of the buffer) takes the
//     general path.
func validate(data []byte, i, depth int, fn MemberFunc) int {
	data = data[:len(data):len(data)] // capacity = length, so the loads check one bound (see word)
	d := 0                            // containers open inside this value
	var stk uint64                    // bit k: the container k levels out from the innermost is an object
	var st struct {                   // state the hot paths do not need in registers
		limit                      int      // how deep containers may nest inside this value
		deep                       []uint64 // stk bits shifted out by nesting deeper than 64
		fn                         MemberFunc
		keyStart, keyEnd, valStart int // the current top-level member
	}
	st.limit = MaxDepth - depth
	if fn != nil && i < len(data) && data[i] == '{' {
		st.fn = fn
	}

value: // a value starts at i (whitespace skipped)
	if i >= len(data) {
		return -1
	}
	if d == 1 {
		st.valStart = i
	}
	if data[i] == '"' {
		i++
		goto vstr
	}
	switch data[i] {
	case '{':
		if d >= st.limit {
			return -1
		}
		if d >= 64 {
			st.deep = pushDeep(st.deep, d-64, stk)
		}
		stk = stk<<1 | 1
		d++
		i++
		if i < len(data) && data[i] == '"' {
			i++
			goto kstr
		}
		i = WS(data, i)
		if i < len(data) && data[i] == '}' {
			i++
			goto pop
		}
		goto key
	case '[':
		if d >= st.limit {
			return -1
		}
		if d >= 64 {
			st.deep = pushDeep(st.deep, d-64, stk)
		}
		stk <<= 1
		d++
		i = WS(data, i+1)
		if i < len(data) && data[i] == ']' {
			i++
			goto pop
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

vstr: // inside a string value, at i
	for i+8 <= len(data) {
		if m := stops(word(data, i)); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			goto vstop
		}
		i += 8
	}
	for i < len(data) && data[i] != '"' && data[i] != '\\' && data[i] >= 0x20 {
		i++
	}
	if i >= len(data) {
		return -1
	}
vstop: // at a stop (see stops) inside a string value
	if d != 0 && i+4 <= len(data) && load32(data, i)&0xFFFFFF == stringThenStr {
		// The string closes, and a key (in an object) or another string
		// element (in an array) follows. (A top-level string, d == 0, has
		// no container to go on in: the general path rejects the comma.)
		if d == 1 && st.fn != nil {
			st.fn(Span{st.keyStart, st.keyEnd}, Span{st.valStart, i + 1})
		}
		i += 3
		if stk&1 != 0 {
			goto kstr
		}
		if d == 1 {
			st.valStart = i - 1
		}
		goto vstr
	}
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
	goto vstr

key: // a member key starts at i (whitespace skipped)
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	i++
kstr: // a key's contents start at i
	if d == 1 {
		st.keyStart = i
	}
kmore: // inside a key, at i
	for i+8 <= len(data) {
		if m := stops(word(data, i)); m != 0 {
			i += bits.TrailingZeros64(m) >> 3
			goto kstop
		}
		i += 8
	}
	for i < len(data) && data[i] != '"' && data[i] != '\\' && data[i] >= 0x20 {
		i++
	}
	if i >= len(data) {
		return -1
	}
kstop: // at a stop inside a key
	if i+4 <= len(data) {
		switch t := load32(data, i); {
		case t&0xFFFFFF == keyThenString:
			if d == 1 {
				st.keyEnd = i
				st.valStart = i + 2
			}
			i += 3
			goto vstr
		case t == keyThenNu && i+6 <= len(data) && data[i+4] == 'l' && data[i+5] == 'l':
			if d == 1 {
				st.keyEnd = i
				st.valStart = i + 2
			}
			i += 6
			goto after
		case t == keyThenObject && d < 64 && d < st.limit:
			// (Deeper, the push needs pushDeep: the general path does it.)
			if d == 1 {
				st.keyEnd = i
				st.valStart = i + 2
			}
			stk = stk<<1 | 1
			d++
			i += 4
			goto kstr
		}
	}
	if data[i] != '"' {
		if data[i] != '\\' {
			return -1
		}
		if i = escape(data, i); i < 0 {
			return -1
		}
		goto kmore
	}
	if d == 1 {
		st.keyEnd = i
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
	if d == 1 && st.fn != nil {
		st.fn(Span{st.keyStart, st.keyEnd}, Span{st.valStart, i})
	}
	if i >= len(data) || data[i] <= ' ' {
		if i = WS(data, i); i >= len(data) {
			return -1
		}
	}
	switch data[i] {
	case ',':
		i++
		if stk&1 != 0 {
			if i < len(data) && data[i] == '"' {
				i++
				goto kstr
			}
			i = WS(data, i)
			goto key
		}
		if i >= len(data) || data[i] <= ' ' {
			i = WS(data, i)
		}
		goto value
	case '}':
		if stk&1 == 0 {
			return -1
		}
	case ']':
		if stk&1 != 0 {
			return -1
		}
	default:
		return -1
	}
	i++
pop: // the innermost container closed at i
	d--
	stk >>= 1
	if d >= 64 {
		stk |= popDeep(st.deep, d-64)
	}
	goto after
}

// load32 returns data[i:i+4] as a little-endian uint32 (see word).
func load32(data []byte, i int) uint32 {
	return binary.LittleEndian.Uint32(data[i : i+4 : i+4])
}

// pushDeep saves bit 63 of stk, about to be shifted out by a container
// opening at depth 64+k, as bit k of deep.
func pushDeep(deep []uint64, k int, stk uint64) []uint64 {
	for len(deep) <= k>>6 {
		deep = append(deep, 0)
	}
	deep[k>>6] = deep[k>>6]&^(1<<(k&63)) | (stk>>63)<<(k&63)
	return deep
}

// popDeep returns bit k of deep as bit 63, to shift back into stk.
func popDeep(deep []uint64, k int) uint64 {
	return (deep[k>>6] >> (k & 63) & 1) << 63
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
		if m := stops(word(data, i)); m != 0 {
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
