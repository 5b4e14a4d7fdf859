package httpapi

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

const chromiumPath = "/usr/bin/chromium"

// TestDashboardInChromium loads the dashboard in headless Chromium against a
// server with the known state and checks what the page shows and that the
// console logged no error. It skips when Chromium is absent unless
// JMLWATCH_REQUIRE_CHROMIUM=1 (CI sets it).
func TestDashboardInChromium(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("JMLWATCH_REQUIRE_CHROMIUM") == "1" {
			t.Fatalf("JMLWATCH_REQUIRE_CHROMIUM=1 but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("skipping: %s not found (apt-get install chromium to run this test)", chromiumPath)
	}
	kv, pol, _ := knownState(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: New(Options{State: kv, Policy: pol, Token: "tok"})}
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	url := "http://" + ln.Addr().String() + "/#token=tok"
	cmd := exec.CommandContext(ctx, chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0",
		"--virtual-time-budget=10000", "--run-all-compositor-stages-before-draw",
		"--dump-dom", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := stdout.String()
	for _, want := range []string{
		`data-loaded="true"`,
		`<span class="n" id="open-cases">2</span>`,
		`<span class="n" id="overdue-steps">2</span>`,
		`<span class="n" id="unowned">1</span>`,
		// Stalled leavers: worker, system, target, overdue by (2d 23h 55m).
		`<td>W1</td><td>leaver</td><td>okta</td><td>revoke</td><td>a1</td>`,
		`<td>W2</td><td>leaver</td><td>github</td><td>revoke</td><td>b2</td>`,
		`<td class="overdue">2d 23h</td>`,
		// Compliance by kind over 7 and 30 days.
		`<td>leaver</td><td>33.3% (1/3)</td><td>33.3% (1/3)</td>`,
		`<td>joiner</td><td>0.0% (0/1)</td><td>0.0% (0/1)</td>`,
		`<td>nhi</td><td>no steps due</td>`,
		`as of 2026-03-04 23:55:00 UTC (event time)`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if !regexp.MustCompile(`<canvas id="latency-chart"[^>]*(width|style)=`).MatchString(dom) {
		t.Errorf("the latency chart was not drawn")
	}
	if strings.Contains(dom, `class="error"`) && !strings.Contains(dom, `class="error" hidden`) {
		t.Errorf("page shows an error")
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, ":CONSOLE") || strings.Contains(line, "Uncaught") {
			t.Errorf("console: %s", line)
		}
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}
}
