package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// getJSON GETs url into v and returns the status code.
func getJSON(t *testing.T, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: decoding: %v", url, err)
	}
	return resp.StatusCode
}

// TestDemoServesAPopulatedDashboard runs the whole demo (broker, feed,
// runtime, API) and polls the API until cases are open and steps overdue,
// then stops it and checks everything it started is gone.
func TestDemoServesAPopulatedDashboard(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // the demo's state directory goes here
	// Occupy a port so that both the dashboard and the broker must move.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	out := &syncBuf{}
	errc := make(chan error, 1)
	go func() {
		errc <- Run(ctx, Options{Workers: 300, Days: 30, Speed: 30 * 86400, Addr: busy.Addr().String(),
			BrokerAddr: busy.Addr().String(), Out: out, Interval: 50 * time.Millisecond,
			Ready: func(u string) { urls <- u }})
	}()
	var url string
	select {
	case url = <-urls:
	case err := <-errc:
		t.Fatalf("Run: %v", err)
	}
	if strings.Contains(url, busy.Addr().String()) {
		t.Fatalf("demo served on the busy address %s", url)
	}
	m := regexp.MustCompile(`broker at (127\.0\.0\.1:\d+)`).FindStringSubmatch(out.String())
	if m == nil || m[1] == busy.Addr().String() {
		t.Fatalf("no broker address, or the busy one, in the output: %q", out.String())
	}
	brokerAddr := m[1]
	if entries, _ := os.ReadDir(tmp); len(entries) != 1 {
		t.Errorf("want one state directory under TMPDIR while running, got %v", entries)
	}

	deadline := time.Now().Add(60 * time.Second)
	for {
		var cases struct {
			Cases []struct {
				State string `json:"state"`
			} `json:"cases"`
		}
		var d struct {
			OpenCases int   `json:"open_cases"`
			Stalled   []any `json:"stalled"`
		}
		if st := getJSON(t, url+"api/v1/cases?state=open", &cases); st != http.StatusOK {
			t.Fatalf("/api/v1/cases: status %d", st)
		}
		if st := getJSON(t, url+"api/v1/dashboard", &d); st != http.StatusOK {
			t.Fatalf("/api/v1/dashboard: status %d", st)
		}
		if len(cases.Cases) > 0 && d.OpenCases > 0 && len(d.Stalled) > 0 {
			if cases.Cases[0].State != "open" {
				t.Errorf("?state=open listed a %s case", cases.Cases[0].State)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dashboard not populated within a minute: %d open cases listed, dashboard %+v\n%s", len(cases.Cases), d, out.String())
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not synchronisation
	}
	// The summary line catches up with the state it reads.
	sumRE := regexp.MustCompile(`day \d+/30  records [1-9]\d* \(fed [1-9]\d*\)  open cases [1-9]\d*  breaches \d+`)
	for !sumRE.MatchString(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no summary line with records and open cases: %q", out.String())
		}
		time.Sleep(50 * time.Millisecond) // polling interval
	}

	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30s of cancel")
	}
	if s := out.String(); !strings.Contains(s, "dashboard at "+url) || !strings.Contains(s, "stopping") {
		t.Errorf("output lacks the URL or the stop line: %q", s)
	}
	if _, err := http.Get(url + "healthz"); err == nil {
		t.Errorf("%s still serves after Run returned", url)
	}
	if c, err := net.Dial("tcp", brokerAddr); err == nil {
		c.Close()
		t.Errorf("broker %s still listens after Run returned", brokerAddr)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("state directory left behind: %v", entries)
	}
}

func TestListenMovesToTheNextFreePort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ln, err := listen(busy.Addr().String())
	if err != nil {
		t.Skipf("no free port after %s: %v", busy.Addr(), err)
	}
	defer ln.Close()
	bp := busy.Addr().(*net.TCPAddr).Port
	if p := ln.Addr().(*net.TCPAddr).Port; p <= bp || p > bp+portTries {
		t.Errorf("listen(%s) took port %d, want one of the next %d", busy.Addr(), p, portTries)
	}
	for _, bad := range []string{"nohost", "127.0.0.1:x", "127.0.0.1:70000"} {
		if ln, err := listen(bad); err == nil {
			ln.Close()
			t.Errorf("listen(%q) succeeded", bad)
		}
	}
}
