package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayExitStatus: bad usage exits 2 with a message naming the
// argument, a file that cannot be read exits 1 (SPEC 1).
func TestReplayExitStatus(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(in, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	pol := filepath.Join("..", "..", "processor", "replay", "testdata", "scenarios", "policy.yaml")
	out := filepath.Join(dir, "out.jsonl")
	for _, tc := range []struct {
		input  string
		code   int
		stderr string
	}{
		{in, 0, ""},
		{"okta:" + in, 0, ""},
		{"bogus:" + in, 2, `unknown input format "bogus"`},
		{filepath.Join(dir, "missing.jsonl"), 1, "no such file"},
	} {
		var o, e bytes.Buffer
		code := run(context.Background(), []string{"replay", "--policy", pol, "--input", tc.input, "--output", out}, &o, &e)
		if code != tc.code || !strings.Contains(e.String(), tc.stderr) {
			t.Errorf("replay --input %s: exit %d, stderr %q; want %d and %q", tc.input, code, e.String(), tc.code, tc.stderr)
		}
	}
}
