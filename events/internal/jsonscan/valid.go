package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// MaxDepth bounds the nesting of arrays and objects Valid accepts, so that a
// hostile record (megabytes of '[') cannot exhaust the stack. It is the
// limit encoding/json uses.
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

// validValue validates the value starting at data[i] (not whitespace) and
// returns the index just past it, or -1.
func validValue(data []byte, i, depth int) int {
	if i >= len(data) {
		return -1
	}
	switch c := data[i]; c {
	case '"':
		return validString(data, i+1)
	case '{':
		return validObject(data, i+1, depth+1)
	case '[':
		return validArray(data, i+1, depth+1)
	case 't':
		return literal(data, i, "true")
	case 'f':
		return literal(data, i, "false")
	case 'n':
		return literal(data, i, "null")
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			return validNumber(data, i)
		}
		return -1
	}
}

func literal(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// validObject validates an object whose '{' ends at i.
func validObject(data []byte, i, depth int) int {
	if depth > MaxDepth {
		return -1
	}
	i = WS(data, i)
	if i < len(data) && data[i] == '}' {
		return i + 1
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return -1
		}
		i = validString(data, i+1)
		if i < 0 {
			return -1
		}
		i = WS(data, i)
		if i >= len(data) || data[i] != ':' {
			return -1
		}
		i = WS(data, i+1)
		i = validValue(data, i, depth)
		if i < 0 {
			return -1
		}
		i = WS(data, i)
		if i >= len(data) {
			return -1
		}
		switch data[i] {
		case ',':
			i = WS(data, i+1)
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// validArray validates an array whose '[' ends at i.
func validArray(data []byte, i, depth int) int {
	if depth > MaxDepth {
		return -1
	}
	i = WS(data, i)
	if i < len(data) && data[i] == ']' {
		return i + 1
	}
	for {
		i = validValue(data, i, depth)
		if i < 0 {
			return -1
		}
		i = WS(data, i)
		if i >= len(data) {
			return -1
		}
		switch data[i] {
		case ',':
			i = WS(data, i+1)
		case ']':
			return i + 1
		default:
			return -1
		}
	}
}

// validNumber validates -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// starting at i.
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

// SWAR constants: the byte-parallel tests below look at 8 bytes at a time.
const (
	lsb       = 0x0101010101010101
	msb       = 0x8080808080808080
	quotes    = lsb * '"'
	backslash = lsb * '\\'
	controls  = lsb * 0x20
)

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
			if i+1 >= len(data) {
				return -1
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(data)-i < 6 || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) || !isHex(data[i+5]) {
					return -1
				}
				i += 6
			default:
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
