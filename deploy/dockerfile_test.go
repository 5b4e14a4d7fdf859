package deploy_test

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// dockerfile is what the tests need of deploy/Dockerfile.
type dockerfile struct {
	stages     []stage  // in order; the last one is the image
	userID     string   // the final stage's USER, without the group
	volumes    []string // VOLUME paths of the final stage
	expose     []string // EXPOSE ports of the final stage
	entrypoint []string // exec form
	cmd        []string // exec form
	healthy    bool     // has a HEALTHCHECK
}

// stage is one FROM ... [AS name] and its instructions.
type stage struct {
	from, name string
	lines      []instruction
}

// instruction is one parsed instruction: its keyword (lower case), flags
// (--from=build), arguments and whether it was written in exec (JSON) form.
type instruction struct {
	keyword string
	flags   []string
	args    []string
	json    bool
	line    int
}

// parseDockerfile parses deploy/Dockerfile with BuildKit's parser, failing
// on parse errors and on parser warnings (BuildKit prints those and still
// builds, but they mark mistakes such as empty continuation lines).
func parseDockerfile(t *testing.T) *dockerfile {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readFile(t, "Dockerfile")))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile: parser warning: %s", w.Short)
	}
	df := &dockerfile{}
	for _, n := range res.AST.Children {
		in := instruction{keyword: strings.ToLower(n.Value), flags: n.Flags, json: n.Attributes["json"], line: n.StartLine}
		for a := n.Next; a != nil; a = a.Next {
			in.args = append(in.args, a.Value)
		}
		if in.keyword == "from" {
			st := stage{from: in.args[0]}
			if len(in.args) == 3 && strings.EqualFold(in.args[1], "as") {
				st.name = in.args[2]
			}
			df.stages = append(df.stages, st)
			continue
		}
		if len(df.stages) == 0 {
			if in.keyword != "arg" {
				t.Fatalf("Dockerfile line %d: %s before the first FROM", in.line, in.keyword)
			}
			continue
		}
		last := &df.stages[len(df.stages)-1]
		last.lines = append(last.lines, in)
	}
	if len(df.stages) == 0 {
		t.Fatal("Dockerfile: no FROM")
	}
	for _, in := range df.stages[len(df.stages)-1].lines {
		switch in.keyword {
		case "user":
			df.userID, _, _ = strings.Cut(in.args[0], ":")
		case "volume":
			df.volumes = append(df.volumes, in.args...)
		case "expose":
			df.expose = append(df.expose, in.args...)
		case "entrypoint":
			if !in.json {
				t.Errorf("Dockerfile line %d: ENTRYPOINT in shell form: signals would go to a shell, not jmlwatch", in.line)
			}
			df.entrypoint = in.args
		case "cmd":
			if !in.json {
				t.Errorf("Dockerfile line %d: CMD in shell form", in.line)
			}
			df.cmd = in.args
		}
	}
	for _, st := range df.stages {
		for _, in := range st.lines {
			if in.keyword == "healthcheck" {
				df.healthy = true
			}
		}
	}
	return df
}

// TestDockerfile checks the image the Dockerfile describes: a multi-stage
// build of a static binary, a non-root final stage with the state volume
// and the HTTP port, `jmlwatch run --config` as entrypoint, no
// HEALTHCHECK.
func TestDockerfile(t *testing.T) {
	df := parseDockerfile(t)
	if len(df.stages) < 2 {
		t.Fatalf("%d stages; want a multi-stage build", len(df.stages))
	}
	build, final := df.stages[0], df.stages[len(df.stages)-1]
	if build.name == "" {
		t.Error("the build stage has no name (FROM ... AS build)")
	}
	if strings.HasPrefix(final.from, "golang") {
		t.Errorf("the final stage is %s: the image would carry the toolchain", final.from)
	}
	var static bool
	for _, in := range build.lines {
		if in.keyword == "run" && strings.Contains(strings.Join(in.args, " "), "CGO_ENABLED=0 go build") {
			static = true
			if !strings.Contains(strings.Join(in.args, " "), "./cmd/jmlwatch") {
				t.Errorf("Dockerfile line %d: the build does not build ./cmd/jmlwatch", in.line)
			}
		}
	}
	if !static {
		t.Error("no RUN CGO_ENABLED=0 go build in the build stage")
	}
	var copied bool
	for _, in := range final.lines {
		if in.keyword == "copy" && slices.Contains(in.flags, "--from="+build.name) && in.args[len(in.args)-1] == binaryPath {
			copied = true
		}
	}
	if !copied {
		t.Errorf("the final stage does not COPY --from=%s the binary to %s", build.name, binaryPath)
	}
	if df.userID == "" || df.userID == "0" || df.userID == "root" {
		t.Errorf("USER %q: want a non-root numeric user (runAsNonRoot needs a number)", df.userID)
	} else if strings.Trim(df.userID, "0123456789") != "" {
		t.Errorf("USER %q is not numeric: Kubernetes cannot verify runAsNonRoot for a name", df.userID)
	}
	if !slices.Contains(df.volumes, stateMount) {
		t.Errorf("VOLUME %v; want %s for the state", df.volumes, stateMount)
	}
	if df.healthy {
		t.Error("HEALTHCHECK: probes live in the orchestrator (/healthz, /readyz), not the image")
	}
	if want := []string{binaryPath, "run", "--config"}; !slices.Equal(df.entrypoint, want) {
		t.Errorf("ENTRYPOINT %q; want %q", df.entrypoint, want)
	}
	if want := []string{configPath}; !slices.Equal(df.cmd, want) {
		t.Errorf("CMD %q; want %q", df.cmd, want)
	}
	// The port is the one the shipped configs listen on.
	for name, data := range map[string][]byte{
		"k8s ConfigMap config.yaml": []byte(loadManifests(t).configMap.Data["config.yaml"]),
		"compose/config.yaml":       readFile(t, filepath.Join("compose", "config.yaml")),
	} {
		port := httpPort(t, loadRunConfig(t, configPath, data))
		if !slices.Contains(df.expose, port) && !slices.Contains(df.expose, port+"/tcp") {
			t.Errorf("EXPOSE %v does not hold the %s port %s", df.expose, name, port)
		}
	}
}

// TestDockerIgnoreKeepsBuildInputs checks that Dockerfile.dockerignore
// (which BuildKit applies to a build with -f deploy/Dockerfile) excludes no
// file `go build ./cmd/jmlwatch` reads: the Go files and embedded files of
// every package of this module the command imports, go.mod and go.sum.
func TestDockerIgnoreKeepsBuildInputs(t *testing.T) {
	f, err := os.Open("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatalf("Dockerfile.dockerignore: %v", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatalf("Dockerfile.dockerignore: %v", err)
	}
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,Module,GoFiles,EmbedFiles", "./cmd/jmlwatch")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	need := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir        string
			Module     *struct{ Main bool }
			GoFiles    []string
			EmbedFiles []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		rel, err := filepath.Rel(root, p.Dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			need = append(need, filepath.ToSlash(filepath.Join(rel, f)))
		}
	}
	if len(need) < 10 {
		t.Fatalf("go list found only %v: the listing is broken", need)
	}
	for _, f := range need {
		if ignored, err := pm.MatchesOrParentMatches(f); err != nil {
			t.Fatal(err)
		} else if ignored {
			t.Errorf("Dockerfile.dockerignore excludes %s, which the build needs", f)
		}
	}
	for _, f := range []string{".git/HEAD", "deploy/compose.yaml", "processor/runtime/config_test.go"} {
		if ignored, _ := pm.MatchesOrParentMatches(f); !ignored {
			t.Errorf("Dockerfile.dockerignore keeps %s in the build context", f)
		}
	}
}

// TestStaticBinary builds cmd/jmlwatch with CGO_ENABLED=0, as the
// Dockerfile does (without -trimpath and -ldflags, which do not change how
// it links and would defeat the build cache), and checks that the ELF file needs no dynamic loader and
// no shared library, so it runs on a distroless/static or scratch image.
func TestStaticBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "jmlwatch")
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/jmlwatch")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./cmd/jmlwatch: %v\n%s", err, out)
	}
	if err := staticELF(bin); err != nil {
		t.Errorf("CGO_ENABLED=0 build: %v", err)
	}
	// The check itself tells a dynamic executable apart.
	if _, err := os.Stat("/bin/sh"); err == nil {
		if err := staticELF("/bin/sh"); err == nil {
			t.Error("staticELF accepts /bin/sh, a dynamically linked executable")
		}
	}
}

// staticELF returns an error unless path is an ELF executable that needs
// no dynamic loader (no PT_INTERP, no .interp section), has no dynamic
// section and imports no shared library.
func staticELF(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("not an ELF file: %w", err)
	}
	defer f.Close()
	var problems []string
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			problems = append(problems, "a PT_INTERP program header (it needs a dynamic loader)")
		case elf.PT_DYNAMIC:
			problems = append(problems, "a PT_DYNAMIC program header (it is dynamically linked)")
		}
	}
	if f.Section(".interp") != nil {
		problems = append(problems, "an .interp section")
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("reading imported libraries: %w", err)
	}
	if len(libs) > 0 {
		problems = append(problems, fmt.Sprintf("shared libraries %v", libs))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s has %s", path, strings.Join(problems, ", "))
	}
	return nil
}
