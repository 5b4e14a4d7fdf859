package correlator

import (
	"crypto/sha256"
	"encoding/hex"
)

// CaseID returns the case_id of the case a trigger opens: a pure function of
// the trigger's CloudEvents source and id (SPEC 7).
func CaseID(source, id string) string {
	return hash("case", source, id)
}

// OutputID returns the id of an output event, a pure function of its parts
// (type, case_id, step_id; for orphan.detected type, case_id, system,
// account_id; for account.unowned type, system, account_id), so a repeat is
// recognisable downstream.
func OutputID(parts ...string) string {
	return hash(parts...)
}

// hash is the hex of the first 16 bytes of the SHA-256 of the parts, each
// followed by a 0x00.
func hash(parts ...string) string {
	var stack [256]byte
	buf := stack[:0]
	for _, p := range parts {
		buf = append(append(buf, p...), 0)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:16])
}
