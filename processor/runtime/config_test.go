package runtime

import (
	"errors"
	"github.com/jmlwatch/jmlwatch/events/input"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigGood(t *testing.T) {
	c, err := LoadConfig("testdata/full.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Brokers:  []string{"127.0.0.1:9092"},
		GroupID:  "jmlwatch",
		StateDir: filepath.Join("testdata", "state"),
		Policy:   filepath.Join("testdata", "policy.yaml"),
		HTTPAddr: "127.0.0.1:8080",
		Clock:    ClockWall,
		MaxIdle:  200 * time.Millisecond,
		Inputs: []Input{
			{Topic: "hr", Format: input.FormatCloudEvents},
			{Topic: "okta", Format: input.FormatOkta, MaxDelay: 5 * time.Minute},
			{Topic: "entra", Format: input.FormatEntra, MaxDelay: 10 * time.Minute},
		},
		Outputs: Outputs{EventsTopic: "jmlwatch.events", AlertsTopic: "jmlwatch.alerts", DLQTopic: "jmlwatch.dlq", Mode: ModeBinary},
		File:    "testdata/full.good.yml",
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}

	m, err := LoadConfig("testdata/minimal.good.yml")
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if m.GroupID != d.GroupID || m.Clock != ClockWall || m.MaxIdle != d.MaxIdle || m.Outputs != d.Outputs ||
		m.HTTPAddr != d.HTTPAddr || len(m.Inputs) != 1 || m.Inputs[0].Format != input.FormatCloudEvents {
		t.Errorf("defaults not applied: %+v", m)
	}
}

func TestLoadConfigBad(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"problems.bad.yml", []string{
			`brokers[0]: "nohostport" is not host:port (line 1)`,
			`clock: "sometimes": want wall or event (line 2)`,
			`max_idle: invalid duration`,
			`colour: unknown key (line 4)`,
			`inputs[0].format: "xml": want cloudevents, okta or entra (line 6)`,
			`inputs[1].topic: "hr" is already inputs[0] (line 7)`,
			`inputs[1].extra: unknown key (line 7)`,
			`outputs.events_topic: "hr" is also an input (inputs[0]): outputs would be read back (line 8)`,
			`outputs.dlq_topic: "jmlwatch.alerts" is also outputs.alerts_topic`,
			`outputs.mode: "avro": want binary or structured (line 8)`,
			`tls.enabled: must be true or false (line 9)`,
			`tls: cert_file and key_file go together (line 9)`,
			`sasl.mechanism: "GSSAPI": want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (line 10)`,
		}},
		{"not-mapping.bad.yml", []string{"a config must be a mapping"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			_, err := LoadConfig(filepath.Join("testdata", tt.file))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *ConfigError", err)
			}
			msg := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error lacks %q:\n%s", w, msg)
				}
			}
			for _, line := range strings.Split(msg, "\n") {
				if !strings.HasPrefix(line, filepath.Join("testdata", tt.file)+": ") {
					t.Errorf("line does not name the file: %q", line)
				}
			}
		})
	}
}

func TestParseConfigEnv(t *testing.T) {
	doc := []byte("inputs: [{topic: hr}]\nhttp_token_env: JMLW_TOKEN\nsasl: {mechanism: PLAIN, username: u, password_env: JMLW_PW}\n")
	env := map[string]string{}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	_, err := ParseConfig(doc, "c.yml", lookup)
	if err == nil || !strings.Contains(err.Error(), "http_token_env: environment variable JMLW_TOKEN is not set") ||
		!strings.Contains(err.Error(), "sasl.password_env: environment variable JMLW_PW is not set") {
		t.Fatalf("got %v", err)
	}
	env["JMLW_TOKEN"], env["JMLW_PW"] = "t", "p"
	if _, err := ParseConfig(doc, "c.yml", lookup); err != nil {
		t.Fatal(err)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig("testdata/nope.yml")
	var ce *ConfigError
	if err == nil || errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want a wrapped not-exist error", err)
	}
}
