package correlator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
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
		// What version 2 writes short: hex case ids, symbols, derived
		// step ids, times after and before the first one.
		"short forms": {ID: "w3", EmailAt: time.Unix(1_800_000_000, 5).UTC(), Cases: []*caseState{{
			ID: "0123456789abcdef0123456789abcdef", Kind: events.KindLeaver, Reason: "involuntary", State: caseCompleted,
			RecordedAt: time.Unix(1_700_000_000, 0).UTC(), EffectiveAt: time.Unix(1_800_000_001, 0).UTC(),
			Steps: []*step{
				{ID: "revoke:okta:a1", Action: events.ActionRevoke, System: "okta", Target: "a1", Tier: events.TierPrivileged},
				{ID: "revoke:okta:a1#2", Action: events.ActionRevoke, System: "okta", Target: "a1"},
				{ID: "::", Action: "", System: "", Target: ""},
				{ID: "", Action: "", System: "", Target: ""},
			}}, {ID: "0123456789ABCDEF0123456789ABCDEF"}, {ID: "0123456789abcdef0123456789abcdeg"}},
			Leaver: &leaverMark{CaseID: "0123456789abcdef0123456789abcdef"}},
		// Times too far apart for a delta, and the int64 extremes.
		"far times": {ID: "w4", EmailAt: time.Unix(1<<61, 0).UTC(), DeptAt: time.Unix(-(1 << 62), 5).UTC(),
			RetainAt: time.Unix(1_700_000_000, 0).UTC(),
			Leaver:   &leaverMark{EffectiveAt: time.Unix(math.MaxInt64, 999_999_999).UTC()}},
		"far after near": {ID: "w5", EmailAt: time.Unix(1_700_000_000, 0).UTC(), DeptAt: time.Unix(-(1 << 62), 5).UTC(),
			RetainAt: time.Unix(math.MinInt64, 0).UTC()},
	} {
		t.Run(name, func(t *testing.T) {
			b := encodeWorker(nil, w)
			var got worker
			if err := decodeWorker(b, w.ID, &got); err != nil {
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
		{workerCodecV1, 0x7f},                     // string past the end
		{workerCodecV2, 0x7e},                     // string past the end
		{workerCodecV2, strHex, 1, 2, 3},          // hex id past the end
		{workerCodecV2, byte(2*len(symbols) + 5)}, // unknown symbol
		{workerCodecV2, 0, 0x02 + 1, 0},           // nanoseconds flagged, and 0
		{workerCodecV2, 0, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, // time out of range
	} {
		var w worker
		if err := decodeWorker(bad, "w", &w); !errors.Is(err, errCorrupt) {
			t.Errorf("decodeWorker(%x) = %v, want errCorrupt", bad, err)
		}
	}
}

// workerV1 is a version 1 value, as session 4's build wrote it for a worker
// of the replay benchmark after its leaver and the disable that completed it.
const workerV1 = "\x01\bw0000001\x14w0000001@example.com\x01\x80䭕\r\x00\vEngineering\x01\x80䭕\r\x00\x01\x01 0efbd11f4394df0d7206bf406e7b18ac\x06leaver\tvoluntary\x01\x80\x98\xea\x97\r\x00\x01\x80\x98\xea\x97\r\x00\tcompleted\x01\xbc\x98\xea\x97\r\x00\x01\xbc\x98\xea\x97\r\x00\x01\x16revoke:okta:okw0000001\x06revoke\x04okta\nokw0000001\bstandard\x01\x80\xde\xf4\x97\r\x00\x01\x80\xbb\xef\x97\r\x00\x01\xbc\x98\xea\x97\r\x00\x01\x01\x04okta\nokw0000001\x00\x00\x01\x80䭕\r\x00\x01\xbc\x98\xea\x97\r\x00\x01\xbc\x98\xea\x97\r\x00\x01\x80䭕\r\x00\x00\x00\x00\x00\x00\x01 0efbd11f4394df0d7206bf406e7b18ac\x01\x80\x98\xea\x97\r\x00"

// TestWorkerCodecV1: a version 1 value still decodes, and re-encodes as
// version 2 to the same worker, about 40% smaller.
func TestWorkerCodecV1(t *testing.T) {
	var w worker
	if err := decodeWorker([]byte(workerV1), "w0000001", &w); err != nil {
		t.Fatal(err)
	}
	leave := time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	if w.ID != "w0000001" || w.Email != "w0000001@example.com" || len(w.Cases) != 1 || len(w.Accounts) != 1 ||
		w.Cases[0].ID != "0efbd11f4394df0d7206bf406e7b18ac" || w.Cases[0].State != caseCompleted ||
		!w.Cases[0].EffectiveAt.Equal(leave) || len(w.Cases[0].Steps) != 1 ||
		w.Cases[0].Steps[0].ID != "revoke:okta:okw0000001" || !w.Cases[0].Steps[0].Done ||
		w.Leaver == nil || w.Leaver.CaseID != w.Cases[0].ID {
		j, _ := json.Marshal(&w)
		t.Fatalf("decoded version 1 value: %s", j)
	}
	v2 := encodeWorker(nil, &w)
	if v2[0] != workerCodecV2 || len(v2) > len(workerV1)*2/3 {
		t.Errorf("version 2: %d bytes (version %d), want at most %d", len(v2), v2[0], len(workerV1)*2/3)
	}
	var again worker
	if err := decodeWorker(v2, w.ID, &again); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&again, &w) {
		t.Fatal("version 2 round trip differs")
	}
	t.Logf("version 1: %d bytes, version 2: %d", len(workerV1), len(v2))
}

func FuzzWorkerCodec(f *testing.F) {
	var full worker
	seed := 0
	fill(reflect.ValueOf(&full).Elem(), &seed)
	f.Add(encodeWorker(nil, &full))
	f.Add(encodeWorker(nil, &worker{ID: "w"}))
	f.Add([]byte{workerCodecV1})
	f.Add([]byte(workerV1))
	f.Fuzz(func(t *testing.T, b []byte) {
		var w worker
		if err := decodeWorker(b, "w", &w); err != nil {
			return
		}
		// What decodes re-encodes to the same bytes, except that a
		// non-canonical varint or flags byte may be written shorter.
		again := encodeWorker(nil, &w)
		var w2 worker
		if err := decodeWorker(again, w.ID, &w2); err != nil {
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
			if err := decodeWorker(buf, w.ID, &got); err != nil {
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
