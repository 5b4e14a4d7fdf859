package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Format is an output format of Report.Write.
type Format string

// Output formats.
const (
	FormatTable Format = "table" // aligned text for a terminal
	FormatJSON  Format = "json"  // the contract: see Report
	FormatCSV   Format = "csv"   // one row per metric, with a header
	FormatHTML  Format = "html"  // one self-contained page with charts
)

// ParseFormat returns the Format named s.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatTable, FormatJSON, FormatCSV, FormatHTML:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: want table, json, csv or html", s)
}

// Write writes the report to w in format f.
func (r *Report) Write(w io.Writer, f Format) error {
	switch f {
	case FormatJSON:
		return r.writeJSON(w)
	case FormatTable:
		return r.writeTable(w)
	case FormatCSV:
		return r.writeCSV(w)
	case FormatHTML:
		return r.writeHTML(w)
	}
	return fmt.Errorf("report: unknown format %q", f)
}

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: writing json: %w", err)
	}
	return nil
}

// csvHeader is the header row of the csv format.
var csvHeader = []string{"period_from", "period_to", "baseline_from", "baseline_to",
	"name", "kind", "tier", "system", "value", "baseline", "delta", "delta_pct", "direction"}

func (r *Report) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	var bFrom, bTo string
	if r.Baseline != nil {
		bFrom, bTo = r.Baseline.From.Format(time.RFC3339Nano), r.Baseline.To.Format(time.RFC3339Nano)
	}
	pFrom, pTo := r.Period.From.Format(time.RFC3339Nano), r.Period.To.Format(time.RFC3339Nano)
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("report: writing csv: %w", err)
	}
	for _, m := range r.Metrics {
		rec := []string{pFrom, pTo, bFrom, bTo, m.Name, str(m.Kind), str(m.Tier), str(m.System),
			num(m.Value), num(m.Baseline), num(m.Delta), num(m.DeltaPct), str(m.Direction)}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("report: writing csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: writing csv: %w", err)
	}
	return nil
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// num formats a value for csv: the shortest decimal that reads back as the
// same float64, empty for null.
func num(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

func (r *Report) writeTable(w io.Writer) error {
	var buf strings.Builder
	ew := &buf
	fmt.Fprintf(ew, "Period:   %s\n", r.Period.String())
	if r.Baseline != nil {
		fmt.Fprintf(ew, "Baseline: %s\n", r.Baseline.String())
	} else {
		fmt.Fprintf(ew, "Baseline: none\n")
	}
	fmt.Fprintf(ew, "Events:   %d read, %d skipped as malformed\n\n", r.Events, r.Skipped)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	if r.Baseline != nil {
		fmt.Fprintln(tw, "METRIC\tKIND\tTIER\tSYSTEM\tPERIOD\tBASELINE\tCHANGE\tCHANGE %\tDIRECTION")
	} else {
		fmt.Fprintln(tw, "METRIC\tKIND\tTIER\tSYSTEM\tPERIOD\t")
	}
	for _, m := range r.Metrics {
		if emptyCross(m) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t", m.Name, dash(m.Kind), dash(m.Tier), dash(m.System), FormatValue(m.Name, m.Value))
		if r.Baseline != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\t", FormatValue(m.Name, m.Baseline), FormatDelta(m.Name, m.Delta), formatPct(m.DeltaPct))
			switch {
			case m.Direction == nil:
			case *m.Direction == Improved:
				fmt.Fprint(tw, "+ improved")
			case *m.Direction == Regressed:
				fmt.Fprint(tw, "! REGRESSED")
			default:
				fmt.Fprint(tw, "= unchanged")
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("report: writing table: %w", err)
	}
	fmt.Fprintln(ew, "\nPercentiles are nearest-rank; n/a: no value (empty group).")
	// tabwriter pads the last cell of rows without a direction.
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \n")
		if strings.HasSuffix(l, "\n") {
			lines[i] += "\n"
		}
	}
	if _, err := io.WriteString(w, strings.Join(lines, "")); err != nil {
		return fmt.Errorf("report: writing table: %w", err)
	}
	return nil
}

// emptyCross reports whether m is a (tier, system) row with neither value
// nor baseline: the table and the page leave those out (a system usually
// has one tier), json and csv keep every row.
func emptyCross(m Metric) bool {
	return m.Tier != nil && m.System != nil && m.Value == nil && m.Baseline == nil
}

// String formats the range as "FROM .. TO (half-open)".
func (r Range) String() string {
	return r.From.Format(time.RFC3339Nano) + " .. " + r.To.Format(time.RFC3339Nano) + " (end excluded)"
}

// family is a metric name without its statistic suffix.
func family(name string) string {
	for _, s := range statNames {
		if n, ok := strings.CutSuffix(name, "_"+s); ok {
			return n
		}
	}
	return name
}

func dash(s *string) string {
	if s == nil {
		return "-"
	}
	return *s
}

// unit of a metric, by name.
type unit int

const (
	unitCount unit = iota
	unitRatio
	unitSeconds
)

func unitOf(name string) unit {
	switch {
	case strings.HasSuffix(name, "_ratio"):
		return unitRatio
	case strings.Contains(name, "_seconds"):
		return unitSeconds
	}
	return unitCount
}

// FormatValue formats a metric value for people: a ratio as a percentage,
// seconds as a duration, a count as an integer, null as "n/a".
func FormatValue(name string, v *float64) string {
	if v == nil {
		return "n/a"
	}
	switch unitOf(name) {
	case unitRatio:
		return strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
	case unitSeconds:
		return formatSeconds(*v)
	}
	return groupThousands(strconv.FormatFloat(*v, 'f', -1, 64))
}

// groupThousands puts commas between groups of three digits of an integer
// ("754144" -> "754,144"); other strings are returned as they are.
func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if len(s) <= 3 || strings.ContainsAny(s, ".e") {
		return sign + s
	}
	var b strings.Builder
	b.WriteString(sign)
	first := len(s) % 3
	if first > 0 {
		b.WriteString(s[:first])
	}
	for i := first; i < len(s); i += 3 {
		if b.Len() > len(sign) {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// FormatDelta formats an absolute change with its sign: percentage points
// for a ratio, a duration for seconds.
func FormatDelta(name string, d *float64) string {
	if d == nil {
		return "n/a"
	}
	sign := "+"
	if *d < 0 {
		sign = "-"
	}
	a := math.Abs(*d)
	switch unitOf(name) {
	case unitRatio:
		return sign + strconv.FormatFloat(a*100, 'f', 1, 64) + " pp"
	case unitSeconds:
		return sign + formatSeconds(a)
	}
	return sign + groupThousands(strconv.FormatFloat(a, 'f', -1, 64))
}

func formatPct(p *float64) string {
	if p == nil {
		return "n/a"
	}
	s := strconv.FormatFloat(*p, 'f', 1, 64) + "%"
	if *p >= 0 {
		s = "+" + s
	}
	return s
}

// formatSeconds formats seconds as a short duration: "3d 4h", "2h 5m",
// "12m 30s", "45s", "0.25s", "-5m".
func formatSeconds(s float64) string {
	neg := s < 0
	s = math.Abs(s)
	var out string
	switch {
	case s < 60:
		out = strconv.FormatFloat(s, 'f', -1, 64)
		if strings.Contains(out, ".") && len(out) > 5 {
			out = strconv.FormatFloat(s, 'f', 2, 64)
		}
		out += "s"
	default:
		t := int64(math.Round(s))
		d, h, m, sec := t/86400, t%86400/3600, t%3600/60, t%60
		switch {
		case d > 0:
			out = joinUnits(d, "d", h, "h")
		case h > 0:
			out = joinUnits(h, "h", m, "m")
		default:
			out = joinUnits(m, "m", sec, "s")
		}
	}
	if neg {
		out = "-" + out
	}
	return out
}

// joinUnits formats "3d 4h", or "3d" when the second unit is 0.
func joinUnits(a int64, ua string, b int64, ub string) string {
	if b == 0 {
		return strconv.FormatInt(a, 10) + ua
	}
	return strconv.FormatInt(a, 10) + ua + " " + strconv.FormatInt(b, 10) + ub
}
