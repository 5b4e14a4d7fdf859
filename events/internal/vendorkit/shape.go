package vendorkit

import (
	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/jsonscan"
)

// BadJSON returns the single item of a value that is not JSON: bad_json,
// Index -1, Raw the whole value.
func BadJSON(value []byte) []events.Item {
	return []events.Item{{Index: -1, Raw: value,
		Err: events.Reject(events.ReasonBadJSON, "", "not a valid json value")}}
}

// NotObject returns the single item of a valid JSON value at
// value[start:end] that is neither an object nor an array the vendor
// accepts: bad_value, Index -1.
func NotObject(value []byte, start, end int) []events.Item {
	return []events.Item{{Index: -1, Offset: start, Raw: value[start:end],
		Err: events.Reject(events.ReasonBadValue, "", "not a json object")}}
}

// Members calls set with the raw key (as written) and the value of each
// member of the object at value[start]; nothing is decoded. With validate
// it also checks the grammar of the whole object in the same pass (for a
// buffer not validated yet). It returns the index just past the object, or
// -1 if validate found an error.
func Members(value []byte, start int, validate bool, set func(k []byte, v jsonscan.Span)) int {
	if validate {
		return jsonscan.ValidMembers(value, start, func(k, v jsonscan.Span) { set(value[k.Start:k.End], v) })
	}
	m, _ := jsonscan.Object(value, start)
	for {
		k, v, ok := m.Next()
		if !ok {
			return m.End()
		}
		set(k, v)
	}
}

// Objects calls visit with the 0-based position and the start of each
// object element of the validated array at arr, in order, skipping the
// elements that are not objects; visit returns the index just past the
// object.
func Objects(value []byte, arr jsonscan.Span, visit func(index, start int) (end int)) {
	els, _ := jsonscan.Array(value, arr.Start)
	for i := 0; ; i++ {
		start, ok := els.Begin()
		if !ok {
			return
		}
		if value[start] != '{' {
			els.Finish(jsonscan.Skip(value, start))
			continue
		}
		els.Finish(visit(i, start))
	}
}

// Elements returns one item per element of the validated array at arr,
// Index its 0-based position. An element that is not an object is rejected
// (bad_value); decode decides the outcome o of the object at value[start]
// and returns the index just past it.
func Elements(value []byte, arr jsonscan.Span, decode func(o *Outcome, start int) (end int)) []events.Item {
	var items []events.Item
	els, _ := jsonscan.Array(value, arr.Start)
	for i := 0; ; i++ {
		start, ok := els.Begin()
		if !ok {
			return items
		}
		var o Outcome
		var end int
		if value[start] != '{' {
			end = jsonscan.Skip(value, start)
			o.Reject(events.ReasonBadValue, "", "element is not a json object")
		} else {
			end = decode(&o, start)
		}
		els.Finish(end)
		if items == nil {
			items = make([]events.Item, 0, estimate(arr, end-start))
		}
		items = append(items, o.Item(value, start, end, i))
	}
}

// estimate guesses how many elements the array at arr has from the size of
// the first one, so that the items slice rarely grows.
func estimate(arr jsonscan.Span, first int) int {
	if first <= 0 {
		first = 1
	}
	return min((arr.End-arr.Start)/first+1, 4096)
}

// SetUnescaped is the slow path of a member switch, for a key k written
// with escapes ("\u0069d"): it calls set with k decoded, unless the decoded
// key still holds a backslash (no member a normalizer reads has one, and
// set would decode it a second time). Callers call it only when
// jsonscan.Escaped(k), which keeps it off their common path.
func SetUnescaped(k []byte, v jsonscan.Span, set func(k []byte, v jsonscan.Span)) {
	var kb [64]byte
	if d := jsonscan.AppendString(kb[:0], k); !jsonscan.Escaped(d) {
		set(d, v)
	}
}
