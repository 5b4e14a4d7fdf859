package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
)

// assets holds the page template and the charting library (Chart.js, the
// UMD build from npm; see assets/README.md), so that the page is one file
// that works offline: nothing is fetched when it is rendered or opened.
//
//go:embed assets/report.html.tmpl assets/chart.umd.min.js
var assets embed.FS

// pageData is what the template renders.
type pageData struct {
	PeriodText   string
	BaselineText string
	Zone         string
	Events       int64
	Skipped      int64
	KPIs         []kpi
	Latency      []latencyChart
	NoOverdue    bool
	MaxOverdue   int
	Rows         []htmlRow
	ChartJS      template.JS
	Data         template.JS
}

// kpi is a headline tile.
type kpi struct {
	Label, Value, Change, Class string
}

// htmlRow is a metrics table row, formatted.
type htmlRow struct {
	First                            bool // first row of a metric family
	Name, Kind, Tier, System         string
	Value, Baseline, Delta, DeltaPct string
	Class                            string // improved, regressed or ""
	Null                             bool
}

// headline metrics: name and label of the tiles, overall rows only.
var headline = []struct{ name, label string }{
	{"steps_within_sla_ratio", "Steps within SLA"},
	{"cases_within_sla_ratio", "Cases within SLA"},
	{"time_to_revoke_seconds_p90", "Time to revoke, p90"},
	{"time_to_provision_seconds_p90", "Time to provision, p90"},
	{"breaches", "SLA breaches"},
	{"open_past_deadline", "Open past deadline"},
	{"orphaned_accounts", "Orphaned accounts"},
	{"nhi_offboarded_within_sla_ratio", "NHI offboarded within SLA"},
}

func (r *Report) writeHTML(w io.Writer) error {
	tmplText, err := assets.ReadFile("assets/report.html.tmpl")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	lib, err := assets.ReadFile("assets/chart.umd.min.js")
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// The page has nothing to map sources to: drop the library's
	// sourceMappingURL so that no tool tries to fetch the map.
	if i := bytes.LastIndex(lib, []byte("//# sourceMappingURL=")); i >= 0 {
		lib = lib[:i]
	}
	t, err := template.New("report").Parse(string(tmplText))
	if err != nil {
		return fmt.Errorf("report: parsing page template: %w", err)
	}
	data, err := json.Marshal(r.charts) // escapes <, > and &: safe inside <script>
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	pd := pageData{
		PeriodText: r.Period.short(),
		Zone:       r.Period.From.Location().String(),
		Events:     r.Events,
		Skipped:    r.Skipped,
		Latency:    r.charts.Latency,
		NoOverdue:  len(r.charts.Overdue.Systems) == 0,
		MaxOverdue: maxOverdueSystems,
		ChartJS:    template.JS(lib),
		Data:       template.JS(data),
	}
	if r.Baseline != nil {
		pd.BaselineText = r.Baseline.short()
	}
	for _, h := range headline {
		for _, m := range r.Metrics {
			if m.Name != h.name || m.Kind != nil || m.Tier != nil || m.System != nil {
				continue
			}
			k := kpi{Label: h.label, Value: FormatValue(m.Name, m.Value)}
			if r.Baseline != nil {
				k.Change = "baseline " + FormatValue(m.Name, m.Baseline)
				if m.Delta != nil {
					k.Change = FormatDelta(m.Name, m.Delta) + " vs baseline " + FormatValue(m.Name, m.Baseline)
				}
				if m.Direction != nil && *m.Direction != Unchanged {
					k.Class = *m.Direction
				}
			}
			pd.KPIs = append(pd.KPIs, k)
		}
	}
	prev := ""
	for _, m := range r.Metrics {
		if emptyCross(m) {
			continue
		}
		row := htmlRow{
			First: family(m.Name) != prev, Name: m.Name,
			Kind: orEmpty(m.Kind), Tier: orEmpty(m.Tier), System: orEmpty(m.System),
			Value: FormatValue(m.Name, m.Value), Null: m.Value == nil,
		}
		prev = family(m.Name)
		if r.Baseline != nil {
			row.Baseline = FormatValue(m.Name, m.Baseline)
			row.Delta = FormatDelta(m.Name, m.Delta)
			row.DeltaPct = formatPct(m.DeltaPct)
			if m.Direction != nil && *m.Direction != Unchanged {
				row.Class = *m.Direction
			}
		}
		pd.Rows = append(pd.Rows, row)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, pd); err != nil {
		return fmt.Errorf("report: rendering html: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: writing html: %w", err)
	}
	return nil
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// short formats the range for people: dates when both ends are midnights,
// else timestamps.
func (r Range) short() string {
	const day = "2006-01-02"
	midnight := func(t Range) bool {
		return t.From.Hour() == 0 && t.From.Minute() == 0 && t.From.Second() == 0 && t.From.Nanosecond() == 0 &&
			t.To.Hour() == 0 && t.To.Minute() == 0 && t.To.Second() == 0 && t.To.Nanosecond() == 0
	}
	if midnight(r) {
		return r.From.Format(day) + " to " + r.To.Format(day) + " (excluded)"
	}
	return r.From.Format("2006-01-02 15:04:05 MST") + " to " + r.To.Format("2006-01-02 15:04:05 MST") + " (excluded)"
}
