package runtime

import (
	"context"
	"github.com/jmlwatch/jmlwatch/events/input"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestKcatInterop produces a binary-mode CloudEvent with kcat, the way a
// shell integration would, and reads the outputs back with kcat. It skips
// when kcat is not installed, unless JMLWATCH_REQUIRE_KCAT=1.
func TestKcatInterop(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("JMLWATCH_REQUIRE_KCAT") == "1" {
			t.Fatal("kcat not found and JMLWATCH_REQUIRE_KCAT=1")
		}
		t.Skip("kcat not installed (apt-get install kcat); set JMLWATCH_REQUIRE_KCAT=1 to require it")
	}
	h := newHarness(t)
	pol := genPolicy(t)
	ctx, cancel := context.WithTimeout(h.ctx, time.Minute)
	defer cancel()
	produce := func(value string, headers ...string) {
		args := []string{"-b", h.addr(), "-P", "-t", "hr", "-k", "w1"}
		for _, hd := range headers {
			args = append(args, "-H", hd)
		}
		cmd := exec.CommandContext(ctx, kcat, args...)
		cmd.Stdin = strings.NewReader(value + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("kcat produce: %v: %s", err, out)
		}
	}
	// A leaver for a worker with no accounts: the case opens with the
	// policy's leaver systems as "*" steps.
	produce(`{"worker_id":"w1","effective_at":"2026-03-01T09:00:00Z","reason":"voluntary"}`,
		"ce_specversion=1.0", "ce_id=L1", "ce_source=hr", "ce_type=io.jmlwatch.hr.leaver",
		"ce_time=2026-03-01T08:00:00Z", "content-type=application/json")
	cfg := h.config(t.TempDir(), Input{Topic: "hr", Format: input.FormatCloudEvents})
	cfg.Outputs.Mode = ModeBinary
	rt, stop := h.start(cfg, pol, false)
	defer stop()
	waitRole(t, ctx, rt, RoleOwner)
	h.read(cfg.Outputs.EventsTopic, 1) // polls until the output is there
	cmd := exec.CommandContext(ctx, kcat, "-b", h.addr(), "-C", "-t", cfg.Outputs.EventsTopic, "-o", "beginning", "-c", "1", "-e",
		"-f", "%k|%h|%s\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kcat consume: %v: %s", err, out)
	}
	s := string(out)
	for _, w := range []string{"w1|", "ce_type=io.jmlwatch.case.opened", "ce_source=jmlwatch", "content-type=application/json", `"case_id":`} {
		if !strings.Contains(s, w) {
			t.Errorf("kcat output lacks %q: %s", w, s)
		}
	}
}
