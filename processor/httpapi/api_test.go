package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/processor/correlator"
)

func get(t *testing.T, h http.Handler, path, token string) (int, []byte, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, b, rec.Header()
}

func newTestHandler(t *testing.T, token string) *Handler {
	kv, pol, _ := knownState(t)
	return New(Options{State: kv, Policy: pol, Token: token})
}

func TestCasesFilters(t *testing.T) {
	h := newTestHandler(t, "")
	tests := []struct {
		query   string
		workers []string // worker of each case, in order
	}{
		{"", []string{"W1", "W2", "W3", "W5"}},
		{"?kind=leaver", []string{"W1", "W2"}},
		{"?kind=joiner", []string{"W3", "W5"}},
		{"?state=open", []string{"W1", "W2"}},
		{"?state=breached", []string{"W1", "W2", "W3"}},
		{"?state=completed", []string{"W3"}},
		{"?state=cancelled", []string{"W5"}},
		{"?system=github", []string{"W2"}},
		{"?system=GitHub+Enterprise", []string{"W2"}},
		{"?kind=leaver&state=completed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, body, hdr := get(t, h, "/api/v1/cases"+tt.query, "")
			if code != 200 || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d %q: %s", code, hdr.Get("Content-Type"), body)
			}
			var p CasePage
			mustJSON(t, body, &p)
			var got []string
			for _, c := range p.Cases {
				got = append(got, c.WorkerID)
			}
			if strings.Join(got, ",") != strings.Join(tt.workers, ",") {
				t.Errorf("workers %v, want %v", got, tt.workers)
			}
			if p.NextCursor != "" {
				t.Errorf("next_cursor %q on a complete listing", p.NextCursor)
			}
		})
	}
}

func TestCasesPagination(t *testing.T) {
	h := newTestHandler(t, "")
	for _, limit := range []string{"1", "2", "3"} {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
			q := "/api/v1/cases?limit=" + limit
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			code, body, _ := get(t, h, q, "")
			if code != 200 {
				t.Fatalf("%s: %d %s", q, code, body)
			}
			var p CasePage
			mustJSON(t, body, &p)
			for _, c := range p.Cases {
				got = append(got, c.CaseID)
			}
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
		}
		if len(got) != 4 {
			t.Errorf("limit %s: %d cases over all pages, want 4: %v", limit, len(got), got)
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Errorf("limit %s: case %s listed twice", limit, id)
			}
			seen[id] = true
		}
	}
}

func TestCaseAndWorker(t *testing.T) {
	h := newTestHandler(t, "")
	caseID := correlator.CaseID("test", "l2")
	code, body, _ := get(t, h, "/api/v1/cases/"+caseID, "")
	if code != 200 {
		t.Fatalf("case: %d %s", code, body)
	}
	var cv correlator.CaseView
	mustJSON(t, body, &cv)
	if cv.WorkerID != "W2" || cv.State != "open" || len(cv.Steps) != 2 {
		t.Fatalf("case %+v", cv)
	}
	for _, s := range cv.Steps {
		switch s.System {
		case "okta":
			if s.Status != "completed" || s.LatencySeconds == nil || *s.LatencySeconds != 7200 || !*s.WithinSLA {
				t.Errorf("okta step %+v", s)
			}
		case "github":
			if s.Status != "open" || !s.Breached || !s.Deadline.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("github step %+v", s)
			}
		}
	}
	code, body, _ = get(t, h, "/api/v1/workers/W2", "")
	var wv correlator.WorkerView
	mustJSON(t, body, &wv)
	if code != 200 || wv.Email != "bob@acme.example" || len(wv.Accounts) != 2 || len(wv.Cases) != 1 {
		t.Errorf("worker: %d %+v", code, wv)
	}
	code, body, _ = get(t, h, "/api/v1/accounts?owner=none", "")
	var ap AccountPage
	mustJSON(t, body, &ap)
	if code != 200 || len(ap.Accounts) != 1 || ap.Accounts[0].Login != "ghost@acme.example" {
		t.Errorf("unowned: %d %s", code, body)
	}
}

func TestErrors(t *testing.T) {
	h := newTestHandler(t, "")
	tests := []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/cases/nope", 404, "not_found"},
		{"/api/v1/workers/nope", 404, "not_found"},
		{"/api/v1/nope", 404, "not_found"},
		{"/api/v1/cases?kind=alien", 400, "bad_parameter"},
		{"/api/v1/cases?state=stalled", 400, "bad_parameter"},
		{"/api/v1/cases?limit=0", 400, "bad_parameter"},
		{"/api/v1/cases?limit=x", 400, "bad_parameter"},
		{"/api/v1/cases?cursor=!!", 400, "bad_parameter"},
		{"/api/v1/cases?cursor=" + caseCursor{}.encode(), 400, "bad_parameter"},
		{"/api/v1/cases?colour=red", 400, "bad_parameter"},
		{"/api/v1/accounts", 400, "bad_parameter"},
		{"/api/v1/accounts?owner=W1", 400, "bad_parameter"},
	}
	for _, tt := range tests {
		code, body, hdr := get(t, h, tt.path, "")
		var e apiError
		mustJSON(t, body, &e)
		if code != tt.status || e.Error.Code != tt.code || e.Error.Message == "" || hdr.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s, want %d %s", tt.path, code, body, tt.status, tt.code)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/cases", nil))
	if rec.Code != 405 || !strings.Contains(rec.Body.String(), "method_not_allowed") {
		t.Errorf("POST: %d %s", rec.Code, rec.Body)
	}
}

func TestToken(t *testing.T) {
	h := newTestHandler(t, "s3cret")
	for _, tok := range []string{"", "wrong"} {
		code, body, hdr := get(t, h, "/api/v1/cases", tok)
		if code != 401 || !strings.Contains(string(body), "unauthorized") || hdr.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d %s", tok, code, body)
		}
	}
	if code, body, _ := get(t, h, "/api/v1/cases", "s3cret"); code != 200 {
		t.Errorf("right token: %d %s", code, body)
	}
	// The page itself loads without a token; its data calls need one.
	if code, _, _ := get(t, h, "/", ""); code != 200 {
		t.Errorf("dashboard page without token: %d", code)
	}
}

func TestDashboard(t *testing.T) {
	h := newTestHandler(t, "")
	code, body, _ := get(t, h, "/api/v1/dashboard", "")
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	var d Dashboard
	mustJSON(t, body, &d)
	if !d.Now.Equal(clockAtEnd) || d.ClockSource != "event" {
		t.Errorf("now %v %s, want %v event", d.Now, d.ClockSource, clockAtEnd)
	}
	if d.OpenCases != 2 || d.OverdueSteps != 2 || d.Unowned != 1 {
		t.Errorf("open %d overdue %d unowned %d", d.OpenCases, d.OverdueSteps, d.Unowned)
	}
	// Both stalled steps are leavers' with the same deadline: by case and step.
	if len(d.Stalled) != 2 || d.Stalled[0].Kind != "leaver" || d.Stalled[0].OverdueSeconds != clockAtEnd.Sub(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)).Seconds() {
		t.Errorf("stalled %+v", d.Stalled)
	}
	ratio := func(kind string, days int) *float64 {
		for _, c := range d.Compliance {
			if c.Kind == kind && c.WindowDays == days {
				return c.Ratio
			}
		}
		t.Fatalf("no compliance for %s %d", kind, days)
		return nil
	}
	// leaver: 1 within (bob okta) of 3 due; joiner: carol late, 0 of 1.
	if r := ratio("leaver", 7); r == nil || *r != 1.0/3 {
		t.Errorf("leaver 7d ratio %v", r)
	}
	if r := ratio("joiner", 30); r == nil || *r != 0 {
		t.Errorf("joiner 30d ratio %v", r)
	}
	if r := ratio("nhi", 7); r != nil {
		t.Errorf("nhi ratio %v, want null", *r)
	}
	sum := 0
	for _, c := range d.Latency.Counts["leaver"] {
		sum += c
	}
	if sum != 1 || d.Latency.Counts["leaver"][3] != 0 || d.Latency.Counts["leaver"][2] != 1 {
		t.Errorf("leaver latency counts %v", d.Latency.Counts["leaver"])
	}
}

func TestAssets(t *testing.T) {
	h := newTestHandler(t, "")
	for _, p := range []string{"/", "/app.js", "/app.css", "/chart.umd.min.js", "/chart.js.LICENSE.md"} {
		code, body, _ := get(t, h, p, "")
		if code != 200 || len(body) == 0 {
			t.Errorf("%s: %d", p, code)
		}
	}
	if code, _, _ := get(t, h, "/etc/passwd", ""); code != 404 {
		t.Errorf("unknown page: %d", code)
	}
}
