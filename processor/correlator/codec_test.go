package correlator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// fill sets every field reachable from v (a pointer) to a non-zero value
// derived from seed, so that a field the codec forgets fails the round trip.
func fill(v reflect.Value, seed *int) {
	*seed++
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), seed)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			// Both sides of the Unix epoch, and a date outside
			// UnixNano's range (1653 and on), within JSON's years.
			sec := int64(*seed)*86_400*400 - 1e10
			v.Set(reflect.ValueOf(time.Unix(sec, int64(*seed)*7).UTC()))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i), seed)
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), seed)
		}
		v.Set(s)
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d\x00\x01é", *seed))
	case reflect.Bool:
		v.SetBool(true)
	default:
		panic("fill: unhandled kind " + v.Kind().String())
	}
}

func TestWorkerCodecRoundTrip(t *testing.T) {
	var full worker
	seed := 0
	fill(reflect.ValueOf(&full).Elem(), &seed)
	for name, w := range map[string]*worker{
		"empty":    {},
		"id only":  {ID: "w1"},
		"all set":  &full,
		"one case": {ID: "w2", Cases: []*caseState{{ID: "c", Kind: "leaver", State: caseOpen, Steps: []*step{{ID: "s", Done: true}}}}},
	} {
		t.Run(name, func(t *testing.T) {
			b := encodeWorker(nil, w)
			var got worker
			if err := decodeWorker(b, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(&got, w) {
				gj, _ := json.Marshal(&got)
				wj, _ := json.Marshal(w)
				t.Fatalf("round trip differs:\n got %s\nwant %s", gj, wj)
			}
			if again := encodeWorker(nil, &got); !bytes.Equal(again, b) {
				t.Fatal("re-encoding differs")
			}
		})
	}
}

func TestWorkerCodecRejectsCorrupt(t *testing.T) {
	var full worker
	seed := 0
	fill(reflect.ValueOf(&full).Elem(), &seed)
	b := encodeWorker(nil, &full)
	for _, bad := range [][]byte{
		nil,
		{9},                       // unknown version
		b[:len(b)-1],              // truncated
		append(bytes.Clone(b), 0), // trailing byte
		{workerCodecV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // varint overflow
		{workerCodecV1, 0x7f}, // string past the end
	} {
		var w worker
		if err := decodeWorker(bad, &w); !errors.Is(err, errCorrupt) {
			t.Errorf("decodeWorker(%x) = %v, want errCorrupt", bad, err)
		}
	}
}

func FuzzWorkerCodec(f *testing.F) {
	var full worker
	seed := 0
	fill(reflect.ValueOf(&full).Elem(), &seed)
	f.Add(encodeWorker(nil, &full))
	f.Add(encodeWorker(nil, &worker{ID: "w"}))
	f.Add([]byte{workerCodecV1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var w worker
		if err := decodeWorker(b, &w); err != nil {
			return
		}
		// What decodes re-encodes to the same bytes, except that a
		// non-canonical varint or flags byte may be written shorter.
		again := encodeWorker(nil, &w)
		var w2 worker
		if err := decodeWorker(again, &w2); err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if !reflect.DeepEqual(&w, &w2) {
			t.Fatal("decode(encode(decode(b))) differs from decode(b)")
		}
	})
}

func BenchmarkWorkerCodec(b *testing.B) {
	w := &worker{ID: "w0000001", Email: "w0000001@example.com", EmailAt: time.Now().UTC(), Department: "Engineering"}
	w.Accounts = []*account{{System: "okta", ID: "okw0000001", Active: true, ActiveAt: time.Now().UTC(), StateAt: time.Now().UTC()}}
	w.Cases = []*caseState{{ID: "0123456789abcdef0123456789abcdef", Kind: "leaver", State: caseOpen, RecordedAt: time.Now().UTC(), EffectiveAt: time.Now().UTC(),
		Steps: []*step{{ID: "revoke:okta:okw0000001", Action: "revoke", System: "okta", Target: "okw0000001", Tier: "standard", Deadline: time.Now().UTC(), WarnAt: time.Now().UTC()}}}}
	b.Run("binary", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = encodeWorker(buf[:0], w)
			var got worker
			if err := decodeWorker(buf, &got); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(buf)), "bytes")
	})
	b.Run("json", func(b *testing.B) {
		var n int
		for b.Loop() {
			buf, _ := json.Marshal(w)
			n = len(buf)
			var got worker
			if err := json.Unmarshal(buf, &got); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n), "bytes")
	})
}
