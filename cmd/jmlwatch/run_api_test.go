package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/jmlwatch/jmlwatch/processor/broker"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/runtime"
)

const runTestPolicy = `joiner: {systems: [okta]}
slas:
  - {kind: joiner, deadline: 24h}
  - {kind: mover, deadline: 72h}
  - {kind: leaver, deadline: 24h}
  - {kind: nhi, deadline: 168h}
`

const runTestJoiner = `{"specversion":"1.0","id":"hire-1","source":"hr","type":"io.jmlwatch.hr.joiner",` +
	`"time":"2026-01-05T09:00:00Z","datacontenttype":"application/json",` +
	`"data":{"worker_id":"W1","email":"ada@example.com","effective_at":"2026-01-05T09:00:00Z","department":"Engineering"}}`

// TestRunServesAPIAndDashboard starts an in-process broker and the runtime
// with the handler `jmlwatch run` wires (apiHandler, httpToken), feeds one
// joiner, and checks what each HTTP path serves, with and without
// http_token_env.
func TestRunServesAPIAndDashboard(t *testing.T) {
	for _, tc := range []struct {
		name  string
		token string // "" : no http_token_env
	}{
		{"no token", ""},
		{"token", "s3cret-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			b, err := broker.Start(ctx, broker.Options{Topics: []string{"hr"}})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()

			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(runTestPolicy), 0o644); err != nil {
				t.Fatal(err)
			}
			conf := "brokers: [" + b.Addr() + "]\nstate_dir: state\npolicy: policy.yaml\nclock: event\ninputs: [{topic: hr}]\n"
			if tc.token != "" {
				t.Setenv("JMLWATCH_TEST_HTTP_TOKEN", tc.token)
				conf += "http_token_env: JMLWATCH_TEST_HTTP_TOKEN\n"
			}
			cpath := filepath.Join(dir, "jmlwatch.yaml")
			if err := os.WriteFile(cpath, []byte(conf), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := runtime.LoadConfig(cpath)
			if err != nil {
				t.Fatal(err)
			}
			pol, err := policy.Load(cfg.Policy)
			if err != nil {
				t.Fatal(err)
			}
			if got := httpToken(cfg, os.Getenv); got != tc.token {
				t.Fatalf("httpToken = %q, want %q", got, tc.token)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			rt, err := runtime.New(runtime.Options{Config: cfg, Policy: pol, Listener: ln,
				Handler: apiHandler(pol, httpToken(cfg, os.Getenv))})
			if err != nil {
				ln.Close()
				t.Fatal(err)
			}
			rctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- rt.Run(rctx) }()
			defer func() {
				stop()
				if err := <-done; err != nil {
					t.Errorf("Run: %v", err)
				}
			}()
			produce(t, ctx, b.Addr(), "hr", runTestJoiner)

			base := "http://" + rt.HTTPAddr()
			auth := ""
			if tc.token != "" {
				auth = "Bearer " + tc.token
			}
			// Poll the API until the joiner's case is visible.
			var page struct {
				Cases []struct {
					CaseID   string `json:"case_id"`
					WorkerID string `json:"worker_id"`
					State    string `json:"state"`
				} `json:"cases"`
			}
			for {
				status, ctype, body := get(t, base+"/api/v1/cases?state=open", auth)
				if status != http.StatusOK || !strings.HasPrefix(ctype, "application/json") {
					t.Fatalf("/api/v1/cases: status %d, content type %q, body %s", status, ctype, body)
				}
				if err := json.Unmarshal(body, &page); err != nil {
					t.Fatalf("/api/v1/cases: %v: %s", err, body)
				}
				if len(page.Cases) > 0 {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("the joiner's case never showed in /api/v1/cases (last body %s)", body)
				case <-time.After(20 * time.Millisecond):
				}
			}
			if c := page.Cases[0]; len(page.Cases) != 1 || c.WorkerID != "W1" || c.State != "open" {
				t.Errorf("/api/v1/cases = %+v, want one open case of W1", page.Cases)
			}

			status, ctype, body := get(t, base+"/", "")
			if status != http.StatusOK || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(strings.ToLower(string(body)), "<html") {
				t.Errorf("/: status %d, content type %q, body starts %.80q", status, ctype, body)
			}
			for _, open := range []string{"/healthz", "/metrics"} {
				if status, _, body := get(t, base+open, ""); status != http.StatusOK {
					t.Errorf("%s without a token: status %d: %s", open, status, body)
				}
			}
			if status, _, body := get(t, base+"/readyz", ""); status == http.StatusUnauthorized {
				t.Errorf("/readyz asked for a token: %s", body)
			}
			if tc.token != "" {
				for _, bad := range []string{"", "Bearer wrong", "Basic " + tc.token} {
					if status, _, body := get(t, base+"/api/v1/cases", bad); status != http.StatusUnauthorized {
						t.Errorf("/api/v1/cases with Authorization %q: status %d, want 401: %s", bad, status, body)
					}
				}
			}
		})
	}
}

// get GETs url with an Authorization header when auth is not empty.
func get(t *testing.T, url, auth string) (status int, contentType string, body []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// produce writes values to topic, retrying while the topic is being
// created.
func produce(t *testing.T, ctx context.Context, addr, topic string, values ...string) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(addr), Topic: topic, AllowAutoTopicCreation: true,
		BatchTimeout: time.Millisecond, RequiredAcks: kafka.RequireAll}
	defer w.Close()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Value: []byte(v), Headers: []kafka.Header{{Key: "content-type", Value: []byte("application/cloudevents+json")}}}
	}
	for {
		err := w.WriteMessages(ctx, msgs...)
		if err == nil {
			return
		}
		if ctx.Err() != nil || !errors.Is(err, kafka.UnknownTopicOrPartition) && !strings.Contains(err.Error(), "Leader Not Available") {
			t.Fatalf("producing to %s: %v", topic, err)
		}
	}
}
