package report

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumPath is where the CI image installs Chromium (apt-get install chromium).
const chromiumPath = "/usr/bin/chromium"

func renderHTML(t *testing.T, opts Options) string {
	t.Helper()
	rep := build(t, opts)
	var b bytes.Buffer
	if err := rep.Write(&b, FormatHTML); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func boundariesOpts(t *testing.T, baseline bool) Options {
	o := Options{Inputs: []string{"testdata/boundaries.jsonl"}, Period: mustWindow(t, "2026-03-02/2026-03-09", time.UTC)}
	if baseline {
		o.Baseline = mustWindow(t, "2026-02-23/2026-03-02", time.UTC)
	}
	return o
}

// TestHTMLSelfContained: the page references nothing outside itself.
func TestHTMLSelfContained(t *testing.T) {
	page := renderHTML(t, boundariesOpts(t, true))
	for _, bad := range []*regexp.Regexp{
		regexp.MustCompile(`(?i)<(script|img|link|iframe)[^>]+(src|href)=`),
		regexp.MustCompile(`(?i)url\(\s*['"]?https?:`),
		regexp.MustCompile(`sourceMappingURL`),
	} {
		if loc := bad.FindStringIndex(page); loc != nil {
			t.Errorf("page references the outside: %q", page[loc[0]:min(loc[1]+40, len(page))])
		}
	}
	for _, want := range []string{
		`Content-Security-Policy`, `id="latency-0"`, `id="latency-1"`, `id="latency-2"`, `id="weekly"`, `id="overdue"`,
		`<table id="metrics">`, `Chart.js v4.6.1`, `time_to_revoke_seconds_p90`, `class="num regressed"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestHTMLChromium renders the page in headless Chromium and checks that
// every chart was drawn and nothing went wrong in the console. Mandatory in
// CI (JMLWATCH_REQUIRE_CHROMIUM=1); skipped elsewhere without Chromium.
func TestHTMLChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("JMLWATCH_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("JMLWATCH_REQUIRE_CHROMIUM=1 but %s is missing (apt-get install -y chromium): %v", chromiumPath, err)
		}
		t.Skipf("skipping: %s not found (apt-get install -y chromium); set JMLWATCH_REQUIRE_CHROMIUM=1 to make this fatal", chromiumPath)
	}
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"with baseline", boundariesOpts(t, true)},
		{"no baseline", boundariesOpts(t, false)},
		{"empty period", Options{Inputs: []string{"testdata/boundaries.jsonl"}, Period: mustWindow(t, "2020-01-01/2020-01-02", time.UTC)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			page := filepath.Join(dir, "report.html")
			if err := os.WriteFile(page, []byte(renderHTML(t, c.opts)), 0o644); err != nil {
				t.Fatal(err)
			}
			dom, console := chromium(t, dir, page)
			if !strings.Contains(dom, `data-charts="5"`) {
				t.Errorf("the page did not draw its 5 charts; body: %.300s", dom[strings.Index(dom, "<body"):])
			}
			if strings.Contains(dom, `data-errors=`) {
				t.Errorf("the page caught script errors")
			}
			if n := strings.Count(dom, "<canvas"); n != 5 {
				t.Errorf("%d canvases, want 5", n)
			}
			for _, l := range console {
				t.Errorf("console: %s", l)
			}
		})
	}
}

// chromium loads page in headless Chromium and returns the DOM after the
// scripts ran and the console messages that were errors or warnings.
func chromium(t *testing.T, dir, page string) (dom string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run",
		"--user-data-dir="+filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0", "--log-level=0",
		"--virtual-time-budget=5000", "--window-size=1280,2000",
		"--dump-dom", "file://"+page)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		// Console messages: "...:INFO:CONSOLE(12)] "msg", source: file:///... (12)".
		// Chromium logs them at INFO whatever their level, so every
		// console message from the page counts as a failure: the page
		// logs nothing when all is well. Also catch uncaught errors and
		// blocked loads.
		if strings.Contains(l, "CONSOLE") || strings.Contains(l, "Uncaught") ||
			strings.Contains(l, "Content Security Policy") || strings.Contains(l, "Failed to load") {
			console = append(console, l)
		}
	}
	return stdout.String(), console
}
