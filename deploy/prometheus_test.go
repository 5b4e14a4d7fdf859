package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// pendingMetrics are metrics the alert rules and the dashboard use that the
// committed code may not register yet, with what they are: TestMetricNames
// accepts them registered or not (and logs which), and fails for any other
// unregistered jmlwatch_ name. Remove an entry once its metric is in main.
var pendingMetrics = map[string]string{
	// Issue 5 item 2: "open steps and overdue steps gauges", being added
	// to processor/runtime. The stalled leaver alert and the dashboard's
	// first panel read it.
	"jmlwatch_overdue_steps": "gauge of open steps past their SLA deadline, labels kind and tier",
}

// ruleFile is the Prometheus rule file format, decoded strictly.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert         string            `yaml:"alert"`
	Record        string            `yaml:"record"`
	Expr          string            `yaml:"expr"`
	For           string            `yaml:"for"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	Labels        map[string]string `yaml:"labels"`
	Annotations   map[string]string `yaml:"annotations"`
}

// loadRules decodes deploy/prometheus/alerts.yaml.
func loadRules(t *testing.T) ruleFile {
	t.Helper()
	var rf ruleFile
	decodeStrict(t, "prometheus/alerts.yaml", readFile(t, filepath.Join("prometheus", "alerts.yaml")), &rf)
	if len(rf.Groups) == 0 {
		t.Fatal("prometheus/alerts.yaml has no groups")
	}
	return rf
}

// metricNames returns the metric names an expression selects.
func metricNames(expr parser.Expr) []string {
	var names []string
	parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			name := vs.Name
			for _, m := range vs.LabelMatchers {
				if m.Name == "__name__" {
					name = m.Value
				}
			}
			names = append(names, name)
		}
		return nil
	})
	return names
}

// promTemplateFuncs returns stubs of the functions Prometheus offers alert
// templates, so that text/template can check the annotations' syntax.
func promTemplateFuncs() template.FuncMap {
	funcs := template.FuncMap{}
	for _, name := range []string{"query", "first", "label", "value", "strvalue", "args", "reReplaceAll",
		"safeHtml", "match", "title", "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel",
		"stripPort", "stripDomain", "humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
		"humanizeTimestamp", "toTime", "toDuration", "pathPrefix", "externalURL", "parseDuration"} {
		funcs[name] = func(...any) any { return nil }
	}
	return funcs
}

// TestAlertRules parses every rule's expression and annotation templates
// and checks the rules carry what on-call needs.
func TestAlertRules(t *testing.T) {
	rf := loadRules(t)
	alerts := map[string]bool{}
	funcs := promTemplateFuncs()
	for _, g := range rf.Groups {
		if g.Name == "" || len(g.Rules) == 0 {
			t.Errorf("group %q: want a name and rules", g.Name)
		}
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("group %s: a rule without alert (recording rules are not shipped): %q", g.Name, r.Expr)
				continue
			}
			if alerts[r.Alert] {
				t.Errorf("alert %s is defined twice", r.Alert)
			}
			alerts[r.Alert] = true
			if _, err := parser.ParseExpr(r.Expr); err != nil {
				t.Errorf("alert %s: expr does not parse: %v", r.Alert, err)
			}
			if r.For != "" {
				if _, err := parseDuration(r.For); err != nil {
					t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
				}
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("alert %s: severity %q; want critical or warning", r.Alert, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("alert %s: want summary and description annotations", r.Alert)
			}
			for k, v := range r.Annotations {
				text := "{{$labels := .Labels}}{{$value := .Value}}{{$externalLabels := .ExternalLabels}}" + v
				if _, err := template.New(k).Funcs(funcs).Parse(text); err != nil {
					t.Errorf("alert %s: annotation %s: %v", r.Alert, k, err)
				}
			}
		}
	}
	// The alerts issue 5 asks for.
	for _, a := range []string{"JmlwatchStalledLeaver", "JmlwatchNotReady", "JmlwatchConsumerLagHigh", "JmlwatchOutboxGrowing"} {
		if !alerts[a] {
			t.Errorf("alert %s is missing", a)
		}
	}
}

// parseDuration parses a Prometheus duration (1m, 1h30m, 2d).
func parseDuration(s string) (time.Duration, error) {
	if strings.HasSuffix(s, "d") {
		d, err := time.ParseDuration(strings.TrimSuffix(s, "d") + "h")
		return 24 * d, err
	}
	return time.ParseDuration(s)
}

// dashboard is what the tests read of the Grafana dashboard JSON.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *datasourceRef  `json:"datasource"`
	Targets    []panelTarget   `json:"targets"`
	Panels     []panel         `json:"panels"`
	GridPos    json.RawMessage `json:"gridPos"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panelTarget struct {
	Expr       string         `json:"expr"`
	RefID      string         `json:"refId"`
	Datasource *datasourceRef `json:"datasource"`
}

// loadDashboard decodes deploy/grafana/jmlwatch.json.
func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	var d dashboard
	if err := json.Unmarshal(readFile(t, filepath.Join("grafana", "jmlwatch.json")), &d); err != nil {
		t.Fatalf("grafana/jmlwatch.json: %v", err)
	}
	return d
}

// grafanaVars replaces the Grafana variables a query may hold with values
// that make it plain PromQL.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "5m", "${__rate_interval}", "5m",
	"$__interval", "1m", "${__interval}", "1m",
	"$__range", "1h", "${__range}", "1h",
	"${job}", ".*", "$job", ".*",
)

// dashboardExprs returns every panel query of the dashboard (rows
// included), keyed by "panel title/refId", after substituting the
// Grafana variables.
func dashboardExprs(t *testing.T, d dashboard) map[string]string {
	t.Helper()
	exprs := map[string]string{}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: datasource %+v; want the ${datasource} variable", p.Title, p.Datasource)
			}
			for _, tg := range p.Targets {
				key := p.Title + "/" + tg.RefID
				if _, dup := exprs[key]; dup || tg.RefID == "" {
					t.Errorf("panel %q: refId %q is empty or repeated", p.Title, tg.RefID)
				}
				exprs[key] = grafanaVars.Replace(tg.Expr)
			}
		}
	}
	walk(d.Panels)
	return exprs
}

// TestDashboard parses every query of the Grafana dashboard and checks its
// identity and variables.
func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard uid %q title %q: want both", d.UID, d.Title)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
	}
	if vars["datasource"] != "datasource" || vars["job"] != "query" {
		t.Errorf("dashboard variables %v; want datasource (datasource) and job (query)", vars)
	}
	exprs := dashboardExprs(t, d)
	if len(exprs) < 10 {
		t.Errorf("only %d queries", len(exprs))
	}
	for key, e := range exprs {
		if strings.Contains(e, "$") {
			t.Errorf("%s: unknown Grafana variable left in %q", key, e)
			continue
		}
		if _, err := parser.ParseExpr(e); err != nil {
			t.Errorf("%s: %q does not parse: %v", key, e, err)
		}
	}
	ids := map[int]bool{}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel id %d is used twice", p.ID)
			}
			ids[p.ID] = true
			walk(p.Panels)
		}
	}
	walk(d.Panels)
}

// TestMetricNames checks that every metric the alert rules and the
// dashboard select is one jmlwatch registers (or a pending one, see
// pendingMetrics), or a standard metric of the Go and process collectors
// that `jmlwatch run` registers.
func TestMetricNames(t *testing.T) {
	registered := registeredMetrics(t)
	for name := range pendingMetrics {
		if registered[name] {
			t.Logf("pending metric %s is registered: remove it from pendingMetrics once that is in main", name)
		}
	}
	runGo := string(readFile(t, filepath.Join(repoRoot, "cmd", "jmlwatch", "run.go")))
	used := map[string][]string{} // name -> where
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			e, err := parser.ParseExpr(r.Expr)
			if err != nil {
				continue // TestAlertRules reports it
			}
			for _, n := range metricNames(e) {
				used[n] = append(used[n], "alert "+r.Alert)
			}
		}
	}
	d := loadDashboard(t)
	for key, expr := range dashboardExprs(t, d) {
		e, err := parser.ParseExpr(expr)
		if err != nil {
			continue // TestDashboard reports it
		}
		for _, n := range metricNames(e) {
			used[n] = append(used[n], "dashboard "+key)
		}
	}
	labelValues := regexp.MustCompile(`label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			if m := labelValues.FindStringSubmatch(q["query"].(string)); m != nil {
				used[m[1]] = append(used[m[1]], "dashboard variable "+v.Name)
			}
		}
	}
	if len(used) == 0 {
		t.Fatal("no metric found in the rules or the dashboard")
	}
	histogram := regexp.MustCompile(`_(bucket|sum|count)$`)
	for name, where := range used {
		slices.Sort(where)
		switch {
		case registered[name] || registered[histogram.ReplaceAllString(name, "")]:
		case pendingMetrics[name] != "":
			t.Logf("%s is not registered yet (pending: %s); used by %v", name, pendingMetrics[name], where)
		case strings.HasPrefix(name, "jmlwatch_"):
			t.Errorf("%s is not a metric jmlwatch registers; used by %v", name, where)
		case strings.HasPrefix(name, "go_"):
			if !strings.Contains(runGo, "collectors.NewGoCollector") {
				t.Errorf("%s: jmlwatch run registers no Go collector; used by %v", name, where)
			}
		case strings.HasPrefix(name, "process_"):
			if !strings.Contains(runGo, "collectors.NewProcessCollector") {
				t.Errorf("%s: jmlwatch run registers no process collector; used by %v", name, where)
			}
		case name == "up":
		default:
			t.Errorf("%s is not a jmlwatch metric; used by %v", name, where)
		}
	}
}

// TestPromtool runs promtool (Debian package prometheus) on the rules, their
// unit tests and the compose Prometheus config.
func TestPromtool(t *testing.T) {
	promtool := requireTool(t, "promtool", "JMLWATCH_REQUIRE_PROMTOOL", "prometheus")
	run(t, "prometheus", promtool, "check", "rules", "alerts.yaml")
	run(t, "prometheus", promtool, "test", "rules", "alerts_test.yaml")

	// prometheus.yml names the rule file where compose mounts it; check
	// a copy that names it where it is here.
	dir := t.TempDir()
	abs, err := filepath.Abs(filepath.Join("prometheus", "alerts.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.ReplaceAll(string(readFile(t, filepath.Join("prometheus", "prometheus.yml"))), "/etc/prometheus/alerts.yaml", abs)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, dir, promtool, "check", "config", "prometheus.yml")
}
