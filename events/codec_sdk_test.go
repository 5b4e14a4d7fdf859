package events

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/binding/format"
	"github.com/cloudevents/sdk-go/v2/binding/spec"
	"github.com/cloudevents/sdk-go/v2/event"
)

// This file checks the hand-written codec against the CloudEvents Go SDK,
// which stays the reference event model: for valid events our decoders
// agree with sdk-go's parsing, and our encoded outputs parse and validate
// with sdk-go.

// kafkaMessage is a binding.Message over Kafka headers and value, applying
// the Kafka protocol binding as sdk-go's kafka_sarama protocol does
// (lower-cased header keys, structured when content-type is an event
// format, else binary when ce_specversion names a known version), without
// depending on sarama.
type kafkaMessage struct {
	value       []byte
	headers     map[string][]byte
	contentType string
	format      format.Format
	version     spec.Version
}

var kafkaSpecs = spec.WithPrefix("ce_")

func newKafkaMessage(headers []Header, value []byte) *kafkaMessage {
	m := &kafkaMessage{value: value, headers: map[string][]byte{}}
	for _, h := range headers {
		k := strings.ToLower(h.Key)
		if k == "content-type" {
			m.contentType = string(h.Value)
		}
		m.headers[k] = h.Value
	}
	if f := format.Lookup(m.contentType); f != nil {
		m.format = f
	} else {
		m.version = kafkaSpecs.Version(string(m.headers[kafkaSpecs.PrefixedSpecVersionName()]))
	}
	return m
}

func (m *kafkaMessage) ReadEncoding() binding.Encoding {
	switch {
	case m.version != nil:
		return binding.EncodingBinary
	case m.format != nil:
		return binding.EncodingStructured
	}
	return binding.EncodingUnknown
}

func (m *kafkaMessage) ReadStructured(ctx context.Context, w binding.StructuredWriter) error {
	if m.format == nil {
		return binding.ErrNotStructured
	}
	return w.SetStructuredEvent(ctx, m.format, bytes.NewReader(m.value))
}

func (m *kafkaMessage) ReadBinary(ctx context.Context, w binding.BinaryWriter) error {
	if m.version == nil {
		return binding.ErrNotBinary
	}
	for k, v := range m.headers {
		var err error
		switch {
		case strings.HasPrefix(k, "ce_"):
			if attr := m.version.Attribute(k); attr != nil {
				err = w.SetAttribute(attr, string(v))
			} else {
				err = w.SetExtension(strings.TrimPrefix(k, "ce_"), string(v))
			}
		case k == "content-type":
			err = w.SetAttribute(m.version.AttributeFromKind(spec.DataContentType), string(v))
		}
		if err != nil {
			return err
		}
	}
	if m.value != nil {
		return w.SetData(bytes.NewReader(m.value))
	}
	return nil
}

func (m *kafkaMessage) GetAttribute(k spec.Kind) (spec.Attribute, any) {
	attr := m.version.AttributeFromKind(k)
	if attr == nil {
		return nil, nil
	}
	return attr, string(m.headers[attr.PrefixedName()])
}

func (m *kafkaMessage) GetExtension(name string) any { return string(m.headers["ce_"+name]) }

func (m *kafkaMessage) Finish(error) error { return nil }

// sdkDifferences are valid testdata events sdk-go rejects, and why.
var sdkDifferences = map[string]string{
	// RFC 3339 allows a lower-case t and z; Go's time.Parse, which sdk-go
	// uses, does not. The attribute subject is null, which the CloudEvents
	// JSON format reads as absent and sdk-go rejects.
	`hr-"quoted"`: "lower-case t/z and a null attribute",
}

// sdkInput builds what sdk-go's event model says the canonical input is:
// the context attributes, and the data read with encoding/json into our
// data structs.
func sdkInput(t *testing.T, e *event.Event) *Input {
	t.Helper()
	in := &Input{ID: e.ID(), Source: e.Source(), Type: e.Type(), Time: e.Time().UTC()}
	var data any
	switch cat, _ := CategoryOf(e.Type()); cat {
	case CategoryHR:
		in.HR = &HRData{}
		data = in.HR
	case CategoryAccount:
		in.Account = &AccountData{}
		data = in.Account
	case CategoryNHI:
		in.NHI = &NHIData{}
		data = in.NHI
	case CategoryTicket:
		in.Ticket = &TicketData{}
		data = in.Ticket
	}
	if err := json.Unmarshal(e.Data(), data); err != nil {
		t.Fatalf("sdk data %s: %v", e.Data(), err)
	}
	return in
}

func TestDecodeAgreesWithSDK(t *testing.T) {
	checked := 0
	for _, line := range testdataLines(t, "valid.jsonl") {
		ours := decodeOne(t, line)
		if ours.Err != nil {
			t.Fatalf("%s: %v", line, ours.Err)
		}
		var e event.Event
		err := json.Unmarshal(line, &e)
		if why, ok := sdkDifferences[ours.Event.ID]; ok {
			if err == nil {
				t.Errorf("sdk-go now accepts %s (%s): drop it from sdkDifferences", ours.Event.ID, why)
			}
			continue
		}
		if err != nil {
			t.Fatalf("sdk-go rejects %s: %v", line, err)
		}
		if err := e.Validate(); err != nil {
			t.Fatalf("sdk-go says %s is invalid: %v", line, err)
		}
		if want := sdkInput(t, &e); !reflect.DeepEqual(ours.Event, want) {
			t.Errorf("structured %s:\n ours %s\n sdk  %s", line, dump(ours.Event), dump(want))
		}

		// The same event as a Kafka binary-mode record.
		headers := []Header{
			{"ce_specversion", []byte(e.SpecVersion())}, {"ce_id", []byte(e.ID())}, {"ce_source", []byte(e.Source())},
			{"ce_type", []byte(e.Type())}, {"ce_time", []byte(e.Time().Format("2006-01-02T15:04:05.999999999Z07:00"))},
			{"ce_traceparent", []byte("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")},
		}
		if ct := e.DataContentType(); ct != "" {
			headers = append(headers, Header{"content-type", []byte(ct)})
		}
		value := e.Data()
		bin := DecodeKafka(headers, value)
		if len(bin) != 1 || bin[0].Err != nil {
			t.Fatalf("binary %v: %+v", headers, bin)
		}
		se, err := binding.ToEvent(context.Background(), newKafkaMessage(headers, value))
		if err != nil {
			t.Fatalf("sdk-go binary: %v", err)
		}
		if want := sdkInput(t, se); !reflect.DeepEqual(bin[0].Event, want) {
			t.Errorf("binary %s:\n ours %s\n sdk  %s", line, dump(bin[0].Event), dump(want))
		}

		// And as a structured Kafka record.
		sh := []Header{{"content-type", []byte("application/cloudevents+json; charset=UTF-8")}}
		st := DecodeKafka(sh, line)
		se, err = binding.ToEvent(context.Background(), newKafkaMessage(sh, line))
		if err != nil || len(st) != 1 || st[0].Err != nil {
			t.Fatalf("structured kafka: ours %+v, sdk %v", st, err)
		}
		if want := sdkInput(t, se); !reflect.DeepEqual(st[0].Event, want) {
			t.Errorf("structured kafka %s:\n ours %s\n sdk  %s", line, dump(st[0].Event), dump(want))
		}
		checked++
	}
	if checked < 15 {
		t.Errorf("only %d events compared", checked)
	}
}

func TestEncodedOutputsValidateWithSDK(t *testing.T) {
	for _, o := range sampleOutputs() {
		b, err := EncodeStructured(o)
		if err != nil {
			t.Fatal(err)
		}
		var e event.Event
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("sdk-go cannot read %s: %v", b, err)
		}
		headers, value, err := EncodeBinary(o)
		if err != nil {
			t.Fatal(err)
		}
		be, err := binding.ToEvent(context.Background(), newKafkaMessage(headers, value))
		if err != nil {
			t.Fatalf("sdk-go cannot read binary %s: %v", o.ID, err)
		}
		for mode, e := range map[string]*event.Event{"structured": &e, "binary": be} {
			if err := e.Validate(); err != nil {
				t.Errorf("%s %s: sdk-go Validate: %v", mode, o.ID, err)
			}
			if e.SpecVersion() != "1.0" || e.ID() != o.ID || e.Source() != "jmlwatch" || e.Type() != o.Type ||
				e.Subject() != o.Subject || !e.Time().Equal(o.Time) || e.DataContentType() != "application/json" {
				t.Errorf("%s %s: sdk-go reads %s", mode, o.ID, e.String())
			}
			if pk := e.Extensions()["partitionkey"]; pk != o.Subject {
				t.Errorf("%s %s: partitionkey = %v, want %q", mode, o.ID, pk, o.Subject)
			}
			got := OutputDataFor(o.Type)
			if err := json.Unmarshal(e.Data(), got); err != nil {
				t.Fatalf("%s %s: data %s: %v", mode, o.ID, e.Data(), err)
			}
			want := asPointer(o.Data)
			utcTimes(want)
			utcTimes(got)
			if d, ok := want.(*CaseOpenedData); ok && d.Steps == nil {
				d.Steps = []StepInfo{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: data = %+v, want %+v", mode, o.ID, got, want)
			}
		}
	}
}
