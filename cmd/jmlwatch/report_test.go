package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const reportFixture = "../../processor/report/testdata/boundaries.jsonl"

func runReport(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"report"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	policyFile := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policyFile, []byte(`systems:
  okta: {tier: standard}
  aws-prod: {tier: privileged}
  salesforce: {tier: standard}
  payroll: {tier: privileged, manual: true}
slas:
  - {kind: joiner, deadline: 0s}
  - {kind: mover, deadline: 72h}
  - {kind: leaver, deadline: 24h}
  - {kind: nhi, deadline: 7d}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	badPolicy := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badPolicy, []byte("slas: []\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	badInput := filepath.Join(dir, "bad.jsonl")
	fixture, err := os.ReadFile(reportFixture)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badInput, append([]byte("{not json\n"), fixture...), 0o644); err != nil {
		t.Fatal(err)
	}
	period := []string{"--period", "2026-03-02/2026-03-09", "--baseline", "2026-02-23/2026-03-02"}

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // substring
		stderr string // substring; "" means empty
	}{
		{"table", append([]string{"--input", reportFixture}, period...), 0, "REGRESSED", ""},
		{"json", append([]string{"--input", reportFixture, "--format", "json"}, period...), 0, `"name": "breaches"`, ""},
		{"csv", append([]string{"--input", reportFixture, "--format", "csv"}, period...), 0, "period_from,period_to,", ""},
		{"default period", []string{"--input", reportFixture, "--timezone", "Europe/Berlin"}, 0, "2026-02-08T01:00:00+01:00", ""},
		{"skipped record", []string{"--input", badInput, "--format", "json"}, 0, `"metrics"`, "bad.jsonl:1: bad json"},
		{"no input", []string{"--period", "2026-03-02/2026-03-09"}, 2, "", "--input"},
		{"missing input", []string{"--input", filepath.Join(dir, "nope.jsonl")}, 2, "", "nope.jsonl"},
		{"config", []string{"--config", "run.yaml"}, 2, "", "not yet supported"},
		{"bad format", []string{"--input", reportFixture, "--format", "xml"}, 2, "", "--format"},
		{"bad period", []string{"--input", reportFixture, "--period", "2026-03-09/2026-03-02"}, 2, "", "--period"},
		{"bad baseline", []string{"--input", reportFixture, "--baseline", "last week"}, 2, "", "--baseline"},
		{"bad timezone", []string{"--input", reportFixture, "--timezone", "Mars/Olympus"}, 2, "", "--timezone"},
		{"bad policy", []string{"--input", reportFixture, "--policy", badPolicy}, 2, "", "bad.yaml"},
		{"arguments", []string{"--input", reportFixture, "extra"}, 2, "", "unknown command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runReport(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout lacks %q:\n%.2000s", tc.stdout, stdout)
			}
			if (tc.stderr == "") != (stderr == "") || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr = %q, want %q", stderr, tc.stderr)
			}
		})
	}

	t.Run("policy and output file", func(t *testing.T) {
		out := filepath.Join(dir, "report.json")
		args := append([]string{"--input", reportFixture, "--policy", policyFile, "--format", "json", "--output", out}, period...)
		if code, stdout, stderr := runReport(t, args...); code != 0 || stdout != "" || stderr != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Metrics []struct {
				Name     string   `json:"name"`
				Kind     *string  `json:"kind"`
				Value    *float64 `json:"value"`
				Baseline *float64 `json:"baseline"`
			} `json:"metrics"`
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range rep.Metrics {
			if m.Name == "integration_coverage_ratio" {
				found = true
				// okta and aws-prod of 4 policy systems in the period; okta in the baseline.
				if m.Value == nil || *m.Value != 0.5 || m.Baseline == nil || *m.Baseline != 0.25 {
					t.Errorf("integration_coverage_ratio = %v / %v, want 0.5 / 0.25", m.Value, m.Baseline)
				}
			}
		}
		if !found {
			t.Error("no integration_coverage_ratio row")
		}
	})

	t.Run("html", func(t *testing.T) {
		out := filepath.Join(dir, "report.html")
		if code, _, stderr := runReport(t, "--input", reportFixture, "--format", "html", "-o", out); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte(`<canvas id="weekly"`)) {
			t.Error("html report lacks its charts")
		}
	})
}
