package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// OutputSource is the CloudEvents source of every event jmlwatch emits.
const OutputSource = "jmlwatch"

// EncodeStructured encodes o as one structured-mode CloudEvent, a JSON
// object with the keys, in this order: specversion ("1.0"), id, source
// ("jmlwatch"), type, subject, time, datacontenttype ("application/json"),
// partitionkey (= subject, the CloudEvents partitioning extension) and
// data. Every timestamp, in the envelope and in data, is written in UTC as
// time.RFC3339Nano ("2026-01-02T03:04:05.5Z"); data keys follow the order
// of the *Data struct fields, so the output is byte-for-byte a function of
// o. Strings are escaped as encoding/json escapes them.
//
// o.Data must be one of this package's *Data structs (pointer or value)
// matching o.Type. It fails when o.ID, o.Type or o.Subject is empty, when
// Data does not match Type, or when a number in Data is NaN or infinite.
func EncodeStructured(o Output) ([]byte, error) {
	if err := checkOutput(o); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 640)
	b = append(b, `{"specversion":"1.0","id":`...)
	b = appendString(b, o.ID)
	b = append(b, `,"source":"`+OutputSource+`","type":`...)
	b = appendString(b, o.Type)
	b = append(b, `,"subject":`...)
	b = appendString(b, o.Subject)
	b = append(b, `,"time":`...)
	b = appendTime(b, o.Time)
	b = append(b, `,"datacontenttype":"`+ContentTypeJSON+`","partitionkey":`...)
	b = appendString(b, o.Subject)
	b = append(b, `,"data":`...)
	b, err := appendOutputData(b, o.Type, o.Data)
	if err != nil {
		return nil, fmt.Errorf("encoding %s %s: %w", o.Type, o.ID, err)
	}
	return append(b, '}'), nil
}

// EncodeBinary encodes o in the Kafka binary content mode: the headers
// ce_specversion, ce_id, ce_source, ce_type, ce_subject, ce_time (UTC,
// time.RFC3339Nano), ce_partitionkey and content-type: application/json,
// in that order, and value = the data JSON exactly as EncodeStructured
// writes it. It fails as EncodeStructured does. The Kafka record key is
// o.Subject; setting it is the caller's job.
func EncodeBinary(o Output) (headers []Header, value []byte, err error) {
	if err := checkOutput(o); err != nil {
		return nil, nil, err
	}
	value, err = appendOutputData(make([]byte, 0, 512), o.Type, o.Data)
	if err != nil {
		return nil, nil, fmt.Errorf("encoding %s %s: %w", o.Type, o.ID, err)
	}
	// All header values share one buffer: one allocation, not eight.
	buf := make([]byte, 0, len(SpecVersion)+len(o.ID)+len(OutputSource)+len(o.Type)+
		2*len(o.Subject)+len(time.RFC3339Nano)+len(ContentTypeJSON))
	val := func(s string) []byte {
		start := len(buf)
		buf = append(buf, s...)
		return buf[start:len(buf):len(buf)]
	}
	headers = make([]Header, 0, 8)
	headers = append(headers,
		Header{Key: "ce_specversion", Value: val(SpecVersion)},
		Header{Key: "ce_id", Value: val(o.ID)},
		Header{Key: "ce_source", Value: val(OutputSource)},
		Header{Key: "ce_type", Value: val(o.Type)},
		Header{Key: "ce_subject", Value: val(o.Subject)})
	start := len(buf)
	buf = o.Time.UTC().AppendFormat(buf, time.RFC3339Nano)
	headers = append(headers,
		Header{Key: "ce_time", Value: buf[start:len(buf):len(buf)]},
		Header{Key: "ce_partitionkey", Value: val(o.Subject)},
		Header{Key: "content-type", Value: val(ContentTypeJSON)})
	return headers, value, nil
}

// checkOutput checks what a valid CloudEvent needs of an Output.
func checkOutput(o Output) error {
	switch {
	case o.ID == "":
		return fmt.Errorf("encoding %s output: empty id", o.Type)
	case o.Type == "":
		return fmt.Errorf("encoding output %s: empty type", o.ID)
	case o.Subject == "":
		return fmt.Errorf("encoding %s %s: empty subject", o.Type, o.ID)
	}
	return nil
}

// errDataType is returned when Output.Data does not match Output.Type.
var errDataType = errors.New("data does not match the event type")

// appendOutputData appends the JSON of an output's data.
func appendOutputData(b []byte, typ string, data any) ([]byte, error) {
	switch d := data.(type) {
	case CaseOpenedData:
		data = &d
	case StepAddedData:
		data = &d
	case StepCompletedData:
		data = &d
	case CaseCompletedData:
		data = &d
	case CaseCancelledData:
		data = &d
	case SLAData:
		data = &d
	case OrphanDetectedData:
		data = &d
	case AccountUnownedData:
		data = &d
	}
	mismatch := func() ([]byte, error) {
		return nil, fmt.Errorf("%w: %T for %s", errDataType, data, typ)
	}
	switch d := data.(type) {
	case *CaseOpenedData:
		if typ != TypeCaseOpened || d == nil {
			return mismatch()
		}
		return d.appendJSON(b), nil
	case *StepAddedData:
		if typ != TypeStepAdded || d == nil {
			return mismatch()
		}
		return d.appendJSON(b), nil
	case *StepCompletedData:
		if typ != TypeStepCompleted || d == nil {
			return mismatch()
		}
		return d.appendJSON(b)
	case *CaseCompletedData:
		if typ != TypeCaseCompleted || d == nil {
			return mismatch()
		}
		return d.appendJSON(b)
	case *CaseCancelledData:
		if typ != TypeCaseCancelled || d == nil {
			return mismatch()
		}
		return d.appendJSON(b), nil
	case *SLAData:
		if (typ != TypeSLAWarning && typ != TypeSLABreached) || d == nil {
			return mismatch()
		}
		return d.appendJSON(b), nil
	case *OrphanDetectedData:
		if typ != TypeOrphanDetected || d == nil {
			return mismatch()
		}
		return d.appendJSON(b), nil
	case *AccountUnownedData:
		if typ != TypeAccountUnowned || d == nil {
			return mismatch()
		}
		return d.appendJSON(b), nil
	}
	return mismatch()
}

// objWriter appends the members of one JSON object.
type objWriter struct {
	b     []byte
	count int
}

func (w *objWriter) key(k string) {
	if w.count == 0 {
		w.b = append(w.b, '{')
	} else {
		w.b = append(w.b, ',')
	}
	w.count++
	w.b = append(w.b, '"')
	w.b = append(w.b, k...) // keys are constants that need no escaping
	w.b = append(w.b, '"', ':')
}

func (w *objWriter) str(k, v string)            { w.key(k); w.b = appendString(w.b, v) }
func (w *objWriter) time(k string, v time.Time) { w.key(k); w.b = appendTime(w.b, v) }
func (w *objWriter) boolean(k string, v bool)   { w.key(k); w.b = strconv.AppendBool(w.b, v) }
func (w *objWriter) int(k string, v int)        { w.key(k); w.b = strconv.AppendInt(w.b, int64(v), 10) }

func (w *objWriter) float(k string, v float64) error {
	w.key(k)
	var err error
	w.b, err = appendFloat(w.b, v)
	return err
}

func (w *objWriter) end() []byte {
	if w.count == 0 {
		return append(w.b, '{', '}')
	}
	return append(w.b, '}')
}

func (s *StepInfo) appendMembers(w *objWriter) {
	w.str("step_id", s.StepID)
	w.str("system", s.System)
	w.str("action", s.Action)
	w.str("target", s.Target)
	w.str("tier", s.Tier)
	w.time("deadline", s.Deadline)
}

// appendJSON writes steps as [] rather than null when there are none.
func (d *CaseOpenedData) appendJSON(b []byte) []byte {
	w := objWriter{b: b}
	w.str("case_id", d.CaseID)
	w.str("worker_id", d.WorkerID)
	w.str("kind", string(d.Kind))
	w.time("effective_at", d.EffectiveAt)
	w.time("recorded_at", d.RecordedAt)
	w.key("steps")
	w.b = append(w.b, '[')
	for i := range d.Steps {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		sw := objWriter{b: w.b}
		d.Steps[i].appendMembers(&sw)
		w.b = sw.end()
	}
	w.b = append(w.b, ']')
	return w.end()
}

func (d *StepAddedData) appendJSON(b []byte) []byte {
	w := objWriter{b: b}
	w.str("case_id", d.CaseID)
	w.str("worker_id", d.WorkerID)
	w.str("kind", string(d.Kind))
	w.time("effective_at", d.EffectiveAt)
	d.StepInfo.appendMembers(&w)
	return w.end()
}

func (d *StepCompletedData) appendJSON(b []byte) ([]byte, error) {
	w := objWriter{b: b}
	w.str("case_id", d.CaseID)
	w.str("step_id", d.StepID)
	w.str("worker_id", d.WorkerID)
	w.str("kind", string(d.Kind))
	w.str("system", d.System)
	w.str("action", d.Action)
	w.str("target", d.Target)
	w.str("tier", d.Tier)
	w.time("effective_at", d.EffectiveAt)
	w.time("completed_at", d.CompletedAt)
	if err := w.float("latency_seconds", d.LatencySeconds); err != nil {
		return nil, err
	}
	w.time("deadline", d.Deadline)
	w.boolean("within_sla", d.WithinSLA)
	w.boolean("breached_before", d.BreachedBefore)
	return w.end(), nil
}

func (d *CaseCompletedData) appendJSON(b []byte) ([]byte, error) {
	w := objWriter{b: b}
	w.str("case_id", d.CaseID)
	w.str("worker_id", d.WorkerID)
	w.str("kind", string(d.Kind))
	w.time("effective_at", d.EffectiveAt)
	w.time("completed_at", d.CompletedAt)
	if err := w.float("latency_seconds", d.LatencySeconds); err != nil {
		return nil, err
	}
	w.boolean("within_sla", d.WithinSLA)
	w.int("steps", d.Steps)
	w.int("breached_steps", d.BreachedSteps)
	return w.end(), nil
}

func (d *CaseCancelledData) appendJSON(b []byte) []byte {
	w := objWriter{b: b}
	w.str("case_id", d.CaseID)
	w.str("worker_id", d.WorkerID)
	w.str("kind", string(d.Kind))
	w.str("reason", d.Reason)
	return w.end()
}

func (d *SLAData) appendJSON(b []byte) []byte {
	w := objWriter{b: b}
	w.str("case_id", d.CaseID)
	w.str("step_id", d.StepID)
	w.str("worker_id", d.WorkerID)
	w.str("kind", string(d.Kind))
	w.str("system", d.System)
	w.str("action", d.Action)
	w.str("target", d.Target)
	w.str("tier", d.Tier)
	w.time("effective_at", d.EffectiveAt)
	w.time("deadline", d.Deadline)
	return w.end()
}

func (d *OrphanDetectedData) appendJSON(b []byte) []byte {
	w := objWriter{b: b}
	w.str("case_id", d.CaseID)
	w.str("worker_id", d.WorkerID)
	w.str("kind", string(d.Kind))
	w.str("system", d.System)
	w.str("account_id", d.AccountID)
	w.time("left_at", d.LeftAt)
	return w.end()
}

func (d *AccountUnownedData) appendJSON(b []byte) []byte {
	w := objWriter{b: b}
	w.str("system", d.System)
	w.str("account_id", d.AccountID)
	w.str("login", d.Login) // always present: SPEC 7 lists it ("" when no record named one)
	w.time("first_seen", d.FirstSeen)
	return w.end()
}

// appendTime appends t in UTC as a JSON string in time.RFC3339Nano.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// appendFloat appends f as encoding/json does (shortest representation,
// exponent form below 1e-6 and from 1e21).
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("unsupported number %v", f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped exactly as
// encoding/json.Marshal escapes it (HTML characters, U+2028 and U+2029 as
// \u escapes; invalid UTF-8 as U+FFFD), so output never needs a second
// opinion.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// EncodeInput encodes a canonical input event in the structured mode, the
// form DecodeStructured reads: specversion, id, source, type, time (UTC,
// time.RFC3339Nano), datacontenttype application/json, and data (the set
// data struct, as encoding/json writes it; effective_at as a date or an
// instant). Generators and tests use it; it fails when the data struct
// that Type needs is not set.
func EncodeInput(in *Input) ([]byte, error) {
	cat, ok := CategoryOf(in.Type)
	if !ok {
		return nil, fmt.Errorf("encoding input %s: unknown type %q", in.ID, in.Type)
	}
	var data any
	switch {
	case cat == CategoryHR && in.HR != nil:
		data = in.HR
	case cat == CategoryAccount && in.Account != nil:
		data = in.Account
	case cat == CategoryNHI && in.NHI != nil:
		data = in.NHI
	case cat == CategoryTicket && in.Ticket != nil:
		data = in.Ticket
	default:
		return nil, fmt.Errorf("encoding input %s: no data for type %s", in.ID, in.Type)
	}
	d, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encoding input %s: %w", in.ID, err)
	}
	b := make([]byte, 0, 256+len(d))
	b = append(b, `{"specversion":"1.0","id":`...)
	b = appendString(b, in.ID)
	b = append(b, `,"source":`...)
	b = appendString(b, in.Source)
	b = append(b, `,"type":`...)
	b = appendString(b, in.Type)
	b = append(b, `,"time":`...)
	b = appendTime(b, in.Time)
	b = append(b, `,"datacontenttype":"`+ContentTypeJSON+`","data":`...)
	b = append(b, d...)
	return append(b, '}'), nil
}
