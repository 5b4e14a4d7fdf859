package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ce renders one structured CloudEvent line.
func ce(typ, id, time string, data map[string]any) string {
	b, err := json.Marshal(map[string]any{
		"specversion": "1.0", "id": id, "source": "jmlwatch", "type": "io.jmlwatch." + typ,
		"time": time, "datacontenttype": "application/json", "data": data,
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// st is a step as in case.opened.
func st(id, system, action, tier, deadline string) map[string]any {
	return map[string]any{"step_id": id, "system": system, "action": action, "target": "*", "tier": tier, "deadline": deadline}
}

func opened(caseID, kind, eff, rec string, steps ...map[string]any) string {
	if steps == nil {
		steps = []map[string]any{}
	}
	return ce("case.opened", "o-"+caseID, rec, map[string]any{
		"case_id": caseID, "worker_id": "w-" + caseID, "kind": kind, "effective_at": eff, "recorded_at": rec, "steps": steps})
}

func completed(caseID, kind, eff string, step map[string]any, at string, within bool) string {
	d := map[string]any{"case_id": caseID, "worker_id": "w-" + caseID, "kind": kind, "effective_at": eff,
		"completed_at": at, "latency_seconds": 0, "within_sla": within, "breached_before": false}
	for k, v := range step {
		d[k] = v
	}
	return ce("step.completed", "s-"+caseID+"-"+step["step_id"].(string), at, d)
}

func caseDone(caseID, kind, eff, at string, within bool, steps int) string {
	return ce("case.completed", "c-"+caseID, at, map[string]any{"case_id": caseID, "worker_id": "w-" + caseID, "kind": kind,
		"effective_at": eff, "completed_at": at, "latency_seconds": 0, "within_sla": within, "steps": steps, "breached_steps": 0})
}

func breached(caseID, kind, eff string, step map[string]any) string {
	d := map[string]any{"case_id": caseID, "worker_id": "w-" + caseID, "kind": kind, "effective_at": eff}
	for k, v := range step {
		d[k] = v
	}
	return ce("sla.breached", "b-"+caseID+"-"+step["step_id"].(string), step["deadline"].(string), d)
}

func cancelled(caseID, kind, time string) string {
	return ce("case.cancelled", "x-"+caseID, time, map[string]any{"case_id": caseID, "worker_id": "w-" + caseID, "kind": kind, "reason": "rescinded"})
}

// writeInput writes lines to a temporary JSON Lines file.
func writeInput(t testing.TB, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
