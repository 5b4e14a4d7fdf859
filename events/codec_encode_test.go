package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// sampleOutputs covers every output type, with times in other zones (they
// must come out in UTC), strings that need escaping and awkward numbers.
func sampleOutputs() []Output {
	paris := time.FixedZone("CET", 3600)
	eff := time.Date(2026, 5, 29, 22, 0, 0, 0, time.UTC)
	deadline := time.Date(2026, 5, 30, 0, 0, 0, 0, paris) // 23:00Z
	step := StepInfo{StepID: "revoke:okta:00u1", System: "okta", Action: ActionRevoke, Target: "00u1", Tier: TierStandard, Deadline: deadline}
	return []Output{
		{ID: "o-1", Type: TypeCaseOpened, Time: time.Date(2026, 5, 29, 19, 45, 12, 0, paris), Subject: "W100",
			Data: &CaseOpenedData{CaseID: "c1", WorkerID: "W100", Kind: KindLeaver, EffectiveAt: eff,
				RecordedAt: time.Date(2026, 5, 29, 17, 45, 12, 0, time.UTC),
				Steps:      []StepInfo{step, {StepID: "revoke:aws-prod:*", System: "aws-prod", Action: ActionRevoke, Target: "*", Tier: TierPrivileged, Deadline: eff.Add(4 * time.Hour)}}}},
		{ID: "o-2", Type: TypeCaseOpened, Time: eff, Subject: "W101",
			Data: CaseOpenedData{CaseID: "c2", WorkerID: "W101", Kind: KindJoiner, EffectiveAt: eff, RecordedAt: eff}},
		{ID: "o-3", Type: TypeStepAdded, Time: eff.Add(time.Hour), Subject: "W100",
			Data: &StepAddedData{CaseID: "c1", WorkerID: "W100", Kind: KindLeaver, EffectiveAt: eff,
				StepInfo: StepInfo{StepID: "revoke:okta:00u2#2", System: "okta", Action: ActionRevoke, Target: "00u2", Tier: TierStandard, Deadline: deadline}}},
		{ID: "o-4", Type: TypeStepCompleted, Time: eff.Add(90 * time.Minute), Subject: "W100",
			Data: &StepCompletedData{CaseID: "c1", StepID: "revoke:okta:00u1", WorkerID: "W100", Kind: KindLeaver, System: "okta",
				Action: ActionRevoke, Target: "00u1", Tier: TierStandard, EffectiveAt: eff, CompletedAt: eff.Add(90*time.Minute + 500*time.Millisecond),
				LatencySeconds: 5400.5, Deadline: deadline, WithinSLA: true}},
		{ID: "o-5", Type: TypeStepCompleted, Time: eff.Add(-time.Hour), Subject: "W100",
			Data: StepCompletedData{CaseID: "c1", StepID: "revoke:aws-prod:*", WorkerID: "W100", Kind: KindLeaver, System: "aws-prod",
				Action: ActionRevoke, Target: "*", Tier: TierPrivileged, EffectiveAt: eff, CompletedAt: eff.Add(-time.Hour),
				LatencySeconds: -3600, Deadline: eff.Add(4 * time.Hour), WithinSLA: true, BreachedBefore: false}},
		{ID: "o-6", Type: TypeCaseCompleted, Time: eff.Add(90 * time.Minute), Subject: "W100",
			Data: &CaseCompletedData{CaseID: "c1", WorkerID: "W100", Kind: KindLeaver, EffectiveAt: eff, CompletedAt: eff.Add(90 * time.Minute),
				LatencySeconds: 1e-7, WithinSLA: false, Steps: 2, BreachedSteps: 1}},
		{ID: "o-7", Type: TypeCaseCancelled, Time: eff, Subject: "W101",
			Data: &CaseCancelledData{CaseID: "c2", WorkerID: "W101", Kind: KindJoiner, Reason: CancelSuperseded}},
		{ID: "o-8", Type: TypeSLAWarning, Time: deadline.Add(-12 * time.Hour), Subject: "W100",
			Data: &SLAData{CaseID: "c1", StepID: "revoke:okta:00u1", WorkerID: "W100", Kind: KindLeaver, System: "okta",
				Action: ActionRevoke, Target: "00u1", Tier: TierStandard, EffectiveAt: eff, Deadline: deadline}},
		{ID: "o-9", Type: TypeSLABreached, Time: deadline, Subject: "W100",
			Data: &SLAData{CaseID: "c1", StepID: "nhi:aws-prod:svc-<reporting>&co", WorkerID: "W100", Kind: KindLeaver, System: "aws-prod",
				Action: ActionNHI, Target: "svc-<reporting>&co", Tier: TierPrivileged, EffectiveAt: eff, Deadline: deadline}},
		{ID: "o-10", Type: TypeOrphanDetected, Time: eff.Add(48 * time.Hour), Subject: "W100",
			Data: &OrphanDetectedData{CaseID: "c1", WorkerID: "W100", Kind: KindLeaver, System: "salesforce", AccountID: "005\"x\"\n", LeftAt: eff}},
		{ID: "o-11", Type: TypeAccountUnowned, Time: eff.Add(168 * time.Hour), Subject: "salesforce/005zzz",
			Data: &AccountUnownedData{System: "salesforce", AccountID: "005zzz", Login: "zoë@example.com\u2028", FirstSeen: eff}},
		{ID: "o-12", Type: TypeAccountUnowned, Time: eff.Add(168 * time.Hour), Subject: "okta/00u9",
			Data: AccountUnownedData{System: "okta", AccountID: "00u9", FirstSeen: eff.In(paris)}},
	}
}

func TestEncodeStructuredGolden(t *testing.T) {
	var got bytes.Buffer
	for _, o := range sampleOutputs() {
		b, err := EncodeStructured(o)
		if err != nil {
			t.Fatalf("EncodeStructured(%s): %v", o.ID, err)
		}
		if !json.Valid(b) || bytes.ContainsAny(b, "\n") {
			t.Fatalf("EncodeStructured(%s) = %s: not one line of valid json", o.ID, b)
		}
		again, _ := EncodeStructured(o)
		if !bytes.Equal(b, again) {
			t.Fatalf("EncodeStructured(%s) is not deterministic", o.ID)
		}
		got.Write(b)
		got.WriteByte('\n')
	}
	const golden = "testdata/outputs.golden.jsonl"
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("EncodeStructured output differs from %s (run with -update and review the diff):\n%s", golden, got.Bytes())
	}
	if bytes.Contains(want, []byte("+01:00")) || bytes.Contains(want, []byte("+00:00")) {
		t.Errorf("golden output has a non-UTC timestamp")
	}
}

// stdlibEnvelope is the envelope EncodeStructured promises, in its order.
type stdlibEnvelope struct {
	SpecVersion     string `json:"specversion"`
	ID              string `json:"id"`
	Source          string `json:"source"`
	Type            string `json:"type"`
	Subject         string `json:"subject"`
	Time            string `json:"time"`
	DataContentType string `json:"datacontenttype"`
	PartitionKey    string `json:"partitionkey"`
	Data            any    `json:"data"`
}

// asPointer returns a pointer to a copy of an output's data.
func asPointer(data any) any {
	v := reflect.ValueOf(data)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Interface()
}

// TestEncodeStructuredMatchesEncodingJSON checks the hand-written encoder
// against encoding/json on the same structs (times put in UTC first), so
// field names, order and escaping cannot drift from the struct tags.
func TestEncodeStructuredMatchesEncodingJSON(t *testing.T) {
	for _, o := range sampleOutputs() {
		data := asPointer(o.Data)
		utcTimes(data)
		if d, ok := data.(*CaseOpenedData); ok && d.Steps == nil {
			d.Steps = []StepInfo{} // we write [] where encoding/json writes null
		}
		want, err := json.Marshal(stdlibEnvelope{SpecVersion: "1.0", ID: o.ID, Source: "jmlwatch", Type: o.Type, Subject: o.Subject,
			Time: o.Time.UTC().Format(time.RFC3339Nano), DataContentType: "application/json", PartitionKey: o.Subject, Data: data})
		if err != nil {
			t.Fatal(err)
		}
		got, err := EncodeStructured(o)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("EncodeStructured(%s)\n got %s\nwant %s", o.ID, got, want)
		}
	}
}

func TestDecodeOutputRoundTrip(t *testing.T) {
	for _, o := range sampleOutputs() {
		want := asPointer(o.Data)
		utcTimes(want)
		if d, ok := want.(*CaseOpenedData); ok && d.Steps == nil {
			d.Steps = []StepInfo{}
		}
		b, err := EncodeStructured(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeOutput(b)
		if err != nil {
			t.Fatalf("DecodeOutput(%s): %v", b, err)
		}
		if got.ID != o.ID || got.Type != o.Type || got.Subject != o.Subject || !got.Time.Equal(o.Time) || got.Time.Location() != time.UTC {
			t.Errorf("DecodeOutput(%s) envelope = %+v", b, got)
		}
		if !reflect.DeepEqual(got.Data, want) {
			t.Errorf("DecodeOutput(%s) data = %+v, want %+v", b, got.Data, want)
		}

		headers, value, err := EncodeBinary(o)
		if err != nil {
			t.Fatal(err)
		}
		bin, err := DecodeOutputBinary(headers, value)
		if err != nil {
			t.Fatalf("DecodeOutputBinary: %v", err)
		}
		if !reflect.DeepEqual(bin, got) {
			t.Errorf("binary round trip = %+v, structured = %+v", bin, got)
		}
	}
}

func TestEncodeBinary(t *testing.T) {
	o := sampleOutputs()[3]
	headers, value, err := EncodeBinary(o)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	vals := map[string]string{}
	for _, h := range headers {
		keys = append(keys, h.Key)
		vals[h.Key] = string(h.Value)
	}
	wantKeys := []string{"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_partitionkey", "content-type"}
	if !reflect.DeepEqual(keys, wantKeys) {
		t.Errorf("header keys = %v, want %v", keys, wantKeys)
	}
	wantVals := map[string]string{"ce_specversion": "1.0", "ce_id": "o-4", "ce_source": "jmlwatch", "ce_type": TypeStepCompleted,
		"ce_subject": "W100", "ce_time": "2026-05-29T23:30:00Z", "ce_partitionkey": "W100", "content-type": "application/json"}
	if !reflect.DeepEqual(vals, wantVals) {
		t.Errorf("headers = %v, want %v", vals, wantVals)
	}
	structured, _ := EncodeStructured(o)
	if !bytes.HasSuffix(structured, append(append([]byte(`"data":`), value...), '}')) {
		t.Errorf("binary value %s is not the structured data of %s", value, structured)
	}
}

func TestEncodeErrors(t *testing.T) {
	ok := sampleOutputs()[6]
	tests := []struct {
		name string
		o    Output
	}{
		{"empty id", Output{Type: ok.Type, Subject: ok.Subject, Data: ok.Data}},
		{"empty type", Output{ID: "x", Subject: ok.Subject, Data: ok.Data}},
		{"empty subject", Output{ID: "x", Type: ok.Type, Data: ok.Data}},
		{"unknown type", Output{ID: "x", Type: "io.jmlwatch.nope", Subject: "s", Data: ok.Data}},
		{"data of another type", Output{ID: "x", Type: TypeCaseOpened, Subject: "s", Data: ok.Data}},
		{"nil data", Output{ID: "x", Type: TypeCaseCancelled, Subject: "s"}},
		{"nil pointer", Output{ID: "x", Type: TypeCaseCancelled, Subject: "s", Data: (*CaseCancelledData)(nil)}},
		{"foreign data", Output{ID: "x", Type: TypeCaseCancelled, Subject: "s", Data: map[string]string{"case_id": "c"}}},
		{"NaN latency", Output{ID: "x", Type: TypeCaseCompleted, Subject: "s", Data: &CaseCompletedData{LatencySeconds: math.NaN()}}},
		{"infinite latency", Output{ID: "x", Type: TypeStepCompleted, Subject: "s", Data: &StepCompletedData{LatencySeconds: math.Inf(1)}}},
	}
	for _, tc := range tests {
		if b, err := EncodeStructured(tc.o); err == nil {
			t.Errorf("%s: EncodeStructured = %s, want an error", tc.name, b)
		}
		if _, _, err := EncodeBinary(tc.o); err == nil {
			t.Errorf("%s: EncodeBinary succeeded, want an error", tc.name)
		}
	}
	_, err := EncodeStructured(Output{ID: "x", Type: TypeCaseOpened, Subject: "s", Data: ok.Data})
	if !errors.Is(err, errDataType) {
		t.Errorf("mismatched data: error %v does not wrap errDataType", err)
	}
}

func TestDecodeOutputErrors(t *testing.T) {
	good, err := EncodeStructured(sampleOutputs()[6])
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]string{
		"bad json":     `{"specversion":`,
		"specversion":  strings.Replace(string(good), `"1.0"`, `"0.3"`, 1),
		"unknown type": strings.Replace(string(good), TypeCaseCancelled, TypeHRLeaver, 1),
		"bad time":     strings.Replace(string(good), `"time":"2026-05-29T22:00:00Z"`, `"time":"yesterday"`, 1),
		"bad data":     strings.Replace(string(good), `"case_id":"c2"`, `"case_id":2`, 1),
		"no data":      strings.Replace(string(good), `"data":`, `"x":`, 1),
		"empty id":     strings.Replace(string(good), `"id":"o-7"`, `"id":""`, 1),
	} {
		if v == string(good) {
			t.Fatalf("%s: replacement did not apply", name)
		}
		if o, err := DecodeOutput([]byte(v)); err == nil {
			t.Errorf("%s: DecodeOutput(%s) = %+v, want an error", name, v, o)
		}
	}
	if OutputDataFor(TypeHRJoiner) != nil {
		t.Error("OutputDataFor(an input type) is not nil")
	}
}

func TestAppendFloatMatchesEncodingJSON(t *testing.T) {
	for _, f := range []float64{0, -0.0, 1, -1, 0.5, 1e-6, 9.99e-7, 1e20, 1e21, 123456789.123, -3600, 1e-9, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, _ := json.Marshal(f)
		got, err := appendFloat(nil, f)
		if err != nil || string(got) != string(want) {
			t.Errorf("appendFloat(%v) = %s, %v; want %s", f, got, err, want)
		}
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `"quoted" \ back`, "<a href='x'>&amp;</a>", "\x00\x01\x1f\t\n\r\b\f", "é😀", "\u2028\u2029",
		"bad \xff utf8 \xc3", "\x7f"} {
		want, _ := json.Marshal(s)
		if got := appendString(nil, s); string(got) != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}
