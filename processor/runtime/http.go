package runtime

import (
	"encoding/json"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Readiness is what /readyz reports.
type Readiness struct {
	// Ready is true when this member owns the input partitions, its store
	// is writable and Kafka answers.
	Ready bool `json:"ready"`
	// Role is "starting", "owner" (consuming every input partition),
	// "standby" (another member owns them; this one idles) or "stopped".
	Role string `json:"role"`
	// Reason says why the member is not ready, when it is not.
	Reason string `json:"reason,omitempty"`
}

// Roles of a member (Readiness.Role).
const (
	RoleStarting = "starting"
	RoleOwner    = "owner"
	RoleStandby  = "standby"
	RoleStopped  = "stopped"
)

// handler returns the HTTP surface: /healthz, /readyz, /metrics and, when
// extra is not nil, extra for every other path.
func (r *Runtime) handler(gatherer prometheus.Gatherer, extra http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		rd := r.Readiness()
		w.Header().Set("Content-Type", "application/json")
		if !rd.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rd)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	if extra != nil {
		mux.Handle("/", extra)
	}
	return mux
}
