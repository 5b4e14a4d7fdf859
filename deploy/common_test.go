package deploy_test

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/runtime"
)

// The paths and names every deploy file must agree on.
const (
	configPath = "/etc/jmlwatch/config.yaml"
	policyPath = "/etc/jmlwatch/policy.yaml"
	stateMount = "/var/lib/jmlwatch"
	binaryPath = "/usr/local/bin/jmlwatch"
	runtimeUID = 65532
)

// repoRoot is the module root, relative to this package's directory (go
// test runs a package's tests in its directory).
const repoRoot = ".."

// readFile returns the content of a file, failing the test if it cannot be
// read.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return b
}

// decodeStrict decodes one YAML document into v, failing on keys v has no
// field for.
func decodeStrict(t *testing.T, name string, data []byte, v any) {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// loadRunConfig parses a shipped run config with the runtime's strict
// loader. name is the path the config has where it is deployed, so that
// relative paths would resolve as they do there. Environment variables are
// not checked: they exist only in the deployment.
func loadRunConfig(t *testing.T, name string, data []byte) *runtime.Config {
	t.Helper()
	c, err := runtime.ParseConfig(data, name, nil)
	if err != nil {
		t.Fatalf("run config %s does not load:\n%v", name, err)
	}
	return c
}

// loadPolicy parses a shipped policy with processor/policy.
func loadPolicy(t *testing.T, name string, data []byte) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(data, name)
	if err != nil {
		t.Fatalf("policy %s does not load:\n%v", name, err)
	}
	return p
}

// httpPort returns the port of a config's http_addr.
func httpPort(t *testing.T, c *runtime.Config) string {
	t.Helper()
	_, port, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		t.Fatalf("http_addr %q: %v", c.HTTPAddr, err)
	}
	return port
}

// checkServedConfig checks what a config shipped for a container must
// hold, whatever the orchestrator: it listens on every interface (a
// loopback http_addr is unreachable from probes and Prometheus), keeps its
// state on the volume and reads the policy from the mounted file.
func checkServedConfig(t *testing.T, name string, c *runtime.Config) {
	t.Helper()
	host, _, err := net.SplitHostPort(c.HTTPAddr)
	if err != nil {
		t.Fatalf("%s: http_addr %q: %v", name, c.HTTPAddr, err)
	}
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		t.Errorf("%s: http_addr %q listens on loopback only: probes and Prometheus cannot reach it", name, c.HTTPAddr)
	}
	if !within(c.StateDir, stateMount) {
		t.Errorf("%s: state_dir %q is not on the state volume %s", name, c.StateDir, stateMount)
	}
	if c.Policy != policyPath {
		t.Errorf("%s: policy %q, want the mounted %s", name, c.Policy, policyPath)
	}
	if c.Clock != runtime.ClockWall {
		t.Errorf("%s: clock %q: a deployment runs on wall time", name, c.Clock)
	}
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && filepath.IsAbs(path) && !strings.HasPrefix(rel, "..")
}

// topics returns every topic a run config reads or writes, sorted.
func topics(c *runtime.Config) []string {
	var ts []string
	for _, in := range c.Inputs {
		ts = append(ts, in.Topic)
	}
	ts = append(ts, c.Outputs.EventsTopic, c.Outputs.AlertsTopic, c.Outputs.DLQTopic)
	slices.Sort(ts)
	return slices.Compact(ts)
}

// requireTool returns the path of an executable, or skips the test when it
// is absent, unless the environment variable env is 1: then its absence
// fails the test.
func requireTool(t *testing.T, name, env, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv(env) == "1" {
		t.Fatalf("%s is not installed and %s=1 (apt-get install %s)", name, env, pkg)
	}
	t.Skipf("%s is not installed (apt-get install %s); set %s=1 to make this a failure", name, pkg, env)
	return ""
}

// run runs a command and fails the test with its output if it fails.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// metricLabels is the label names of each metric jmlwatch registers; known
// is false for a metric whose label names the source scan could not read.
type metricLabels struct {
	names []string
	known bool
}

// Patterns of metric definitions in Go source. A client_golang *Opts
// literal holds `Name: "jmlwatch_..."` and is followed by `})` (no
// labels) or `}, []string{...})`; a custom collector's
// prometheus.NewDesc("jmlwatch_...", "help", labels, ...) has nil or a
// []string{...} as third argument.
var (
	optsName    = regexp.MustCompile(`Name:\s*"(jmlwatch_[a-z0-9_]+)"`)
	optsLabels  = regexp.MustCompile(`^[^{}]*\}\s*(?:\)|,\s*\[\]string\{([^}]*)\})`)
	descName    = regexp.MustCompile(`NewDesc\(\s*"(jmlwatch_[a-z0-9_]+)"\s*,\s*"(?:[^"\\]|\\.)*"\s*,\s*(nil|\[\]string\{([^}]*)\})`)
	quotedLabel = regexp.MustCompile(`"([a-zA-Z_][a-zA-Z0-9_]*)"`)
)

// registeredMetrics returns the Prometheus metrics jmlwatch registers,
// with their label names: every `Name: "jmlwatch_..."` (client_golang's
// *Opts) and `NewDesc("jmlwatch_..."` (custom collectors) in the non-test
// Go files of the module's packages.
func registeredMetrics(t *testing.T) map[string]metricLabels {
	t.Helper()
	metrics := map[string]metricLabels{}
	for _, dir := range []string{"cmd", "processor", "store", "events"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			scanMetrics(b, metrics)
			return nil
		})
		if err != nil {
			t.Fatalf("scanning %s for metrics: %v", dir, err)
		}
	}
	if len(metrics) == 0 {
		t.Fatal("found no registered jmlwatch_ metric: the scan is broken")
	}
	return metrics
}

// scanMetrics adds the metrics defined in Go source src to metrics.
func scanMetrics(src []byte, metrics map[string]metricLabels) {
	labelList := func(list []byte) []string {
		names := []string{}
		for _, m := range quotedLabel.FindAllSubmatch(list, -1) {
			names = append(names, string(m[1]))
		}
		return names
	}
	for _, m := range optsName.FindAllSubmatchIndex(src, -1) {
		ml := metricLabels{}
		if l := optsLabels.FindSubmatch(src[m[1]:]); l != nil {
			ml = metricLabels{names: labelList(l[1]), known: true}
		}
		metrics[string(src[m[2]:m[3]])] = ml
	}
	for _, m := range descName.FindAllSubmatch(src, -1) {
		metrics[string(m[1])] = metricLabels{names: labelList(m[3]), known: true}
	}
}
