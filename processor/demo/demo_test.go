package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
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

func TestDemoServesAPopulatedDashboard(t *testing.T) {
	// Occupy a port so the demo must take the next one.
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
		errc <- Run(ctx, Options{Workers: 300, Days: 30, Speed: 30 * 86400, Addr: busy.Addr().String(), Out: out,
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
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "api/v1/dashboard")
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			OpenCases int `json:"open_cases"`
			Stalled   []any
			Now       time.Time
		}
		json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		if d.OpenCases > 0 && len(d.Stalled) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dashboard not populated within a minute: %+v", d)
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not synchronisation
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run after cancel: %v", err)
	}
	if s := out.String(); !strings.Contains(s, "dashboard at "+url) || !strings.Contains(s, "open cases") {
		t.Errorf("output lacks the URL or the summary: %q", s)
	}
}
