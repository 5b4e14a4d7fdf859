package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// OutputDataFor returns a pointer to a new zero value of the data struct of
// output type typ (*CaseOpenedData for io.jmlwatch.case.opened, *SLAData
// for both SLA types, ...), or nil when typ is not an output type.
func OutputDataFor(typ string) any {
	switch typ {
	case TypeCaseOpened:
		return new(CaseOpenedData)
	case TypeStepAdded:
		return new(StepAddedData)
	case TypeStepCompleted:
		return new(StepCompletedData)
	case TypeCaseCompleted:
		return new(CaseCompletedData)
	case TypeCaseCancelled:
		return new(CaseCancelledData)
	case TypeSLAWarning, TypeSLABreached:
		return new(SLAData)
	case TypeOrphanDetected:
		return new(OrphanDetectedData)
	case TypeAccountUnowned:
		return new(AccountUnownedData)
	}
	return nil
}

// outputEnvelope is a structured output event as read back.
type outputEnvelope struct {
	SpecVersion string          `json:"specversion"`
	ID          string          `json:"id"`
	Source      string          `json:"source"`
	Type        string          `json:"type"`
	Subject     string          `json:"subject"`
	Time        string          `json:"time"`
	Data        json.RawMessage `json:"data"`
}

// DecodeOutput parses one structured-mode output event (as EncodeStructured
// writes it, one line of a replay output file) back into an Output whose
// Data is a pointer to the typed struct (see OutputDataFor). Timestamps
// come back in UTC. It fails on bad JSON, a specversion other than 1.0, an
// empty id, an unknown output type, a bad time, or data that does not fit
// the type's struct. It is not on a hot path and uses encoding/json.
func DecodeOutput(value []byte) (Output, error) {
	var env outputEnvelope
	if err := json.Unmarshal(value, &env); err != nil {
		return Output{}, fmt.Errorf("decoding output event: %w", err)
	}
	if env.SpecVersion != SpecVersion {
		return Output{}, fmt.Errorf("decoding output event %s: specversion %q, want %q", env.ID, env.SpecVersion, SpecVersion)
	}
	return decodeOutput(env.ID, env.Type, env.Subject, env.Time, env.Data)
}

// DecodeOutputBinary parses one binary-mode output record (as EncodeBinary
// writes it) back into an Output, as DecodeOutput does.
func DecodeOutputBinary(headers []Header, value []byte) (Output, error) {
	var specVersion, id, typ, subject, tm string
	for _, h := range headers {
		switch strings.ToLower(h.Key) {
		case "ce_specversion":
			specVersion = string(h.Value)
		case "ce_id":
			id = string(h.Value)
		case "ce_type":
			typ = string(h.Value)
		case "ce_subject":
			subject = string(h.Value)
		case "ce_time":
			tm = string(h.Value)
		}
	}
	if specVersion != SpecVersion {
		return Output{}, fmt.Errorf("decoding output record %s: ce_specversion %q, want %q", id, specVersion, SpecVersion)
	}
	return decodeOutput(id, typ, subject, tm, value)
}

func decodeOutput(id, typ, subject, tm string, data []byte) (Output, error) {
	if id == "" {
		return Output{}, fmt.Errorf("decoding %s output event: empty id", typ)
	}
	d := OutputDataFor(typ)
	if d == nil {
		return Output{}, fmt.Errorf("decoding output event %s: unknown type %q", id, typ)
	}
	t, ok := parseRFC3339(tm)
	if !ok {
		return Output{}, fmt.Errorf("decoding output event %s: time %q is not rfc 3339", id, tm)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return Output{}, fmt.Errorf("decoding output event %s: no data", id)
	}
	if err := json.Unmarshal(data, d); err != nil {
		return Output{}, fmt.Errorf("decoding output event %s data: %w", id, err)
	}
	utcTimes(d)
	return Output{ID: id, Type: typ, Time: t, Subject: subject, Data: d}, nil
}

// utcTimes puts the timestamps of decoded output data in UTC, so that
// decoded values compare equal to what was encoded from UTC times.
func utcTimes(data any) {
	u := func(t *time.Time) { *t = t.UTC() }
	switch d := data.(type) {
	case *CaseOpenedData:
		u(&d.EffectiveAt)
		u(&d.RecordedAt)
		for i := range d.Steps {
			u(&d.Steps[i].Deadline)
		}
	case *StepAddedData:
		u(&d.EffectiveAt)
		u(&d.Deadline)
	case *StepCompletedData:
		u(&d.EffectiveAt)
		u(&d.CompletedAt)
		u(&d.Deadline)
	case *CaseCompletedData:
		u(&d.EffectiveAt)
		u(&d.CompletedAt)
	case *SLAData:
		u(&d.EffectiveAt)
		u(&d.Deadline)
	case *OrphanDetectedData:
		u(&d.LeftAt)
	case *AccountUnownedData:
		u(&d.FirstSeen)
	}
}
