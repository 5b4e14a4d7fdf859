package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/input"
)

// jmlwatch runs the command line in-process and returns its exit status,
// stdout and stderr.
func jmlwatch(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func td(name string) string { return filepath.Join("testdata", "validate", name) }

// summaryRow returns the counts of the summary row of file in stdout.
func summaryRow(t *testing.T, stdout, file string) string {
	t.Helper()
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == file {
			return strings.Join(f[1:], " ")
		}
	}
	t.Fatalf("no summary row for %s in:\n%s", file, stdout)
	return ""
}

// rejections returns the "path:line: code: field" prefixes of the stderr
// lines that report a rejected record.
func rejections(stderr string) []string {
	re := regexp.MustCompile(`^([^:\s]+:\d+: [a-z_]+(: [a-zA-Z0-9_.\[\]]+)?):`)
	var out []string
	for _, line := range strings.Split(stderr, "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			out = append(out, m[1])
		}
	}
	return out
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		rejected []string          // stderr prefixes, in order
		rows     map[string]string // file -> "format records valid skipped rejected"
		total    string
	}{
		{
			name:  "all good",
			args:  []string{td("good.jsonl")},
			rows:  map[string]string{td("good.jsonl"): "cloudevents 3 3 0 0"},
			total: "3 3 0 0",
		},
		{
			name: "rejections are listed with their line; exit 0",
			args: []string{td("mixed.jsonl")},
			rejected: []string{
				td("mixed.jsonl") + ":3: bad_json",
				td("mixed.jsonl") + ":4: missing_field: data.worker_id",
				td("mixed.jsonl") + ":5: unknown_type: type",
				td("mixed.jsonl") + ":6: bad_timestamp: time",
			},
			rows:  map[string]string{td("mixed.jsonl"): "cloudevents 6 2 0 4"},
			total: "6 2 0 4",
		},
		{
			name:     "an element of a pretty array is reported where it starts",
			args:     []string{"cloudevents:" + td("batch.json")},
			rejected: []string{td("batch.json") + ":10: missing_field: data.entitlement"},
			rows:     map[string]string{td("batch.json"): "cloudevents 1 2 0 1"},
			total:    "1 2 0 1",
		},
		{
			name: "vendor formats: skipped records are counted, not listed",
			args: []string{"okta:" + td("okta.jsonl"), "entra:" + td("entra.json")},
			rejected: []string{
				td("okta.jsonl") + ":4: no_target: target",
				td("entra.json") + ":187: no_target: targetResources",
			},
			rows: map[string]string{
				td("okta.jsonl"): "okta 4 1 2 1",
				td("entra.json"): "entra 1 2 2 1",
			},
			total: "5 3 4 2",
		},
		{
			name: "--strict exits 1 after reading everything",
			args: []string{"--strict", td("mixed.jsonl"), td("good.jsonl")},
			code: 1,
			rejected: []string{
				td("mixed.jsonl") + ":3: bad_json",
				td("mixed.jsonl") + ":4: missing_field: data.worker_id",
				td("mixed.jsonl") + ":5: unknown_type: type",
				td("mixed.jsonl") + ":6: bad_timestamp: time",
			},
			rows:  map[string]string{td("mixed.jsonl"): "cloudevents 6 2 0 4", td("good.jsonl"): "cloudevents 3 3 0 0"},
			total: "9 5 0 4",
		},
		{
			name:  "--strict with nothing rejected exits 0",
			args:  []string{td("good.jsonl"), "--strict"},
			rows:  map[string]string{td("good.jsonl"): "cloudevents 3 3 0 0"},
			total: "3 3 0 0",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := jmlwatch(t, append([]string{"validate"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstderr:\n%s", code, tc.code, stderr)
			}
			if got := rejections(stderr); strings.Join(got, "\n") != strings.Join(tc.rejected, "\n") {
				t.Errorf("rejections:\n%s\nwant:\n%s\nstderr:\n%s", strings.Join(got, "\n"), strings.Join(tc.rejected, "\n"), stderr)
			}
			for file, want := range tc.rows {
				if got := summaryRow(t, stdout, file); got != want {
					t.Errorf("summary of %s: %q, want %q", file, got, want)
				}
			}
			if got := summaryRow(t, stdout, "total"); got != tc.total {
				t.Errorf("total: %q, want %q", got, tc.total)
			}
			if !strings.HasPrefix(stdout, "FILE") {
				t.Errorf("stdout does not start with the summary header:\n%s", stdout)
			}
		})
	}
}

func TestValidateUnreadableFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.jsonl")
	code, stdout, stderr := jmlwatch(t, "validate", missing, td("good.jsonl"))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr, missing) {
		t.Errorf("stderr does not name %s:\n%s", missing, stderr)
	}
	// The other file is still read and summarized.
	if got := summaryRow(t, stdout, td("good.jsonl")); got != "cloudevents 3 3 0 0" {
		t.Errorf("summary of the readable file: %q", got)
	}
}

func TestValidateUsage(t *testing.T) {
	for _, args := range [][]string{
		{"validate"},
		{"validate", "--strict"},
		{"validate", "--nope", td("good.jsonl")},
		{"validate", "--strict=maybe", td("good.jsonl")},
		{"validate", "xml:" + td("good.jsonl")},
		{"validate", "cloudevents:"},
	} {
		code, stdout, stderr := jmlwatch(t, args...)
		if code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if stdout != "" || !strings.Contains(stderr, "jmlwatch validate --help") {
			t.Errorf("%q: stdout %q, stderr %q: want only a message and a pointer to --help", args, stdout, stderr)
		}
	}
}

// TestParseSpecColonPaths: a prefix that is not a format is part of the
// path when that file exists.
func TestParseSpecColonPaths(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.WriteFile("xml:data.jsonl", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arg    string
		format input.Format
		path   string
	}{
		{"xml:data.jsonl", input.FormatCloudEvents, "xml:data.jsonl"},
		{"cloudevents:xml:data.jsonl", input.FormatCloudEvents, "xml:data.jsonl"},
		{"okta:logs.json", input.FormatOkta, "logs.json"},
		{"C:logs.json", input.FormatCloudEvents, "C:logs.json"},
	} {
		s, err := parseSpec(tc.arg)
		if err != nil || s.Format != tc.format || s.Path != tc.path {
			t.Errorf("parseSpec(%q) = %+v, %v; want %s:%s", tc.arg, s, err, tc.format, tc.path)
		}
	}
	code, stdout, _ := jmlwatch(t, "validate", "xml:data.jsonl")
	if code != 0 || summaryRow(t, stdout, "xml:data.jsonl") != "cloudevents 0 0 0 0" {
		t.Errorf("validate of an empty file named xml:data.jsonl: exit %d\n%s", code, stdout)
	}
}

func TestValidateHelp(t *testing.T) {
	code, stdout, _ := jmlwatch(t, "validate", "--help")
	if code != 0 || !strings.Contains(stdout, "validate [--strict] [FORMAT:]PATH...") || !strings.Contains(stdout, "--strict") {
		t.Errorf("exit %d, help:\n%s", code, stdout)
	}
}

// TestValidatorReportsSchemaFaults: a record the decoder accepts but the
// schema check refuses is rejected and listed too.
func TestValidatorReportsSchemaFaults(t *testing.T) {
	var stderr bytes.Buffer
	v := validator{
		check: func(raw []byte) *events.RejectError {
			if bytes.Contains(raw, []byte(`"okta-1"`)) {
				return events.Reject(events.ReasonBadValue, "data.login", "schema: made up for the test")
			}
			return nil
		},
		stderr: &stderr,
	}
	spec := mustSpec(t, td("good.jsonl"))
	st, err := v.file(spec, events.DecodeStructured)
	if err != nil {
		t.Fatal(err)
	}
	if st.records != 3 || st.valid != 2 || st.rejected != 1 {
		t.Errorf("counts %+v, want 3 records, 2 valid, 1 rejected", st)
	}
	want := td("good.jsonl") + ":2: bad_value: data.login: schema: made up for the test\n"
	if stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}

func mustSpec(t *testing.T, arg string) input.Spec {
	t.Helper()
	s, err := parseSpec(arg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
