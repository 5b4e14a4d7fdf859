package store

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Key space (see doc.go).
const (
	prefixMeta   byte = 0x00
	prefixOutbox byte = 0x01
	// firstUserByte is the smallest first byte of a caller's key.
	firstUserByte byte = 0x20

	metaSchema     byte = 0x01
	metaOutboxNext byte = 0x02
	metaOffset     byte = 0x04

	// schemaVersion is the version of the key layout written by this code.
	schemaVersion uint32 = 1
)

var (
	keySchema     = []byte{prefixMeta, metaSchema}
	keyOutboxNext = []byte{prefixMeta, metaOutboxNext}
	// offsetLower and offsetUpper bound the offset keys.
	offsetLower = []byte{prefixMeta, metaOffset}
	offsetUpper = []byte{prefixMeta, metaOffset + 1}
	// outboxLower and outboxUpper bound the outbox keys.
	outboxLower = []byte{prefixOutbox}
	outboxUpper = []byte{prefixOutbox + 1}
	// userLower is the smallest caller key.
	userLower = []byte{firstUserByte}
)

// checkKey reports ErrInvalidKey for a key outside the caller's space.
func checkKey(key []byte) error {
	if len(key) == 0 || key[0] < firstUserByte {
		return ErrInvalidKey
	}
	return nil
}

// outboxKey writes the key of outbox entry seq into buf and returns it.
func outboxKey(buf *[9]byte, seq uint64) []byte {
	buf[0] = prefixOutbox
	binary.BigEndian.PutUint64(buf[1:], seq)
	return buf[:]
}

// offsetKey returns the meta key of a topic-partition's input offset.
func offsetKey(topic string, partition int) ([]byte, error) {
	if len(topic) == 0 || len(topic) > math.MaxUint16 {
		return nil, fmt.Errorf("store: offset topic %q: length must be 1 to %d bytes", topic, math.MaxUint16)
	}
	if partition < 0 || partition > math.MaxInt32 {
		return nil, fmt.Errorf("store: offset partition %d out of range", partition)
	}
	k := make([]byte, 0, 2+2+len(topic)+4)
	k = append(k, prefixMeta, metaOffset)
	k = binary.BigEndian.AppendUint16(k, uint16(len(topic)))
	k = append(k, topic...)
	k = binary.BigEndian.AppendUint32(k, uint32(partition))
	return k, nil
}

// parseOffsetKey is the inverse of offsetKey.
func parseOffsetKey(k []byte) (TopicPartition, bool) {
	if len(k) < 4 || k[0] != prefixMeta || k[1] != metaOffset {
		return TopicPartition{}, false
	}
	n := int(binary.BigEndian.Uint16(k[2:]))
	if len(k) != 4+n+4 {
		return TopicPartition{}, false
	}
	return TopicPartition{
		Topic:     string(k[4 : 4+n]),
		Partition: int(binary.BigEndian.Uint32(k[4+n:])),
	}, true
}
