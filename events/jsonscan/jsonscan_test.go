package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var validCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e-3`, `true`, `false`, `null`,
	` {"a" : [1, 2, {"b": null}], "c": "\u00e9\ud83d\ude00\n"} `,
	`{"k":"v","k":"w"}`,
	"\"\xff\xfe\"", // invalid UTF-8 is allowed in strings, as in encoding/json
	`[[[[[]]]]]`,
	`"\/\b\f\n\r\t\\\""`,
	`1E+2`,
	// The compact sequences validate takes at once (`":"`, `","`, `":{"`)
	// in every container and position, and next to the general paths.
	`{"a":{"b":{"c":"d"}},"e":["f","g"],"h":"i"}`,
	`["a","b",["c","d"],{"e":"f","g":{"h":"i"}},"j"]`,
	`{"a":{"b":"c","d":{}},"e":{"f":[]},"g":{"h":{"i":null}}}`,
	`{"#":"#","a":"#b","\"":"\"","\\":"\\"}`,
	`{"a":"b" , "c" : "d","e":"f","g":"h"}`,
	`{"0123456789abcdef":"0123456789abcdef","k":"v"}`,
	`["","",""]`, `{"":""}`, `{"":{"":""}}`,
	`{"a":null}`, `{"a":null,"b":{"c":null},"d":[null]}`,
}

var invalidCases = []string{
	``, ` `, `{`, `}`, `[`, `]`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`,
	`{a:1}`, `{"a":1}{}`, `{"a":1} x`, `01`, `-`, `1.`, `.5`, `1e`, `1e+`, `+1`,
	`tru`, `nul`, `falsey`, `"abc`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\x01b\"",
	`{"a":"b"`, `["a",`, `"\`, `NaN`, `Infinity`,
	`"a","b"`, `{"a":"b","c"}`, `{"a":{"b"}}`, `{"a":{"b":}}`, `["a","b":"c"]`,
	`{"a":{"b":"c"]}`, `["a",{"b":"c"}}`, `{"a":"b",}`, `{"a":"b","`, `{"a":"`, `{"a":{"`,
	"{\"a\":\"b\x1f\",\"c\":\"d\"}", "{\"a\x00\":{\"b\":1}}", `{"a":"b\",`,
	`{"a":nul}`, `{"a":nulx}`, `{"a":nullx}`, `{"a":nu`, `{"a":null`, `{"a":null,}`, `{"a":nuLL}`,
}

func TestValid(t *testing.T) {
	for _, c := range validCases {
		if !Valid([]byte(c)) {
			t.Errorf("Valid(%q) = false, want true", c)
		}
		if !json.Valid([]byte(c)) {
			t.Fatalf("test case %q is not valid for encoding/json", c)
		}
	}
	for _, c := range invalidCases {
		if Valid([]byte(c)) {
			t.Errorf("Valid(%q) = true, want false", c)
		}
		if json.Valid([]byte(c)) {
			t.Fatalf("test case %q is valid for encoding/json", c)
		}
	}
}

func TestValidDepth(t *testing.T) {
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if !Valid([]byte(deep)) {
		t.Errorf("nesting of MaxDepth rejected")
	}
	tooDeep := "[" + deep + "]"
	if Valid([]byte(tooDeep)) {
		t.Errorf("nesting beyond MaxDepth accepted")
	}
}

// TestValidDeepObjects nests objects through the `":{"` step and mixes
// objects and arrays beyond the 64 containers the register bit stack holds.
func TestValidDeepObjects(t *testing.T) {
	objs := func(n int) string { return strings.Repeat(`{"a":`, n) + `1` + strings.Repeat(`}`, n) }
	if !Valid([]byte(objs(MaxDepth))) {
		t.Errorf("object nesting of MaxDepth rejected")
	}
	if Valid([]byte(objs(MaxDepth + 1))) {
		t.Errorf("object nesting beyond MaxDepth accepted")
	}
	for _, n := range []int{63, 64, 65, 130, 200} {
		open := strings.Repeat(`{"a":[`, n)
		closing := strings.Repeat(`]}`, n)
		if c := open + `"x"` + closing; !Valid([]byte(c)) {
			t.Errorf("%d nested object/array pairs rejected", n)
		}
		// The same with the two innermost closers swapped, and with the
		// outermost two swapped: both must fail, found only by a bit stack
		// that survives the overflow.
		if c := open + `"x"` + `}]` + closing[2:]; Valid([]byte(c)) {
			t.Errorf("%d pairs, innermost closers swapped: accepted", n)
		}
		if c := open + `"x"` + closing[:len(closing)-2] + `}]`; Valid([]byte(c)) {
			t.Errorf("%d pairs, outermost closers swapped: accepted", n)
		}
	}
}

// TestPlainEscaped checks the 8-byte steps of Plain and Escaped against the
// byte loop, with the byte that matters at every position of short and long
// strings.
func TestPlainEscaped(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for pos := -1; pos < n; pos++ {
			for _, c := range []byte{'\\', 0x80, 0xff, '"', 'a', 0x5d, 0x5b} {
				b := bytes.Repeat([]byte{'x'}, n)
				if pos >= 0 {
					b[pos] = c
				}
				wantEsc := bytes.IndexByte(b, '\\') >= 0
				wantPlain := !wantEsc && bytes.IndexFunc(b, func(r rune) bool { return r >= 0x80 || r == 0xfffd }) < 0
				if got := Escaped(b); got != wantEsc {
					t.Errorf("Escaped(%q) = %v", b, got)
				}
				if got := Plain(b); got != wantPlain {
					t.Errorf("Plain(%q) = %v", b, got)
				}
			}
		}
	}
}

func TestObjectAndArray(t *testing.T) {
	data := []byte(` {"a": 1, "b\u0022": {"x": [1, {"y": "}"}]}, "c": "d", "e": [ ] } `)
	if !Valid(data) {
		t.Fatal("test data invalid")
	}
	start := WS(data, 0)
	m, ok := Object(data, start)
	if !ok {
		t.Fatal("Object failed")
	}
	var keys, vals []string
	for {
		k, v, ok := m.Next()
		if !ok {
			break
		}
		keys = append(keys, string(k))
		vals = append(vals, string(data[v.Start:v.End]))
	}
	wantKeys := []string{"a", `b\u0022`, "c", "e"}
	wantVals := []string{"1", `{"x": [1, {"y": "}"}]}`, `"d"`, "[ ]"}
	if strings.Join(keys, "|") != strings.Join(wantKeys, "|") || strings.Join(vals, "|") != strings.Join(wantVals, "|") {
		t.Errorf("members: keys %q vals %q", keys, vals)
	}
	if end := m.End(); end != len(data)-1 {
		t.Errorf("End() = %d, want %d", end, len(data)-1)
	}
	if !Equal([]byte(`b\u0022`), `b"`) {
		t.Errorf("Equal does not decode escapes")
	}

	x := Member(data, Span{start, len(data) - 1}, `b"`)
	arr := Member(data, x, "x")
	els, ok := Array(data, arr.Start)
	if !ok {
		t.Fatal("Array failed")
	}
	var got []string
	for {
		s, ok := els.Next()
		if !ok {
			break
		}
		got = append(got, string(data[s.Start:s.End]))
	}
	if strings.Join(got, "|") != `1|{"y": "}"}` {
		t.Errorf("elements %q", got)
	}
	empty := Member(data, Span{start, len(data) - 1}, "e")
	els, _ = Array(data, empty.Start)
	if _, ok := els.Next(); ok {
		t.Errorf("empty array has an element")
	}
}

func TestObjectValid(t *testing.T) {
	for _, c := range []string{`{"a":1,"b":[tru]}`, `{"a":1`, `{"a":1,}`, `{"a" 1}`, `{"a":"\q"}`} {
		m, _ := ObjectValid([]byte(c), 0)
		for {
			if _, _, ok := m.Next(); !ok {
				break
			}
		}
		if m.End() != -1 {
			t.Errorf("ObjectValid(%q): End() = %d, want -1", c, m.End())
		}
	}
	c := `{"a":1,"b":[true]} `
	m, _ := ObjectValid([]byte(c), 0)
	for {
		if _, _, ok := m.Next(); !ok {
			break
		}
	}
	if m.End() != len(c)-1 {
		t.Errorf("End() = %d, want %d", m.End(), len(c)-1)
	}
}

func TestAppendString(t *testing.T) {
	for _, c := range []string{
		`"plain"`, `"caf\u00e9"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`,
		"\"\xff\xc3(\"", `"a\"b\\c\/d\b\f\n\r\t"`, `"日本語"`, `""`,
	} {
		var want string
		if err := json.Unmarshal([]byte(c), &want); err != nil {
			t.Fatalf("%q: %v", c, err)
		}
		raw, ok := String([]byte(c), Span{0, len(c)})
		if !ok {
			t.Fatalf("String(%q) failed", c)
		}
		if got := string(AppendString(nil, raw)); got != want {
			t.Errorf("AppendString(%q) = %q, want %q", c, got, want)
		}
		if !Equal(raw, want) {
			t.Errorf("Equal(%q, %q) = false", raw, want)
		}
	}
}

func TestEqualFold(t *testing.T) {
	for _, c := range []struct {
		raw, lit string
		want     bool
	}{
		{"success", "success", true}, {"Success", "success", true}, {"SUCCESS", "success", true},
		{`Succes\u0073`, "success", true}, {"failure", "success", false}, {"succes", "success", false},
	} {
		if got := EqualFold([]byte(c.raw), c.lit); got != c.want {
			t.Errorf("EqualFold(%q, %q) = %v", c.raw, c.lit, got)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, c := range []string{
		"2026-03-02T09:14:07.512Z", "2019-10-18T15:30:51.0273716+00:00", "2026-03-02T17:45:00.001+01:00",
		"2026-03-02T09:14:07Z", "2026-13-02T09:14:07Z", "2026-03-02 09:14:07Z", "yesterday", "",
		"2026-03-02T24:00:00Z", "2026-03-02T09:14:60Z", "2026-03-02T09:14:07+25:00", `2026-03-02T09:14:07\u005a`,
	} {
		decoded := string(AppendString(nil, []byte(c)))
		want, err := time.Parse(time.RFC3339Nano, decoded)
		got, ok := ParseTime([]byte(c))
		if ok != (err == nil) || (ok && (!got.Equal(want) || got.Location() != time.UTC)) {
			t.Errorf("ParseTime(%q) = %v, %v; time.Parse: %v, %v", c, got, ok, want, err)
		}
	}
}

// TestParseTimeFast compares ParseTime with time.Parse on the form its fast
// path takes, over every day of 1969 to 2101 and the edges of each field.
func TestParseTimeFast(t *testing.T) {
	check := func(s string) {
		t.Helper()
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := ParseTime([]byte(s))
		if ok != (err == nil) || (ok && (!got.Equal(want) || got.Location() != time.UTC)) {
			t.Fatalf("ParseTime(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	}
	for d := time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2102; d = d.AddDate(0, 0, 1) {
		check(d.Format("2006-01-02T15:04:05Z"))
	}
	// Every year (a day in 97), with offsets either side, through the
	// negative eras of the day arithmetic.
	for d := time.Date(0, 1, 1, 0, 30, 0, 0, time.UTC); d.Year() < 10000; d = d.AddDate(0, 0, 97) {
		for _, zone := range []string{"Z", "+01:00", "-23:59", "+23:59"} {
			check(d.Format("2006-01-02T15:04:05.999999999") + zone)
		}
	}
	for _, date := range []string{"2000-02-29", "2100-02-29", "2024-02-29", "2023-02-29", "2026-04-31",
		"2026-12-31", "2026-00-10", "2026-01-00", "2026-01-32", "1970-01-01", "1969-12-31", "9999-12-31", "0000-01-01",
		"1600-02-29", "1700-02-29", "1677-09-21", "0400-03-01"} {
		for _, clock := range []string{"00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "1a:00:00", "12:00:0x"} {
			for _, frac := range []string{"", ".", ".1", ".12", ".123456789", ".1234567891", ".0000000001", ".x", ".1x"} {
				for _, zone := range []string{"Z", "z", "+00:00", "-01:30", "", "ZZ", "+24:00", "+05:60", "+0530", "-00:00"} {
					check(date + "T" + clock + frac + zone)
				}
			}
		}
	}
}

func TestNoAllocs(t *testing.T) {
	data := []byte(`{"eventType":"user.session.start","outcome":{"result":"SUCCESS"},"published":"2026-03-02T09:14:07.512Z","target":[{"id":"x"}]}`)
	allocs := testing.AllocsPerRun(100, func() {
		if !Valid(data) {
			t.Fatal("invalid")
		}
		m, _ := ObjectValid(data, 0)
		for {
			k, v, ok := m.Next()
			if !ok {
				break
			}
			if Equal(k, "published") {
				raw, _ := String(data, v)
				if _, ok := ParseTime(raw); !ok {
					t.Fatal("time")
				}
			}
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations, want 0", allocs)
	}
}

// FuzzValid checks Valid against encoding/json.Valid, and on valid input
// that navigation covers the value and strings decode as encoding/json
// decodes them.
func FuzzValid(f *testing.F) {
	for _, c := range append(validCases, invalidCases...) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, want := Valid(data), json.Valid(data)
		if got != want {
			if !want || !deeperThanMax(data) {
				t.Fatalf("Valid(%q) = %v, encoding/json says %v", data, got, want)
			}
		}
		// Navigation never panics, even on invalid input.
		start := WS(data, 0)
		end := Skip(data, start)
		if end < start || end > len(data) {
			t.Fatalf("Skip out of range: %d", end)
		}
		m, _ := ObjectValid(data, start)
		var viaMembers []Span
		for {
			_, v, ok := m.Next()
			if !ok {
				break
			}
			viaMembers = append(viaMembers, v)
		}
		var viaFunc []Span
		vmEnd := ValidMembers(data, start, func(_, v Span) { viaFunc = append(viaFunc, v) })
		if start < len(data) && data[start] == '{' && (vmEnd >= 0) != (m.End() >= 0) {
			t.Fatalf("ValidMembers end %d, ObjectValid end %d", vmEnd, m.End())
		}
		if !got {
			return
		}
		if data[start] == '{' {
			if vmEnd != end || len(viaFunc) != len(viaMembers) {
				t.Fatalf("ValidMembers: end %d (want %d), %d members (want %d)", vmEnd, end, len(viaFunc), len(viaMembers))
			}
			for i := range viaFunc {
				if viaFunc[i] != viaMembers[i] {
					t.Fatalf("member %d: %v vs %v", i, viaFunc[i], viaMembers[i])
				}
			}
		}
		if WS(data, end) != len(data) {
			t.Fatalf("Skip(%q) = %d does not cover the value", data, end)
		}
		if data[start] == '{' && m.End() != end {
			t.Fatalf("ObjectValid end %d, Skip end %d", m.End(), end)
		}
		if data[start] == '"' {
			var want string
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			raw, _ := String(data, Span{start, end})
			if s := string(AppendString(nil, raw)); s != want {
				t.Fatalf("AppendString(%q) = %q, encoding/json %q", raw, s, want)
			}
		}
	})
}

func deeperThanMax(data []byte) bool {
	return bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > MaxDepth
}

// FuzzParseTime checks ParseTime against time.Parse(time.RFC3339Nano).
func FuzzParseTime(f *testing.F) {
	for _, c := range []string{"2026-03-02T09:14:07.512Z", "2019-10-18T15:30:51.0273716+00:00", "2026-02-29T00:00:00Z", "x"} {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, "\\\"") {
			return // raw JSON string contents never hold a bare quote
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		got, ok := ParseTime([]byte(s))
		if ok != (err == nil) || (ok && !got.Equal(want)) {
			t.Fatalf("ParseTime(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
	})
}

func TestValidMembers(t *testing.T) {
	data := []byte(`{"actor":{"id":"x","type":{"deep":[1,{"k":2}]}},"eventType" : "a.b", "n":-1.5e3,"t":true,"arr":[{"x":1}],"e":{}}`)
	var got []string
	end := ValidMembers(data, 0, func(k, v Span) {
		got = append(got, string(data[k.Start:k.End])+"="+string(data[v.Start:v.End]))
	})
	want := []string{`actor={"id":"x","type":{"deep":[1,{"k":2}]}}`, `eventType="a.b"`, `n=-1.5e3`, `t=true`, `arr=[{"x":1}]`, `e={}`}
	if end != len(data) || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("ValidMembers: end %d, members\n%q\nwant\n%q", end, got, want)
	}
	for _, bad := range []string{`{"a":1,}`, `{"a":[1}`, `[1]`, `{"a" 1}`, `{"a":{"b":1]}`} {
		if end := ValidMembers([]byte(bad), 0, func(_, _ Span) {}); end != -1 {
			t.Errorf("ValidMembers(%q) = %d, want -1", bad, end)
		}
	}
}
