package correlator

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/jmlwatch/jmlwatch/events"
)

// The worker aggregate is read and rewritten for nearly every record, so it
// has a compact binary encoding rather than JSON (which cost about a sixth
// of the correlator's time). The layout, after the version byte:
//
//	string    version 1: uvarint length, bytes
//	          version 2: uvarint n, then: n even, n/2 bytes; n = 1, 16 bytes
//	          that are the string's 32 lowercase hex digits (case ids); n = 3,
//	          a step id that is action:system:target (derived, nothing
//	          stored); other odd n, symbols[(n-5)/2]
//	time      version 1: 0 (the zero time), or 1, zigzag varint Unix seconds,
//	          uvarint nanoseconds
//	          version 2: uvarint x: 0 the zero time; 1, then the time whole
//	          as in version 1 (a delta of 2^60 seconds or more); else x-2 =
//	          zigzag(Unix seconds - base)<<1 | (nanoseconds != 0), then the
//	          uvarint nanoseconds if not 0; base is the Unix seconds of the
//	          value's first non-zero time (0 for that one)
//	bools     one flags byte per struct
//	slice     uvarint count, elements
//	pointer   0 (nil) or 1, the value
//
// Version 2 leaves out the worker id, which is the key's, and ends with
// RetainAt. Fields come in
// the order the encoder writes them; a change of layout takes a new
// version byte (and a new stateFormat). Version 2 makes a worker of the
// replay benchmark about 40% smaller (318 to 190 bytes after a leaver and
// its completion), so that more workers fit in the row cache and fewer
// bytes go through Pebble's flushes and compactions.
const (
	workerCodecV1 = 1
	workerCodecV2 = 2
)

// symbols are the strings version 2 writes as one byte: values of closed
// sets (kinds, case states, actions, tiers, leaver reasons). Append only:
// a symbol's position is in stored values.
var symbols = []string{
	string(events.KindJoiner), string(events.KindMover), string(events.KindLeaver), string(events.KindNHI),
	caseOpen, caseCompleted, caseCancelled,
	events.ActionProvision, events.ActionGrant, events.ActionRevoke,
	events.TierStandard, events.TierPrivileged,
	"voluntary", "involuntary",
}

// symbolCodes maps each symbol to its n (see the layout).
var symbolCodes = func() map[string]uint64 {
	m := make(map[string]uint64, len(symbols))
	for i, s := range symbols {
		m[s] = uint64(2*i + 5)
	}
	return m
}()

const (
	strHex     = 1 // 16 bytes: 32 lowercase hex digits
	strDerived = 3 // a step id derived from its action, system and target
)

// errCorrupt reports a worker value that does not decode.
var errCorrupt = errors.New("correlator: corrupt worker value")

// encodeWorker appends the binary encoding of w to b.
func encodeWorker(b []byte, w *worker) []byte {
	e := encoder{b: append(b, workerCodecV2)}
	e.str(w.Email)
	e.time(w.EmailAt)
	e.str(w.Department)
	e.time(w.DeptAt)
	e.flags(w.Left)
	encodeList(&e, w.Cases, func(c *caseState) {
		e.str(c.ID)
		e.str(string(c.Kind))
		e.str(c.Reason)
		e.time(c.RecordedAt)
		e.time(c.EffectiveAt)
		e.str(c.State)
		e.time(c.ClosedAt)
		e.time(c.CompletedAt)
		encodeList(&e, c.Steps, func(s *step) {
			if isDerivedStepID(s) {
				e.b = append(e.b, strDerived)
			} else {
				e.str(s.ID)
			}
			e.str(s.Action)
			e.str(s.System)
			e.str(s.Target)
			e.str(s.Tier)
			e.time(s.Deadline)
			e.time(s.WarnAt)
			e.time(s.CompletedAt)
			e.flags(s.Done, s.Breached, s.Warned)
		})
	})
	encodeList(&e, w.Accounts, func(a *account) {
		e.str(a.System)
		e.str(a.ID)
		e.str(a.Login)
		e.str(a.Email)
		e.time(a.ActiveAt)
		e.time(a.InactiveAt)
		e.time(a.StateAt)
		e.time(a.SeenActiveAt)
		e.flags(a.Active, a.Deleted, a.Privileged)
	})
	encodeList(&e, w.Ents, func(x *entitle) {
		e.str(x.System)
		e.str(x.Name)
		e.str(x.AccountID)
		e.time(x.GrantedAt)
		e.time(x.RevokedAt)
		e.time(x.StateAt)
		e.flags(x.Held)
	})
	encodeList(&e, w.NHIs, func(h *holding) {
		e.str(h.System)
		e.str(h.ID)
		e.time(h.From)
		e.time(h.ReleasedAt)
		e.flags(h.Released, h.Done)
	})
	encodeList(&e, w.Tickets, func(t *ticketMark) {
		e.str(string(t.Kind))
		e.str(t.System)
		e.count(len(t.Times))
		for _, x := range t.Times {
			e.time(x)
		}
	})
	e.count(len(w.Orphans))
	for _, o := range w.Orphans {
		e.str(o)
	}
	if w.Leaver == nil {
		e.b = append(e.b, 0)
	} else {
		e.b = append(e.b, 1)
		e.str(w.Leaver.CaseID)
		e.time(w.Leaver.EffectiveAt)
	}
	e.time(w.RetainAt)
	return e.b
}

// decodeWorker decodes v, the value of worker id, into w, which must be
// zero. Strings of w alias one copy of v, so that decoding allocates per
// struct, not per field (and per case id).
func decodeWorker(v []byte, id string, w *worker) error {
	if len(v) == 0 || v[0] != workerCodecV1 && v[0] != workerCodecV2 {
		return fmt.Errorf("%w: unknown version", errCorrupt)
	}
	d := decoder{s: string(v), i: 1, v2: v[0] == workerCodecV2}
	if d.v2 {
		w.ID = id
	} else {
		w.ID = d.str()
	}
	w.Email = d.str()
	w.EmailAt = d.time()
	w.Department = d.str()
	w.DeptAt = d.time()
	w.Left = d.flags()&1 != 0
	w.Cases = decodeList(&d, func(c *caseState) {
		c.ID = d.str()
		c.Kind = events.Kind(d.str())
		c.Reason = d.str()
		c.RecordedAt = d.time()
		c.EffectiveAt = d.time()
		c.State = d.str()
		c.ClosedAt = d.time()
		c.CompletedAt = d.time()
		c.Steps = decodeList(&d, func(s *step) {
			derived := d.v2 && d.i < len(d.s) && d.s[d.i] == strDerived
			if derived {
				d.i++
			} else {
				s.ID = d.str()
			}
			s.Action = d.str()
			s.System = d.str()
			s.Target = d.str()
			if derived {
				s.ID = d.derive(s.Action, s.System, s.Target)
			}
			s.Tier = d.str()
			s.Deadline = d.time()
			s.WarnAt = d.time()
			s.CompletedAt = d.time()
			f := d.flags()
			s.Done, s.Breached, s.Warned = f&1 != 0, f&2 != 0, f&4 != 0
		})
	})
	w.Accounts = decodeList(&d, func(a *account) {
		a.System = d.str()
		a.ID = d.str()
		a.Login = d.str()
		a.Email = d.str()
		a.ActiveAt = d.time()
		a.InactiveAt = d.time()
		a.StateAt = d.time()
		a.SeenActiveAt = d.time()
		f := d.flags()
		a.Active, a.Deleted, a.Privileged = f&1 != 0, f&2 != 0, f&4 != 0
	})
	w.Ents = decodeList(&d, func(x *entitle) {
		x.System = d.str()
		x.Name = d.str()
		x.AccountID = d.str()
		x.GrantedAt = d.time()
		x.RevokedAt = d.time()
		x.StateAt = d.time()
		x.Held = d.flags()&1 != 0
	})
	w.NHIs = decodeList(&d, func(h *holding) {
		h.System = d.str()
		h.ID = d.str()
		h.From = d.time()
		h.ReleasedAt = d.time()
		f := d.flags()
		h.Released, h.Done = f&1 != 0, f&2 != 0
	})
	w.Tickets = decodeList(&d, func(t *ticketMark) {
		t.Kind = events.Kind(d.str())
		t.System = d.str()
		if m := d.count(); m > 0 {
			t.Times = make([]time.Time, m)
			for j := range t.Times {
				t.Times[j] = d.time()
			}
		}
	})
	if n := d.count(); n > 0 {
		w.Orphans = make([]string, n)
		for i := range w.Orphans {
			w.Orphans[i] = d.str()
		}
	}
	switch d.u8() {
	case 0:
	case 1:
		w.Leaver = &leaverMark{CaseID: d.str(), EffectiveAt: d.time()}
	default:
		d.fail("bad pointer tag")
	}
	if d.v2 {
		w.RetainAt = d.time()
	}
	if d.err == nil && d.i != len(d.s) {
		d.fail("trailing bytes")
	}
	return d.err
}

// encodeList writes the count of xs, then each element with one.
func encodeList[T any](e *encoder, xs []*T, one func(*T)) {
	e.count(len(xs))
	for _, x := range xs {
		one(x)
	}
}

// decodeList reads a count, then that many elements with one, into one
// allocation of values (nil for none).
func decodeList[T any](d *decoder, one func(*T)) []*T {
	n := d.count()
	if n == 0 {
		return nil
	}
	vals := make([]T, n)
	ptrs := make([]*T, n)
	for i := range vals {
		ptrs[i] = &vals[i]
		one(ptrs[i])
	}
	return ptrs
}

// encoder appends the binary encoding's elements (version 2).
type encoder struct {
	b       []byte
	base    int64 // the Unix seconds of the first non-zero time
	hasBase bool
}

func (e *encoder) str(s string) {
	if n, ok := symbolCodes[s]; ok {
		e.b = binary.AppendUvarint(e.b, n)
		return
	}
	if isHexID(s) {
		e.b = append(e.b, strHex)
		e.b, _ = hex.AppendDecode(e.b, []byte(s))
		return
	}
	e.b = binary.AppendUvarint(e.b, 2*uint64(len(s)))
	e.b = append(e.b, s...)
}

// isHexID reports whether s is 32 lowercase hex digits, as case ids are.
func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// isDerivedStepID reports whether s.ID is action:system:target.
func isDerivedStepID(s *step) bool {
	id := s.ID
	return len(id) == len(s.Action)+len(s.System)+len(s.Target)+2 &&
		id[:len(s.Action)] == s.Action && id[len(s.Action)] == ':' &&
		id[len(s.Action)+1:len(s.Action)+1+len(s.System)] == s.System &&
		id[len(s.Action)+1+len(s.System)] == ':' &&
		id[len(s.Action)+2+len(s.System):] == s.Target
}

func (e *encoder) count(n int) { e.b = binary.AppendUvarint(e.b, uint64(n)) }

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.b = append(e.b, 0)
		return
	}
	sec, ns := t.Unix(), t.Nanosecond()
	d, near := sec, true
	if e.hasBase {
		d = sec - e.base
		near = (sec >= e.base) == (d >= 0) // no overflow
	} else {
		e.base, e.hasBase = sec, true
	}
	if !near || d < -maxTimeDelta || d >= maxTimeDelta {
		e.b = append(e.b, timeFar)
		e.b = binary.AppendVarint(e.b, sec)
		e.b = binary.AppendUvarint(e.b, uint64(ns))
		return
	}
	x := uint64(d<<1^d>>63) << 1 // zigzag, then the nanoseconds bit
	if ns != 0 {
		x |= 1
	}
	e.b = binary.AppendUvarint(e.b, x+timeNear)
	if ns != 0 {
		e.b = binary.AppendUvarint(e.b, uint64(ns))
	}
}

// Version 2 times: 0 is the zero time, timeFar a time written whole, and
// timeNear and up a delta from the base (see the layout).
const (
	timeFar  = 1
	timeNear = 2
	// maxTimeDelta bounds the deltas written as such (2^60 seconds, far
	// beyond any time an event can carry): larger ones are written whole.
	maxTimeDelta = 1 << 60
)

// flags packs up to 8 bools, the first in the lowest bit.
func (e *encoder) flags(bs ...bool) {
	var f byte
	for i, b := range bs {
		if b {
			f |= 1 << i
		}
	}
	e.b = append(e.b, f)
}

// decoder reads the binary encoding from s. After the first error every
// read returns a zero value and err keeps that error.
type decoder struct {
	s   string
	i   int
	err error
	v2  bool
	// base is as in encoder (version 2).
	base    int64
	hasBase bool
	// arena holds the strings version 2 does not store as such (case ids
	// in hex, derived step ids); it only grows by appending, so the
	// strings cut from it stay valid.
	arena []byte
}

func (d *decoder) fail(why string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", errCorrupt, why, d.i)
	}
	d.i = len(d.s)
}

func (d *decoder) u8() byte {
	if d.i >= len(d.s) {
		d.fail("truncated")
		return 0
	}
	c := d.s[d.i]
	d.i++
	return c
}

func (d *decoder) flags() byte { return d.u8() }

func (d *decoder) uvarint() uint64 {
	var x uint64
	var shift uint
	for d.i < len(d.s) {
		c := d.s[d.i]
		d.i++
		if c < 0x80 {
			if shift == 63 && c > 1 {
				break
			}
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
		if shift += 7; shift > 63 {
			break
		}
	}
	d.fail("bad varint")
	return 0
}

// count reads a slice length, which cannot exceed the bytes left (every
// element takes at least one).
func (d *decoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.s)-d.i) {
		d.fail("count past the end")
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.v2 {
		if n&1 == 0 {
			n /= 2
		} else {
			return d.symbol(n)
		}
	}
	if n > uint64(len(d.s)-d.i) {
		d.fail("string past the end")
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

// symbol decodes the odd n of a version 2 string.
func (d *decoder) symbol(n uint64) string {
	switch {
	case n == strHex:
		if len(d.s)-d.i < 16 {
			d.fail("string past the end")
			return ""
		}
		start := len(d.arena)
		d.arena = hex.AppendEncode(d.arena, []byte(d.s[d.i:d.i+16]))
		d.i += 16
		return unsafe.String(&d.arena[start], 32)
	case n >= 5 && (n-5)/2 < uint64(len(symbols)):
		return symbols[(n-5)/2]
	}
	d.fail("bad string code")
	return ""
}

// derive returns the step id action:system:target, in the arena.
func (d *decoder) derive(action, system, target string) string {
	start := len(d.arena)
	d.arena = append(append(append(append(append(d.arena, action...), ':'), system...), ':'), target...)
	if len(d.arena) == start {
		return ""
	}
	return unsafe.String(&d.arena[start], len(d.arena)-start)
}

func (d *decoder) time() time.Time {
	if d.v2 {
		return d.time2()
	}
	switch d.u8() {
	case 0:
		return time.Time{}
	case 1:
		return d.wholeTime()
	}
	d.fail("bad time tag")
	return time.Time{}
}

// wholeTime reads a time written whole: zigzag varint Unix seconds (as
// binary.AppendVarint writes them), uvarint nanoseconds.
func (d *decoder) wholeTime() time.Time {
	ux := d.uvarint()
	sec := int64(ux>>1) ^ -int64(ux&1)
	ns := d.uvarint()
	if ns >= 1e9 {
		d.fail("bad nanoseconds")
		return time.Time{}
	}
	return time.Unix(sec, int64(ns)).UTC()
}

// time2 reads a version 2 time.
func (d *decoder) time2() time.Time {
	x := d.uvarint()
	switch x {
	case 0:
		return time.Time{}
	case timeFar:
		t := d.wholeTime()
		if !d.hasBase {
			d.base, d.hasBase = t.Unix(), true
		}
		return t
	}
	y := x - timeNear
	z := y >> 1
	if z >= 2*maxTimeDelta {
		d.fail("time delta out of range")
		return time.Time{}
	}
	sec := int64(z>>1) ^ -int64(z&1)
	if d.hasBase {
		delta := sec
		if sec += d.base; (delta > 0 && sec < d.base) || (delta < 0 && sec > d.base) {
			d.fail("time out of range")
			return time.Time{}
		}
	} else {
		d.base, d.hasBase = sec, true
	}
	var ns uint64
	if y&1 != 0 {
		if ns = d.uvarint(); ns == 0 || ns >= 1e9 {
			d.fail("bad nanoseconds")
			return time.Time{}
		}
	}
	return time.Unix(sec, int64(ns)).UTC()
}
