package report

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
)

// KafkaInput is a set of Kafka topics read as report input: every
// partition from its first offset to its end as of when reading starts
// (records produced later are not waited for). `jmlwatch report --config`
// builds one from the run config: its brokers, TLS and SASL, and its events
// and alerts topics.
//
// A record is an output event in binary mode (ce_ headers, the data as
// value: what `jmlwatch run` writes by default) or in structured mode (the
// whole CloudEvent as value). A malformed record is reported as a
// BadRecord whose File is "kafka:TOPIC/PARTITION" and whose Line is the
// record's offset.
type KafkaInput struct {
	// Brokers are the bootstrap host:port addresses; at least one.
	Brokers []string
	// Topics are read in order; at least one.
	Topics []string
	// TLS, when set, is used for every connection.
	TLS *tls.Config
	// SASL, when set, authenticates every connection.
	SASL sasl.Mechanism
	// Wait bounds how long reading waits for a record the partition's end
	// says exists, and each metadata request (default 30s). It is not an
	// overall deadline: cancel Build's context for that.
	Wait time.Duration
}

func (k *KafkaInput) wait() time.Duration {
	if k.Wait > 0 {
		return k.Wait
	}
	return 30 * time.Second
}

func (k *KafkaInput) dialer() *kafka.Dialer {
	return &kafka.Dialer{Timeout: k.wait(), DualStack: true, TLS: k.TLS, SASLMechanism: k.SASL, ClientID: "jmlwatch-report"}
}

// read calls fn for every record of every partition of k's topics, up to
// each partition's end when read starts. Partitions are read one after the
// other (the report does not depend on the order of events).
func (k *KafkaInput) read(ctx context.Context, fn func(topic string, partition int, offset int64, headers []kafka.Header, value []byte)) error {
	if len(k.Brokers) == 0 {
		return errors.New("kafka input: no brokers")
	}
	d := k.dialer()
	for _, topic := range k.Topics {
		parts, err := k.partitions(ctx, d, topic)
		if err != nil {
			return err
		}
		for _, p := range parts {
			if err := k.readPartition(ctx, d, topic, p, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// partitions returns the partition ids of topic, sorted.
func (k *KafkaInput) partitions(ctx context.Context, d *kafka.Dialer, topic string) ([]int, error) {
	var lastErr error
	for _, b := range k.Brokers {
		mctx, cancel := context.WithTimeout(ctx, k.wait())
		ps, err := d.LookupPartitions(mctx, "tcp", b, topic)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			lastErr = err
			continue
		}
		ids := make([]int, 0, len(ps))
		for _, p := range ps {
			ids = append(ids, p.ID)
		}
		slices.Sort(ids)
		return ids, nil
	}
	return nil, fmt.Errorf("kafka input: topic %s: listing partitions: %w", topic, lastErr)
}

// bounds returns the first offset of a partition and its end (the offset
// the next record produced will get).
func (k *KafkaInput) bounds(ctx context.Context, d *kafka.Dialer, topic string, part int) (first, end int64, err error) {
	var lastErr error
	for _, b := range k.Brokers {
		mctx, cancel := context.WithTimeout(ctx, k.wait())
		conn, err := d.DialLeader(mctx, "tcp", b, topic, part)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return 0, 0, ctx.Err()
			}
			lastErr = err
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(k.wait()))
		first, end, err = conn.ReadOffsets()
		conn.Close()
		if err == nil {
			return first, end, nil
		}
		lastErr = err
	}
	return 0, 0, fmt.Errorf("kafka input: %s/%d: reading offsets: %w", topic, part, lastErr)
}

func (k *KafkaInput) readPartition(ctx context.Context, d *kafka.Dialer, topic string, part int, fn func(string, int, int64, []kafka.Header, []byte)) error {
	first, end, err := k.bounds(ctx, d, topic, part)
	if err != nil {
		return err
	}
	if end <= first {
		return nil // empty
	}
	rd := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   k.Brokers,
		Topic:     topic,
		Partition: part,
		Dialer:    d,
		MinBytes:  1,
		MaxBytes:  16 << 20,
		MaxWait:   500 * time.Millisecond,
	})
	defer rd.Close()
	if err := rd.SetOffset(first); err != nil {
		return fmt.Errorf("kafka input: %s/%d: %w", topic, part, err)
	}
	for {
		fctx, cancel := context.WithTimeout(ctx, k.wait())
		m, err := rd.FetchMessage(fctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, context.DeadlineExceeded) && rd.Offset() >= end {
				return nil // the end was a gap (no record at end-1)
			}
			return fmt.Errorf("kafka input: %s/%d at offset %d of [%d, %d): %w", topic, part, rd.Offset(), first, end, err)
		}
		if m.Offset >= end {
			return nil // produced after reading started
		}
		fn(topic, part, m.Offset, m.Headers, m.Value)
		if m.Offset >= end-1 {
			return nil
		}
	}
}

// structured returns the structured-mode CloudEvent of a record: the value
// itself, or for a binary-mode record (a ce_type header) an object of its
// ce_ attributes with the value as data, built in buf (binary is then
// true, and out is buf grown).
func structured(buf []byte, headers []kafka.Header, value []byte) (out []byte, binary bool) {
	for _, h := range headers {
		if strings.EqualFold(h.Key, "ce_type") {
			binary = true
			break
		}
	}
	if !binary {
		return value, false
	}
	buf = append(buf[:0], '{')
	for _, h := range headers {
		attr, ok := strings.CutPrefix(strings.ToLower(h.Key), "ce_")
		if !ok || attr == "" || attr == "data" {
			continue
		}
		if len(buf) > 1 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, attr)
		buf = append(buf, ':')
		buf = appendJSONString(buf, string(h.Value))
	}
	if len(buf) > 1 {
		buf = append(buf, ',')
	}
	buf = append(buf, `"data":`...)
	if v := bytes.TrimSpace(value); len(v) > 0 {
		buf = append(buf, v...)
	} else {
		buf = append(buf, "null"...)
	}
	return append(buf, '}'), true
}

// appendJSONString appends s as a JSON string.
func appendJSONString(buf []byte, s string) []byte {
	b, _ := json.Marshal(s) // a string always marshals
	return append(buf, b...)
}

// readKafka reads every record of k into the collector, reporting a
// malformed one at "kafka:TOPIC/PARTITION" and its offset.
func (r *reader) readKafka(ctx context.Context, k *KafkaInput) error {
	var buf []byte
	return k.read(ctx, func(topic string, part int, off int64, headers []kafka.Header, value []byte) {
		ev, binary := structured(buf, headers, value)
		if binary {
			buf = ev
		}
		r.record("kafka:"+topic+"/"+strconv.Itoa(part), int(off), ev)
	})
}
