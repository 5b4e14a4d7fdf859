package jsonscan

// Member returns the value of the named member of the object at obj (the
// last one if the key repeats, as encoding/json does), or an absent Span.
// data must have passed Valid.
func Member(data []byte, obj Span, name string) Span {
	var found Span
	m, _ := Object(data, obj.Start)
	for {
		k, v, ok := m.Next()
		if !ok {
			return found
		}
		if string(k) == name || (Escaped(k) && Equal(k, name)) {
			found = v
		}
	}
}

// Null reports whether the value at s is absent or JSON null, which the
// normalizers treat alike.
func Null(data []byte, s Span) bool {
	k := Kind(data, s)
	return k == 0 || k == 'n'
}

// Ref is the place of one string in a buffer that a decoder fills with all
// the strings of one event and then converts to a string in a single
// allocation (see Add and Ref.Of). The zero Ref is the empty string.
type Ref struct {
	off, end int
}

// Add appends the decoded raw JSON string contents to buf and returns the
// grown buffer and the string's Ref.
func Add(buf, raw []byte) ([]byte, Ref) {
	off := len(buf)
	buf = AppendString(buf, raw)
	return buf, Ref{off, len(buf)}
}

// Added returns the Ref of what was appended to buf since its length was
// off.
func Added(buf []byte, off int) Ref {
	return Ref{off, len(buf)}
}

// Of returns the string r names in all, the converted buffer.
func (r Ref) Of(all string) string {
	if r.end <= r.off || r.end > len(all) {
		return ""
	}
	return all[r.off:r.end]
}
