package jsonscan

// Skip returns the index just past the value that starts at data[i] (i must
// not point at whitespace). data must have passed Valid; on other input the
// result is some index in [i, len(data)].
func Skip(data []byte, i int) int {
	if i >= len(data) {
		return len(data)
	}
	switch data[i] {
	case '"':
		return skipString(data, i+1)
	case '{', '[':
		// The validator is the fastest way over a container: it is one tight
		// loop, and on valid input it fails nowhere.
		if end := validValue(data, i, 0); end > i {
			return end
		}
	}
	return skipRough(data, i)
}

// skipRough is Skip for invalid input: it finds a plausible end without
// checking the grammar.
func skipRough(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i+1)
	case '{', '[':
		return skipContainer(data, i+1)
	default: // number or literal: runs to the next delimiter
		for i < len(data) {
			switch data[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}

// skipString returns the index just past the closing quote of a string whose
// opening quote ends at i.
func skipString(data []byte, i int) int {
	for {
		i = special(data, i)
		if i >= len(data) {
			return len(data)
		}
		switch data[i] {
		case '"':
			return i + 1
		case '\\':
			i += 2
		default:
			i++
		}
	}
}

// skipContainer returns the index just past the '}' or ']' that closes the
// object or array whose opening bracket ends at i.
func skipContainer(data []byte, i int) int {
	depth := 1
	for i < len(data) {
		switch data[i] {
		case '"':
			i = skipString(data, i+1)
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
		i++
	}
	return len(data)
}

// Span is the position of one value in a buffer: data[Start:End]. The zero
// Span (End == 0) means "absent": no value starts at byte 0 of a record
// except the record itself, which is never a member.
type Span struct {
	Start, End int
}

// Present reports whether s holds a value.
func (s Span) Present() bool { return s.End > s.Start }

// Members iterates over the members of an object. Create it with Object or
// ObjectValid.
type Members struct {
	data     []byte
	i        int
	first    bool
	done     bool
	validate bool
	end      int // after the last member: just past the '}', or -1
}

// Object returns an iterator over the members of the object that starts at
// data[i], and false if no object starts there. data must have passed Valid.
func Object(data []byte, i int) (Members, bool) {
	if i >= len(data) || data[i] != '{' {
		return Members{done: true, end: -1}, false
	}
	return Members{data: data, i: i + 1, first: true}, true
}

// ObjectValid is Object for a buffer that has not been validated: the
// iterator checks the grammar of every key and value it passes, stops at the
// first error, and End then reports -1. Iterating to the end validates the
// whole object in one pass.
func ObjectValid(data []byte, i int) (Members, bool) {
	m, ok := Object(data, i)
	m.validate = true
	return m, ok
}

// End returns, once Next has returned false, the index just past the
// object's closing '}', or -1 if the object is malformed (ObjectValid) or the
// iteration has not finished.
func (m *Members) End() int {
	if !m.done {
		return -1
	}
	return m.end
}

// Next returns the next member: its key exactly as written between the
// quotes (escapes not decoded; see Equal) and its value's Span. ok is false
// after the last member.
func (m *Members) Next() (key []byte, val Span, ok bool) {
	if m.done {
		return nil, Span{}, false
	}
	d := m.data
	i := WS(d, m.i)
	if m.first {
		m.first = false
		if i < len(d) && d[i] == '}' {
			return m.stop(i + 1)
		}
	} else {
		if i < len(d) && d[i] == '}' {
			return m.stop(i + 1)
		}
		if i >= len(d) || d[i] != ',' {
			return m.stop(-1)
		}
		i = WS(d, i+1)
	}
	if i >= len(d) || d[i] != '"' {
		return m.stop(-1)
	}
	var kEnd int
	if m.validate {
		kEnd = validString(d, i+1)
	} else {
		kEnd = skipString(d, i+1)
	}
	if kEnd < i+2 {
		return m.stop(-1)
	}
	key = d[i+1 : kEnd-1]
	i = WS(d, kEnd)
	if i >= len(d) || d[i] != ':' {
		return m.stop(-1)
	}
	vStart := WS(d, i+1)
	var vEnd int
	if m.validate {
		vEnd = validValue(d, vStart, 1)
	} else {
		vEnd = Skip(d, vStart)
	}
	if vEnd <= vStart {
		return m.stop(-1)
	}
	m.i = vEnd
	return key, Span{vStart, vEnd}, true
}

func (m *Members) stop(end int) ([]byte, Span, bool) {
	m.done = true
	m.end = end
	return nil, Span{}, false
}

// Elements iterates over the elements of an array. Create it with Array.
type Elements struct {
	data  []byte
	i     int
	first bool
	done  bool
}

// Array returns an iterator over the elements of the array that starts at
// data[i], and false if no array starts there. data must have passed Valid.
func Array(data []byte, i int) (Elements, bool) {
	if i >= len(data) || data[i] != '[' {
		return Elements{done: true}, false
	}
	return Elements{data: data, i: i + 1, first: true}, true
}

// Next returns the Span of the next element; ok is false after the last.
func (e *Elements) Next() (val Span, ok bool) {
	start, ok := e.Begin()
	if !ok {
		return Span{}, false
	}
	end := Skip(e.data, start)
	e.Finish(end)
	return Span{start, end}, true
}

// Begin returns where the next element starts, without reading it; ok is
// false after the last. The caller reads the element (an object with
// Object, say) and must then call Finish with its end, so that an element is
// read once rather than skipped and then read.
func (e *Elements) Begin() (start int, ok bool) {
	if e.done {
		return 0, false
	}
	d := e.data
	i := WS(d, e.i)
	if e.first {
		e.first = false
		if i >= len(d) || d[i] == ']' {
			e.done = true
			return 0, false
		}
	} else {
		if i >= len(d) || d[i] != ',' {
			e.done = true
			return 0, false
		}
		i = WS(d, i+1)
	}
	if i >= len(d) {
		e.done = true
		return 0, false
	}
	return i, true
}

// Finish records where the element Begin returned ends. An end that does
// not move forward (a malformed element) ends the iteration.
func (e *Elements) Finish(end int) {
	if end <= e.i || end > len(e.data) {
		e.done = true
		return
	}
	e.i = end
}

// Kind returns the first byte of the value at s: '{', '[', '"', 't', 'f',
// 'n', or a digit or '-' for a number; 0 when s is absent.
func Kind(data []byte, s Span) byte {
	if !s.Present() || s.Start >= len(data) {
		return 0
	}
	return data[s.Start]
}
