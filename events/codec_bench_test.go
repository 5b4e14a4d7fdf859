package events

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// benchStructured is a realistic structured HR leaver of 607 bytes:
// the attributes a Workday or SuccessFactors bridge sends, tracing and
// schema extensions, and a data object with fields jmlwatch ignores.
var benchStructured = []byte(`{"specversion":"1.0","id":"8f6b2c1e-5d3a-4c2b-9e7f-1a2b3c4d5e6f","source":"/hr/workday/tenant-acme",` +
	`"type":"io.jmlwatch.hr.leaver","subject":"W0012345","time":"2026-05-29T17:45:12.123456Z",` +
	`"datacontenttype":"application/json","dataschema":"https://schemas.example.com/hr/leaver/v1.json",` +
	`"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",` +
	`"data":{"worker_id":"W0012345","email":"ana.silva@example.com","worker_type":"employee",` +
	`"effective_at":"2026-05-29","department":"Engineering","title":"Senior Software Engineer",` +
	`"manager_id":"W0000777","reason":"voluntary","cost_center":"CC-4410"}}`)

// benchBinaryHeaders and benchBinaryValue are the same event in the Kafka
// binary mode (headers and value together 565 bytes).
var benchBinaryHeaders = []Header{
	{Key: "ce_specversion", Value: []byte("1.0")},
	{Key: "ce_id", Value: []byte("8f6b2c1e-5d3a-4c2b-9e7f-1a2b3c4d5e6f")},
	{Key: "ce_source", Value: []byte("/hr/workday/tenant-acme")},
	{Key: "ce_type", Value: []byte("io.jmlwatch.hr.leaver")},
	{Key: "ce_subject", Value: []byte("W0012345")},
	{Key: "ce_time", Value: []byte("2026-05-29T17:45:12.123456Z")},
	{Key: "ce_dataschema", Value: []byte("https://schemas.example.com/hr/leaver/v1.json")},
	{Key: "ce_traceparent", Value: []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")},
	{Key: "content-type", Value: []byte("application/json")},
}

var benchBinaryValue = []byte(`{"worker_id":"W0012345","email":"ana.silva@example.com","worker_type":"employee",` +
	`"effective_at":"2026-05-29","department":"Engineering","title":"Senior Software Engineer",` +
	`"manager_id":"W0000777","reason":"voluntary","cost_center":"CC-4410"}`)

func benchBinarySize() int {
	n := len(benchBinaryValue)
	for _, h := range benchBinaryHeaders {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

func BenchmarkDecodeStructured(b *testing.B) {
	b.SetBytes(int64(len(benchStructured)))
	b.ReportAllocs()
	for b.Loop() {
		items := DecodeStructured(benchStructured)
		if items[0].Err != nil {
			b.Fatal(items[0].Err)
		}
	}
}

func BenchmarkDecodeBinary(b *testing.B) {
	b.SetBytes(int64(benchBinarySize()))
	b.ReportAllocs()
	for b.Loop() {
		items := DecodeKafka(benchBinaryHeaders, benchBinaryValue)
		if items[0].Err != nil {
			b.Fatal(items[0].Err)
		}
	}
}

// BenchmarkDecodeStructuredBatch decodes a 100-event batch, per event.
func BenchmarkDecodeStructuredBatch(b *testing.B) {
	batch := []byte{'['}
	for i := 0; i < 100; i++ {
		if i > 0 {
			batch = append(batch, ',')
		}
		batch = append(batch, benchStructured...)
	}
	batch = append(batch, ']')
	b.SetBytes(int64(len(benchStructured)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if n%100 == 0 {
			DecodeStructured(batch)
		}
		n++
	}
}

// stdlibEvent is what decoding with encoding/json into structs looks like:
// the baseline the hand-written decoder is measured against.
type stdlibEvent struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Source          string          `json:"source"`
	Type            string          `json:"type"`
	Time            time.Time       `json:"time"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
}

func BenchmarkDecodeStructuredStdlib(b *testing.B) {
	b.SetBytes(int64(len(benchStructured)))
	b.ReportAllocs()
	for b.Loop() {
		var e stdlibEvent
		if err := json.Unmarshal(benchStructured, &e); err != nil {
			b.Fatal(err)
		}
		var d HRData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeStructuredSDK(b *testing.B) {
	b.SetBytes(int64(len(benchStructured)))
	b.ReportAllocs()
	for b.Loop() {
		var e event.Event
		if err := json.Unmarshal(benchStructured, &e); err != nil {
			b.Fatal(err)
		}
		var d HRData
		if err := json.Unmarshal(e.Data(), &d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeStructured(b *testing.B) {
	o := sampleOutputs()[3] // step.completed, the most frequent output
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeStructured(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeBinary(b *testing.B) {
	o := sampleOutputs()[3]
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := EncodeBinary(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeStructuredStdlib(b *testing.B) {
	o := sampleOutputs()[3]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(stdlibEnvelope{SpecVersion: "1.0", ID: o.ID, Source: "jmlwatch", Type: o.Type, Subject: o.Subject,
			Time: o.Time.UTC().Format(time.RFC3339Nano), DataContentType: "application/json", PartitionKey: o.Subject, Data: o.Data}); err != nil {
			b.Fatal(err)
		}
	}
}
