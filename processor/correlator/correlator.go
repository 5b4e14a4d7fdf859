package correlator

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

// KV is the ordered key-value state the correlator reads and writes. The
// store package's batches implement it; reads must see the Tx's own writes.
// Set copies key and value: the caller may reuse them.
//
// Get returns a copy of the value. Scan calls fn for each key in
// [lower, upper) in key order; fn's slices are valid only during the call,
// and an error returned by fn stops the scan and is returned by Scan
// (possibly wrapped).
type KV interface {
	Get(key []byte) ([]byte, bool, error)
	Set(key, value []byte) error
	Delete(key []byte) error
	// DeleteRange deletes every key in [lower, upper).
	DeleteRange(lower, upper []byte) error
	Scan(lower, upper []byte, fn func(k, v []byte) error) error
}

// Outcome says what Apply did with a record.
type Outcome int

// Outcomes of Apply.
const (
	// Applied: the record changed state (or was recorded).
	Applied Outcome = iota + 1
	// Held: an account or ticket record that resolved to no worker; it
	// is kept and applies when its worker appears.
	Held
	// Duplicate: a repeat of a record within the dedupe window, or of a
	// trigger whose case is still retained.
	Duplicate
	// Stale: a trigger older than the worker's latest case of its kind,
	// or a rescind with nothing to cancel.
	Stale
)

func (o Outcome) String() string {
	switch o {
	case Applied:
		return "applied"
	case Held:
		return "held"
	case Duplicate:
		return "duplicate"
	case Stale:
		return "stale"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Correlator holds the policy. It is immutable and safe for concurrent use;
// all mutable state is in the KV a Tx works on.
type Correlator struct {
	pol *policy.Policy
}

// New returns a Correlator for a validated policy.
func New(p *policy.Policy) *Correlator {
	return &Correlator{pol: p}
}

// Policy returns the policy the correlator was built with.
func (c *Correlator) Policy() *policy.Policy { return c.pol }

// Tx applies records to one KV, typically one store batch (one
// micro-batch). A Tx is not safe for concurrent use. It caches decoded
// workers; Flush writes them to the KV and must be called before the KV is
// committed. After Flush the Tx may go on with a new KV via Reset.
type Tx struct {
	pol   *policy.Policy
	kv    KV
	clock time.Time
	// clockLoaded reports whether clock was read from the KV.
	clockLoaded bool
	clockDirty  bool
	workers     map[string]*worker
	dirty       map[string]bool
	// timers and retention track the pending timers, so that firing scans
	// only when something may be due, and starts past the tombstones of
	// fired timers.
	timers, retention queue
	// recTime is the time of the record being applied.
	recTime time.Time
	// rec collects the outputs of the record being applied, to be sorted.
	rec []events.Output
	// buf is reused to encode values and kbuf to build keys that are only
	// passed to the KV (which copies or does not keep them: see KV).
	buf, kbuf []byte
	// sbuf holds the <source>\0<id> of the record being de-duplicated
	// (Tx.suffix), vbuf the value of its de-duplication key.
	sbuf []byte
	vbuf [12]byte
	// seen filters the lookups of de-duplication keys; it outlives Reset.
	seen seenIndex
	// pendingTimers holds the SLA and unowned timers armed since the
	// last Flush and not written yet, by key (see setTimer).
	pendingTimers map[string]pendingTimer
}

// NewTx returns a Tx working on kv.
func (c *Correlator) NewTx(kv KV) *Tx {
	return &Tx{
		pol: c.pol, kv: kv, workers: map[string]*worker{}, dirty: map[string]bool{},
		timers: queue{prefix: pTimer}, retention: queue{prefix: pRetain},
	}
}

// Reset points a flushed Tx at a new KV (the next micro-batch) over the
// same state, after the previous one was committed. The clock and the
// timer low-water marks are kept. After a failed or discarded commit, make
// a new Tx instead: the kept marks would no longer match the state.
func (tx *Tx) Reset(kv KV) {
	tx.kv = kv
	clear(tx.workers)
	clear(tx.dirty)
}

// Clock returns the correlator clock: never earlier than any value passed to
// Advance, and persisted in the KV.
func (tx *Tx) Clock() (time.Time, error) {
	if err := tx.loadClock(); err != nil {
		return time.Time{}, err
	}
	return tx.clock, nil
}

func (tx *Tx) loadClock() error {
	if tx.clockLoaded {
		return nil
	}
	v, ok, err := tx.kv.Get([]byte{keyClockB})
	if err != nil {
		return fmt.Errorf("correlator: reading clock: %w", err)
	}
	if err := tx.checkFormat(ok); err != nil {
		return err
	}
	if ok && len(v) == 8 {
		tx.clock = readTime(v)
	}
	tx.clockLoaded = true
	return nil
}

// stateFormat is the version of the state layout (keys and values) this
// code reads and writes. Bump it on an incompatible change: a state of
// another version is refused, not misread. Format 3 writes no
// de-duplication key for a trigger that opened a case (seen.go); format 4
// writes worker aggregates in version 2 of their codec (codec.go). This
// code still reads states of formats 2 and 3, which it stamps 4 when it
// opens them, so that an older version refuses them from then on.
const stateFormat = 4

// oldestFormat is the oldest format this code reads (and upgrades).
const oldestFormat = 2

// checkFormat refuses a state written in another layout. A new state (no
// clock yet), or one of an older format this code reads, gets this
// version. Before versions were recorded (format 1) a state had a clock
// and no version key.
func (tx *Tx) checkFormat(hasClock bool) error {
	got, err := checkFormat(tx.kv, hasClock)
	if err != nil || got == stateFormat {
		return err
	}
	return tx.kv.Set([]byte{keyFormatB}, []byte{stateFormat})
}

// CheckFormat returns an error naming both formats if the state r holds was
// written in another state format than this version's; a new (empty) state
// passes. Drivers call it at start-up, so that such a state is refused
// before anything is consumed.
func CheckFormat(r Reader) error {
	_, hasClock, err := r.Get([]byte{keyClockB})
	if err != nil {
		return fmt.Errorf("correlator: reading clock: %w", err)
	}
	_, err = checkFormat(r, hasClock)
	return err
}

// checkFormat returns the format of the state r holds (0 for a new state),
// or an error if this version cannot read it.
func checkFormat(r Reader, hasClock bool) (int, error) {
	v, ok, err := r.Get([]byte{keyFormatB})
	if err != nil {
		return 0, fmt.Errorf("correlator: reading the state format: %w", err)
	}
	got := 1
	switch {
	case ok && len(v) == 1:
		got = int(v[0])
	case ok:
		got = -1
	case !hasClock:
		return 0, nil // a new state
	}
	if got < oldestFormat || got > stateFormat {
		return got, fmt.Errorf("correlator: the state was written by another version of jmlwatch (state format %d, this version uses %d): rebuild it (jmlwatch run --rebuild, or replay into a new --state directory)", got, stateFormat)
	}
	return got, nil
}

// Flush writes every worker changed since the last Flush, the timers armed
// since, and the clock, to the KV.
func (tx *Tx) Flush() error {
	if _, err := tx.writeTimers(maxTime); err != nil {
		return fmt.Errorf("correlator: writing timers: %w", err)
	}
	ids := make([]string, 0, len(tx.dirty))
	for id := range tx.dirty {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		tx.buf = encodeWorker(tx.buf[:0], tx.workers[id])
		if err := tx.kv.Set(tx.scratchKey(pWorker, id), tx.buf); err != nil {
			return fmt.Errorf("correlator: writing worker %q: %w", id, err)
		}
	}
	clear(tx.dirty)
	if len(tx.workers) > 4096 {
		clear(tx.workers)
	}
	if tx.clockDirty {
		if err := tx.kv.Set([]byte{keyClockB}, appendTime(nil, tx.clock)); err != nil {
			return fmt.Errorf("correlator: writing clock: %w", err)
		}
		tx.clockDirty = false
	}
	return nil
}

// Advance moves the clock to t if t is later, then fires every timer whose
// moment is strictly before the clock, appending their outputs to out in
// (due moment, case_id or system/account_id, step_id) order.
func (tx *Tx) Advance(t time.Time, out []events.Output) ([]events.Output, error) {
	if err := tx.loadClock(); err != nil {
		return out, err
	}
	if t.After(tx.clock) {
		tx.clock = t.UTC()
		tx.clockDirty = true
	}
	return tx.fire(out)
}

// Apply applies one record at the current clock, appending the record's
// outputs (sorted as SPEC 7 says) and then the outputs of timers it created
// that are already due. A returned error is a state (KV) error, never bad
// input: decoders reject bad input before it gets here.
func (tx *Tx) Apply(in *events.Input, out []events.Output) ([]events.Output, Outcome, error) {
	if err := tx.loadClock(); err != nil {
		return out, 0, err
	}
	tx.rec = tx.rec[:0]
	tx.recTime = in.Time.UTC()
	outcome, err := tx.apply(in)
	if err != nil {
		return out, 0, fmt.Errorf("correlator: applying %s %s/%s: %w", in.Type, in.Source, in.ID, err)
	}
	sortRecordOutputs(tx.rec)
	out = append(out, tx.rec...)
	out, err = tx.fire(out)
	return out, outcome, err
}

func (tx *Tx) apply(in *events.Input) (Outcome, error) {
	// One key answers both de-duplication rules (SPEC 2): it is kept for
	// the window, or, for a trigger that opened a case, as long as the
	// case is retained.
	if ok, err := tx.isSeen(in.Source, in.ID); err != nil {
		return 0, err
	} else if ok {
		return Duplicate, nil
	}
	var (
		outcome Outcome
		err     error
	)
	switch {
	case in.HR != nil:
		outcome, err = tx.applyHR(in)
	case in.Account != nil:
		outcome, err = tx.applyAccountRecord(in)
	case in.NHI != nil:
		outcome, err = tx.applyNHI(in)
	case in.Ticket != nil:
		outcome, err = tx.applyTicket(in)
	default:
		return 0, errors.New("input carries no data")
	}
	if err != nil {
		return 0, err
	}
	if outcome == Applied && isTrigger(in.Type) {
		// An applied trigger opened a case (trigger returns Stale
		// otherwise), whose index key is its de-duplication key while
		// the case is retained (holdSeen).
		return outcome, nil
	}
	return outcome, tx.markSeen(in.Source, in.ID, in.Time)
}

// isTrigger reports whether typ opens a case (SPEC 4).
func isTrigger(typ string) bool {
	return typ == events.TypeHRJoiner || typ == events.TypeHRMover || typ == events.TypeHRLeaver
}

// loadWorker returns the cached or stored worker id, creating it if new.
func (tx *Tx) loadWorker(id string) (*worker, error) {
	if w, ok := tx.workers[id]; ok {
		return w, nil
	}
	v, ok, err := tx.kv.Get(tx.scratchKey(pWorker, id))
	if err != nil {
		return nil, fmt.Errorf("reading worker %q: %w", id, err)
	}
	w := &worker{ID: id}
	if ok {
		if err := decodeWorker(v, id, w); err != nil {
			return nil, fmt.Errorf("reading worker %q: %w", id, err)
		}
	}
	tx.workers[id] = w
	return w, nil
}

// touch marks w as changed.
func (tx *Tx) touch(w *worker) { tx.dirty[w.ID] = true }

// emit adds an output of the record being applied.
func (tx *Tx) emit(o events.Output) { tx.rec = append(tx.rec, o) }

// recordOrder is the SPEC 7 order of a record's own outputs by type.
var recordOrder = map[string]int{
	events.TypeCaseCancelled:  0,
	events.TypeCaseOpened:     1,
	events.TypeStepAdded:      2,
	events.TypeStepCompleted:  3,
	events.TypeCaseCompleted:  4,
	events.TypeOrphanDetected: 5,
}

func sortRecordOutputs(outs []events.Output) {
	slices.SortStableFunc(outs, func(a, b events.Output) int {
		if d := recordOrder[a.Type] - recordOrder[b.Type]; d != 0 {
			return d
		}
		ka, sa := sortKeys(a)
		kb, sb := sortKeys(b)
		if ka != kb {
			if ka < kb {
				return -1
			}
			return 1
		}
		if sa < sb {
			return -1
		} else if sa > sb {
			return 1
		}
		return 0
	})
}

// sortKeys returns the (case_id, step_id) an output sorts by.
func sortKeys(o events.Output) (string, string) {
	switch d := o.Data.(type) {
	case *events.CaseOpenedData:
		return d.CaseID, ""
	case *events.StepAddedData:
		return d.CaseID, d.StepID
	case *events.StepCompletedData:
		return d.CaseID, d.StepID
	case *events.CaseCompletedData:
		return d.CaseID, ""
	case *events.CaseCancelledData:
		return d.CaseID, ""
	case *events.OrphanDetectedData:
		return d.CaseID, d.System + "/" + d.AccountID
	}
	return "", ""
}
