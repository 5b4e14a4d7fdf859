package report

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/broker"
)

// TestKafkaInput: the events and alerts topics, read from the in-process
// broker (events in binary mode over two partitions, alerts structured),
// give the same report as the file they were produced from; a bad record
// is reported at its topic, partition and offset, and the rest still count.
func TestKafkaInput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := broker.Start(ctx, broker.Options{Partitions: 2, Topics: []string{"ev", "al", "empty"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	data, err := os.ReadFile("testdata/boundaries.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var evMsgs, alMsgs []kafka.Message
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		o, err := events.DecodeOutput([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if events.IsAlert(o.Type) {
			alMsgs = append(alMsgs, kafka.Message{Key: []byte(o.Subject), Value: []byte(line)})
			continue
		}
		hs, v, err := events.EncodeBinary(o)
		if err != nil {
			t.Fatal(err)
		}
		m := kafka.Message{Key: []byte(o.Subject), Value: v, Partition: i % 2}
		for _, h := range hs {
			m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: h.Value})
		}
		evMsgs = append(evMsgs, m)
	}
	alMsgs = append(alMsgs, kafka.Message{Value: []byte(`{"type": 1}`)}) // the last record of "al"
	w := &kafka.Writer{Addr: kafka.TCP(b.Addr()), Balancer: &kafka.RoundRobin{}, RequiredAcks: kafka.RequireAll, BatchSize: 1}
	defer w.Close()
	for topic, msgs := range map[string][]kafka.Message{"ev": evMsgs, "al": alMsgs} {
		for i := range msgs {
			msgs[i].Topic = topic
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatalf("producing to %s: %v", topic, err)
		}
	}

	opts := Options{Period: mustWindow(t, "2026-03-02/2026-03-09", time.UTC), Baseline: mustWindow(t, "2026-02-23/2026-03-02", time.UTC)}
	opts.Inputs = []string{"testdata/boundaries.jsonl"}
	want := jsonOf(t, build(t, opts))

	var bad []*BadRecord
	opts.Inputs = nil
	opts.Kafka = &KafkaInput{Brokers: []string{b.Addr()}, Topics: []string{"ev", "al", "empty"}, Wait: 10 * time.Second}
	opts.BadRecord = func(br *BadRecord) { bad = append(bad, br) }
	rep, err := Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := jsonOf(t, rep); got != want {
		t.Errorf("report from Kafka differs from the file's:\n%s", got)
	}
	if rep.Events != int64(len(evMsgs)+len(alMsgs)-1) {
		t.Errorf("Events = %d, want %d", rep.Events, len(evMsgs)+len(alMsgs)-1)
	}
	if len(bad) != 1 || !strings.HasPrefix(bad[0].File, "kafka:al/") || !strings.Contains(bad[0].Error(), "type") {
		t.Errorf("bad records = %v, want the one of topic al", bad)
	}

	// Reading again sees the records produced since.
	if err := w.WriteMessages(ctx, kafka.Message{Topic: "ev", Value: []byte(`{"type":"io.jmlwatch.sla.warning","time":"2026-03-03T00:00:00Z"}`)}); err != nil {
		t.Fatal(err)
	}
	opts.Kafka = &KafkaInput{Brokers: []string{b.Addr()}, Topics: []string{"ev"}, Wait: 10 * time.Second}
	rep, err = Build(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != int64(len(evMsgs)+1) {
		t.Errorf("Events = %d, want %d", rep.Events, len(evMsgs)+1)
	}
}

func TestStructuredFromBinary(t *testing.T) {
	hs := []kafka.Header{{Key: "ce_specversion", Value: []byte("1.0")}, {Key: "ce_type", Value: []byte("io.jmlwatch.case.cancelled")},
		{Key: "ce_time", Value: []byte("2026-03-02T00:00:00Z")}, {Key: "ce_id", Value: []byte(`x"1`)}, {Key: "content-type", Value: []byte("application/json")}}
	got, binary := structured(nil, hs, []byte(` {"case_id":"a"} `))
	want := `{"specversion":"1.0","type":"io.jmlwatch.case.cancelled","time":"2026-03-02T00:00:00Z","id":"x\"1","data":{"case_id":"a"}}`
	if !binary || string(got) != want {
		t.Errorf("structured = %s, %v; want %s", got, binary, want)
	}
	if got, binary := structured(nil, nil, []byte(`{"a":1}`)); binary || string(got) != `{"a":1}` {
		t.Errorf("structured record changed: %s", got)
	}
}
