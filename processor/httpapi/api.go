package httpapi

import (
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/policy"
)

//go:embed assets
var assetFS embed.FS

// Options configure New.
type Options struct {
	// State is the committed correlator state to read (required). It must
	// be safe for concurrent use; a store.DB is.
	State correlator.Reader
	// Policy, when set, resolves system aliases in ?system=.
	Policy *policy.Policy
	// Token, when not empty, is the bearer token every /api call needs.
	Token string
	// Now is the wall clock, used by the dashboard when the state has no
	// correlator clock yet (default time.Now).
	Now func() time.Time
}

// Handler serves the API and the dashboard. It is safe for concurrent use.
type Handler struct {
	opts   Options
	mux    *http.ServeMux
	assets http.Handler
}

// New returns the handler. It panics if opts.State is nil (a programming
// error).
func New(opts Options) *Handler {
	if opts.State == nil {
		panic("httpapi: Options.State is nil")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		panic(err)
	}
	h := &Handler{opts: opts, mux: http.NewServeMux(), assets: http.FileServerFS(sub)}
	h.mux.HandleFunc("/api/v1/cases", h.listCases)
	h.mux.HandleFunc("/api/v1/cases/{case_id}", h.getCase)
	h.mux.HandleFunc("/api/v1/workers/{worker_id}", h.getWorker)
	h.mux.HandleFunc("/api/v1/accounts", h.listAccounts)
	h.mux.HandleFunc("/api/v1/dashboard", h.dashboard)
	h.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: "+r.URL.Path)
	})
	h.mux.HandleFunc("/", h.page)
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api := strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/api"
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		if api {
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed; use GET")
		} else {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
		return
	}
	if api && h.opts.Token != "" && !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="jmlwatch"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *Handler) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(auth) <= len(prefix) || !strings.EqualFold(auth[:len(prefix)], prefix) {
		return false
	}
	got := strings.TrimSpace(auth[len(prefix):])
	return subtle.ConstantTimeCompare([]byte(got), []byte(h.opts.Token)) == 1
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/", "/index.html", "/app.js", "/app.css", "/chart.umd.min.js", "/chart.js.LICENSE.md":
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
	h.assets.ServeHTTP(w, r)
}

// apiError is the JSON body of every API error.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	writeJSON(w, status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"encoding the response failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func stateError(w http.ResponseWriter, err error) {
	writeError(w, http.StatusInternalServerError, "state_unavailable", fmt.Sprintf("reading state: %v", err))
}

// CasePage is the body of /api/v1/cases.
type CasePage struct {
	Cases      []correlator.CaseView `json:"cases"`
	NextCursor string                `json:"next_cursor,omitempty"`
}

const (
	defaultLimit = 100
	maxLimit     = 1000
)

func parseLimit(q string) (int, error) {
	if q == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("limit must be a positive integer, got %q", q)
	}
	return min(n, maxLimit), nil
}

// caseCursor is where a case listing resumes: after case CaseID of worker
// WorkerID.
type caseCursor struct{ WorkerID, CaseID string }

func (c caseCursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.WorkerID + "\x00" + c.CaseID))
}

func decodeCursor(s string) (caseCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return caseCursor{}, errors.New("cursor is not one this server returned")
	}
	w, c, ok := strings.Cut(string(b), "\x00")
	if !ok || w == "" {
		return caseCursor{}, errors.New("cursor is not one this server returned")
	}
	return caseCursor{w, c}, nil
}

var caseStates = map[string]bool{"open": true, "breached": true, "completed": true, "cancelled": true}

func (h *Handler) listCases(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "kind", "state", "system", "limit", "cursor":
		default:
			writeError(w, http.StatusBadRequest, "bad_parameter", "unknown parameter "+strconv.Quote(k))
			return
		}
	}
	kind := q.Get("kind")
	switch events.Kind(kind) {
	case "", events.KindJoiner, events.KindMover, events.KindLeaver:
	default:
		writeError(w, http.StatusBadRequest, "bad_parameter", fmt.Sprintf("kind must be joiner, mover or leaver, got %q", kind))
		return
	}
	state := q.Get("state")
	if state != "" && !caseStates[state] {
		writeError(w, http.StatusBadRequest, "bad_parameter", fmt.Sprintf("state must be open, breached, completed or cancelled, got %q", state))
		return
	}
	system := q.Get("system")
	if system != "" && h.opts.Policy != nil {
		system = h.opts.Policy.Canonical(system)
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_parameter", err.Error())
		return
	}
	var cur caseCursor
	if c := q.Get("cursor"); c != "" {
		if cur, err = decodeCursor(c); err != nil {
			writeError(w, http.StatusBadRequest, "bad_parameter", err.Error())
			return
		}
	}
	page := CasePage{Cases: []correlator.CaseView{}}
	passed := cur.WorkerID == ""
	more := false
	// Resume at the cursor's worker itself: the page may have stopped in
	// the middle of its cases, which are skipped up to the cursor's case.
	err = correlator.ScanCasesFrom(h.opts.State, cur.WorkerID, func(cv correlator.CaseView) bool {
		if !passed {
			switch {
			case cv.WorkerID < cur.WorkerID:
				return true
			case cv.WorkerID == cur.WorkerID:
				if cv.CaseID == cur.CaseID {
					passed = true
				}
				return true
			}
			passed = true
		}
		if !matchCase(cv, events.Kind(kind), state, system) {
			return true
		}
		if len(page.Cases) == limit {
			more = true
			return false
		}
		page.Cases = append(page.Cases, cv)
		return true
	})
	if err != nil {
		stateError(w, err)
		return
	}
	if more {
		last := page.Cases[len(page.Cases)-1]
		page.NextCursor = caseCursor{last.WorkerID, last.CaseID}.encode()
	}
	writeJSON(w, http.StatusOK, page)
}

func matchCase(cv correlator.CaseView, kind events.Kind, state, system string) bool {
	if kind != "" && cv.Kind != kind {
		return false
	}
	switch state {
	case "":
	case "breached":
		if cv.State == "cancelled" || !cv.Breached {
			return false
		}
	default:
		if cv.State != state {
			return false
		}
	}
	if system != "" {
		for _, s := range cv.Steps {
			if s.System == system {
				return true
			}
		}
		return false
	}
	return true
}

func (h *Handler) getCase(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("case_id")
	cv, ok, err := correlator.ReadCase(h.opts.State, id)
	switch {
	case err != nil:
		stateError(w, err)
	case !ok:
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no case %q (unknown, or deleted after case_retention)", id))
	default:
		writeJSON(w, http.StatusOK, cv)
	}
}

func (h *Handler) getWorker(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("worker_id")
	wv, ok, err := correlator.ReadWorker(h.opts.State, id)
	switch {
	case err != nil:
		stateError(w, err)
	case !ok:
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no worker %q", id))
	default:
		writeJSON(w, http.StatusOK, wv)
	}
}

// AccountPage is the body of /api/v1/accounts.
type AccountPage struct {
	Accounts   []correlator.UnownedView `json:"accounts"`
	NextCursor string                   `json:"next_cursor,omitempty"`
}

func (h *Handler) listAccounts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "owner", "limit", "cursor":
		default:
			writeError(w, http.StatusBadRequest, "bad_parameter", "unknown parameter "+strconv.Quote(k))
			return
		}
	}
	if o := q.Get("owner"); o != "none" {
		writeError(w, http.StatusBadRequest, "bad_parameter", fmt.Sprintf("owner must be none (accounts that resolved to no worker), got %q", o))
		return
	}
	limit, err := parseLimit(q.Get("limit"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_parameter", err.Error())
		return
	}
	page := AccountPage{Accounts: []correlator.UnownedView{}}
	more := false
	visit := func(u correlator.UnownedView) bool {
		if len(page.Accounts) == limit {
			more = true
			return false
		}
		page.Accounts = append(page.Accounts, u)
		return true
	}
	if c := q.Get("cursor"); c != "" {
		b, decErr := base64.RawURLEncoding.DecodeString(c)
		system, account, ok := strings.Cut(string(b), "\x00")
		if decErr != nil || !ok {
			writeError(w, http.StatusBadRequest, "bad_parameter", "cursor is not one this server returned")
			return
		}
		err = correlator.ScanUnownedAfter(h.opts.State, system, account, visit)
	} else {
		err = correlator.ScanUnowned(h.opts.State, visit)
	}
	if err != nil {
		stateError(w, err)
		return
	}
	if more {
		last := page.Accounts[len(page.Accounts)-1]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(last.System + "\x00" + last.AccountID))
	}
	writeJSON(w, http.StatusOK, page)
}
