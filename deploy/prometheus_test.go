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

// selectorUse is a metric an expression selects and the label names the
// expression expects it to have: those of its matchers and those its
// enclosing aggregations group by.
type selectorUse struct {
	metric string
	labels []string
}

// selectedMetrics returns the metrics an expression selects, each with
// the labels it is matched or grouped on.
func selectedMetrics(expr parser.Expr) []selectorUse {
	var uses []selectorUse
	parser.Inspect(expr, func(n parser.Node, path []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		u := selectorUse{metric: vs.Name}
		for _, m := range vs.LabelMatchers {
			if m.Name == "__name__" {
				u.metric = m.Value
			} else {
				u.labels = append(u.labels, m.Name)
			}
		}
		// The innermost enclosing aggregation groups this selector's
		// series; outer ones group its result.
		for i := len(path) - 1; i >= 0; i-- {
			if agg, ok := path[i].(*parser.AggregateExpr); ok {
				u.labels = append(u.labels, agg.Grouping...)
				break
			}
		}
		uses = append(uses, u)
		return nil
	})
	return uses
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
// dashboard select is one jmlwatch registers, or a standard metric of the
// Go and process collectors that `jmlwatch run` registers, and that every
// label they match or group a jmlwatch_ metric on is one it has (besides
// the job and instance labels Prometheus adds, and le on a histogram's
// buckets).
func TestMetricNames(t *testing.T) {
	registered := registeredMetrics(t)
	for _, name := range []string{"jmlwatch_overdue_steps", "jmlwatch_records_total", "jmlwatch_ready"} {
		if !registered[name].known {
			t.Fatalf("the scan did not read the labels of %s: %+v", name, registered[name])
		}
	}
	runGo := string(readFile(t, filepath.Join(repoRoot, "cmd", "jmlwatch", "run.go")))
	type use struct {
		where  string
		labels []string
	}
	used := map[string][]use{}
	add := func(expr, where string) {
		e, err := parser.ParseExpr(expr)
		if err != nil {
			return // TestAlertRules and TestDashboard report it
		}
		for _, u := range selectedMetrics(e) {
			used[u.metric] = append(used[u.metric], use{where, u.labels})
		}
	}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			add(r.Expr, "alert "+r.Alert)
		}
	}
	d := loadDashboard(t)
	for key, expr := range dashboardExprs(t, d) {
		add(expr, "dashboard "+key)
	}
	labelValues := regexp.MustCompile(`label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			if m := labelValues.FindStringSubmatch(q["query"].(string)); m != nil {
				used[m[1]] = append(used[m[1]], use{where: "dashboard variable " + v.Name})
			}
		}
	}
	if len(used) == 0 {
		t.Fatal("no metric found in the rules or the dashboard")
	}
	histogram := regexp.MustCompile(`_(bucket|sum|count)$`)
	for name, uses := range used {
		base, isHistogram := name, false
		if _, ok := registered[name]; !ok {
			if b := histogram.ReplaceAllString(name, ""); b != name {
				if _, ok := registered[b]; ok {
					base, isHistogram = b, strings.HasSuffix(name, "_bucket")
				}
			}
		}
		ml, ok := registered[base]
		switch {
		case ok:
			if !ml.known {
				continue
			}
			have := append([]string{"job", "instance"}, ml.names...)
			if isHistogram {
				have = append(have, "le")
			}
			for _, u := range uses {
				for _, l := range u.labels {
					if !slices.Contains(have, l) {
						t.Errorf("%s: %s has no label %q (it has %v)", u.where, name, l, ml.names)
					}
				}
			}
		case strings.HasPrefix(name, "jmlwatch_"):
			t.Errorf("%s is not a metric jmlwatch registers; used by %v", name, uses)
		case strings.HasPrefix(name, "go_"):
			if !strings.Contains(runGo, "collectors.NewGoCollector") {
				t.Errorf("%s: jmlwatch run registers no Go collector; used by %v", name, uses)
			}
		case strings.HasPrefix(name, "process_"):
			if !strings.Contains(runGo, "collectors.NewProcessCollector") {
				t.Errorf("%s: jmlwatch run registers no process collector; used by %v", name, uses)
			}
		case name == "up":
		default:
			t.Errorf("%s is not a jmlwatch metric; used by %v", name, uses)
		}
	}
}

// TestScanMetrics checks the source scan behind TestMetricNames on the
// forms client_golang metrics are defined in.
func TestScanMetrics(t *testing.T) {
	src := []byte(`
	a := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jmlwatch_a_total",
		Help: "Things, by topic and type.",
	}, []string{"topic", "type"})
	b := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "jmlwatch_b",
		Help: "A gauge.",
	})
	c := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "jmlwatch_c_seconds",
		Help:    "A \"quoted\" histogram.",
		Buckets: buckets,
	}, []string{"kind"})
	d = prometheus.NewDesc("jmlwatch_d_bytes", "Bytes, \"quoted\".", nil, nil)
	e = prometheus.NewDesc("jmlwatch_e", "By system.", []string{"system"}, nil)
	f := prometheus.NewGaugeVec(opts, []string{"x"}) // no literal name: not seen
`)
	got := map[string]metricLabels{}
	scanMetrics(src, got)
	want := map[string]metricLabels{
		"jmlwatch_a_total":   {names: []string{"topic", "type"}, known: true},
		"jmlwatch_b":         {names: []string{}, known: true},
		"jmlwatch_c_seconds": {names: []string{"kind"}, known: true},
		"jmlwatch_d_bytes":   {names: []string{}, known: true},
		"jmlwatch_e":         {names: []string{"system"}, known: true},
	}
	if len(got) != len(want) {
		t.Errorf("found %v; want %v", got, want)
	}
	for name, w := range want {
		if g, ok := got[name]; !ok || g.known != w.known || !slices.Equal(g.names, w.names) {
			t.Errorf("%s: got %+v; want %+v", name, g, w)
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
