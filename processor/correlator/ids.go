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

func hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}
