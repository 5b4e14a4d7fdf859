package broker_test

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/jmlwatch/jmlwatch/processor/broker"
)

func TestStartProduceConsume(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := broker.Start(ctx, broker.Options{Partitions: 3, Topics: []string{"seeded"}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	conn, err := kafka.DialContext(ctx, "tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions("seeded")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 {
		t.Fatalf("seeded topic has %d partitions, want 3", len(parts))
	}

	// A topic created on first use gets the same partition count.
	w := &kafka.Writer{Addr: kafka.TCP(b.Addr()), Topic: "auto", AllowAutoTopicCreation: true,
		Balancer: &kafka.Hash{}, BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	for {
		err := w.WriteMessages(ctx, kafka.Message{Key: []byte("k"), Value: []byte("v1")})
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			t.Fatal(err)
		}
	}
	parts, err = conn.ReadPartitions("auto")
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 {
		t.Fatalf("auto-created topic has %d partitions, want 3", len(parts))
	}
	var found bool
	for _, p := range parts {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "auto", Partition: p.ID, MaxWait: 50 * time.Millisecond})
		lc, err := kafka.DialLeader(ctx, "tcp", b.Addr(), "auto", p.ID)
		if err != nil {
			t.Fatal(err)
		}
		last, err := lc.ReadLastOffset()
		lc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if last > 0 {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(m.Value) != "v1" {
				t.Fatalf("read %q, want v1", m.Value)
			}
			found = true
		}
		r.Close()
	}
	if !found {
		t.Fatal("record not found on any partition")
	}
}

func TestStartBadAddr(t *testing.T) {
	for _, addr := range []string{"nohost", "127.0.0.1:x", "127.0.0.1:99999"} {
		if _, err := broker.Start(context.Background(), broker.Options{Addr: addr}); err == nil {
			t.Errorf("Start(%q) succeeded, want an error", addr)
		}
	}
}
