package schemas

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// sampleOutputs returns one Output of each output type, as the correlator
// would emit them, including the edge values: a negative latency, a
// fractional-second time, a step with target "*", an unowned account
// without a login.
func sampleOutputs() []events.Output {
	eff := time.Date(2026, 3, 31, 22, 0, 0, 0, time.UTC)
	due := eff.Add(24 * time.Hour)
	local := time.FixedZone("CET", 3600)
	step := events.StepInfo{StepID: "revoke:okta:00u1", System: "okta", Action: events.ActionRevoke,
		Target: "00u1", Tier: events.TierStandard, Deadline: due}
	return []events.Output{
		{ID: "o1", Type: events.TypeCaseOpened, Time: eff.Add(-time.Hour), Subject: "W1", Data: &events.CaseOpenedData{
			CaseID: "c1", WorkerID: "W1", Kind: events.KindLeaver, EffectiveAt: eff, RecordedAt: eff.Add(-time.Hour),
			Steps: []events.StepInfo{step, {StepID: "revoke:aws-prod:*", System: "aws-prod", Action: events.ActionRevoke,
				Target: "*", Tier: events.TierPrivileged, Deadline: eff.Add(4 * time.Hour)}}}},
		{ID: "o1b", Type: events.TypeCaseOpened, Time: eff, Subject: "W9", Data: events.CaseOpenedData{
			CaseID: "c9", WorkerID: "W9", Kind: events.KindJoiner, EffectiveAt: eff, RecordedAt: eff, Steps: []events.StepInfo{}}},
		{ID: "o2", Type: events.TypeStepAdded, Time: eff.Add(2 * time.Hour).In(local), Subject: "W1", Data: &events.StepAddedData{
			CaseID: "c1", WorkerID: "W1", Kind: events.KindLeaver, EffectiveAt: eff,
			StepInfo: events.StepInfo{StepID: "revoke:okta:00u1#2", System: "okta", Action: events.ActionRevoke,
				Target: "00u1", Tier: events.TierStandard, Deadline: due}}},
		{ID: "o3", Type: events.TypeStepCompleted, Time: eff.Add(-90 * time.Second), Subject: "W1", Data: &events.StepCompletedData{
			CaseID: "c1", StepID: step.StepID, WorkerID: "W1", Kind: events.KindLeaver, System: "okta",
			Action: events.ActionRevoke, Target: "00u1", Tier: events.TierStandard, EffectiveAt: eff,
			CompletedAt: eff.Add(-90 * time.Second), LatencySeconds: -90, Deadline: due, WithinSLA: true}},
		{ID: "o4", Type: events.TypeCaseCompleted, Time: eff.Add(5*time.Hour + 500*time.Millisecond), Subject: "W1",
			Data: &events.CaseCompletedData{CaseID: "c1", WorkerID: "W1", Kind: events.KindLeaver, EffectiveAt: eff,
				CompletedAt: eff.Add(5*time.Hour + 500*time.Millisecond), LatencySeconds: 18000.5, WithinSLA: false,
				Steps: 2, BreachedSteps: 1}},
		{ID: "o5", Type: events.TypeCaseCancelled, Time: eff, Subject: "W2", Data: &events.CaseCancelledData{
			CaseID: "c2", WorkerID: "W2", Kind: events.KindMover, Reason: events.CancelSuperseded}},
		{ID: "o6", Type: events.TypeSLAWarning, Time: eff.Add(12 * time.Hour), Subject: "W1", Data: &events.SLAData{
			CaseID: "c1", StepID: step.StepID, WorkerID: "W1", Kind: events.KindLeaver, System: "okta",
			Action: events.ActionRevoke, Target: "00u1", Tier: events.TierStandard, EffectiveAt: eff, Deadline: due}},
		{ID: "o7", Type: events.TypeSLABreached, Time: eff.Add(4 * time.Hour), Subject: "W3", Data: &events.SLAData{
			CaseID: "c3", StepID: "nhi:aws-prod:svc-1", WorkerID: "W3", Kind: events.KindLeaver, System: "aws-prod",
			Action: events.ActionNHI, Target: "svc-1", Tier: events.TierPrivileged, EffectiveAt: eff, Deadline: eff.Add(4 * time.Hour)}},
		{ID: "o8", Type: events.TypeOrphanDetected, Time: eff.Add(48 * time.Hour), Subject: "W1", Data: &events.OrphanDetectedData{
			CaseID: "c1", WorkerID: "W1", Kind: events.KindLeaver, System: "salesforce", AccountID: "0055e0000",
			LeftAt: eff}},
		{ID: "o9", Type: events.TypeAccountUnowned, Time: eff, Subject: "okta/00u7", Data: &events.AccountUnownedData{
			System: "okta", AccountID: "00u7", Login: "ghost@example.com", FirstSeen: eff.Add(-time.Hour)}},
		{ID: "o10", Type: events.TypeAccountUnowned, Time: eff, Subject: "github/4711", Data: &events.AccountUnownedData{
			System: "github", AccountID: "4711", FirstSeen: eff}},
	}
}

// TestEncodedOutputs: every output the encoder writes validates against
// the schema of its type, and partitionkey equals subject (which JSON
// Schema cannot express).
func TestEncodedOutputs(t *testing.T) {
	s := compile(t)
	seen := map[string]bool{}
	for _, o := range sampleOutputs() {
		b, err := events.EncodeStructured(o)
		if err != nil {
			t.Fatalf("EncodeStructured(%s): %v", o.ID, err)
		}
		if rej := s.CheckOutput(b); rej != nil {
			t.Errorf("%s %s: %v\n%s", o.Type, o.ID, rej, b)
		}
		var env struct{ Subject, PartitionKey string }
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		if env.Subject != o.Subject || env.PartitionKey != o.Subject {
			t.Errorf("%s: subject %q, partitionkey %q, want %q", o.ID, env.Subject, env.PartitionKey, o.Subject)
		}
		seen[o.Type] = true
		// An output is not an input: the input check must refuse it as
		// the decoder does.
		if rej := s.CheckInput(b); rej == nil || rej.Code != events.ReasonUnknownType {
			t.Errorf("%s as input: %v, want unknown_type", o.ID, rej)
		}
	}
	for _, typ := range outputTypes {
		if !seen[typ] {
			t.Errorf("no sample output of %s", typ)
		}
	}
}

// TestOutputSchemaRejects: the output schemas are not vacuous.
func TestOutputSchemaRejects(t *testing.T) {
	s := compile(t)
	good, err := events.EncodeStructured(sampleOutputs()[3]) // step.completed
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"source", `"source":"jmlwatch"`, `"source":"hr"`, "bad_value: source"},
		{"no subject", `"subject":"W1",`, ``, "missing_field: subject"},
		{"local time", `"time":"2026-03-31T21:58:30Z"`, `"time":"2026-03-31T22:58:30+01:00"`, "bad_timestamp: time"},
		{"kind", `"kind":"leaver"`, `"kind":"nhi"`, "bad_value: data.kind"},
		{"action", `"action":"revoke"`, `"action":"remove"`, "bad_value: data.action"},
		{"tier", `"tier":"standard"`, `"tier":"gold"`, "bad_value: data.tier"},
		{"latency", `"latency_seconds":-90`, `"latency_seconds":"-90"`, "bad_value: data.latency_seconds"},
		{"within_sla", `"within_sla":true,`, ``, "missing_field: data.within_sla"},
	} {
		mutated := strings.Replace(string(good), tc.old, tc.new, 1)
		if mutated == string(good) {
			t.Fatalf("%s: %q not in %s", tc.name, tc.old, good)
		}
		if got := reasonOf(s.CheckOutput([]byte(mutated))); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// TestDecoderGoldenOutputs validates the encoder's golden file in
// events/testdata, when there is one.
func TestDecoderGoldenOutputs(t *testing.T) {
	s := compile(t)
	files := glob(t, filepath.Join("..", "events", "testdata", "output*.jsonl"))
	if len(files) == 0 {
		t.Skip("no events/testdata/output*.jsonl")
	}
	for _, f := range files {
		for _, rec := range readRecords(t, f) {
			if rej := s.CheckOutput(rec.value); rej != nil {
				t.Errorf("%s: %v", rec.name, rej)
			}
		}
	}
}
