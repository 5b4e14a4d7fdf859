package main

import (
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The dependency rules of docs/ARCHITECTURE.md, checked on the non-test
// files of the tree.

const module = "github.com/jmlwatch/jmlwatch"

var repoRoot = filepath.Join("..", "..")

// imports returns the non-test imports of the package in dir (relative to
// the repository root).
func imports(t *testing.T, dir string) []string {
	t.Helper()
	pkg, err := build.ImportDir(filepath.Join(repoRoot, dir), 0)
	if err != nil {
		t.Fatalf("reading package %s: %v", dir, err)
	}
	return pkg.Imports
}

// closure returns the packages of this module that dir depends on,
// directly or not, and every import (ours or not) of dir and of them.
func closure(t *testing.T, dir string) (ours, all []string) {
	t.Helper()
	seen := map[string]bool{}
	var visit func(dir string)
	visit = func(dir string) {
		for _, imp := range imports(t, dir) {
			if !slices.Contains(all, imp) {
				all = append(all, imp)
			}
			rel, ok := strings.CutPrefix(imp, module+"/")
			if !ok || seen[rel] {
				continue
			}
			seen[rel] = true
			ours = append(ours, rel)
			visit(rel)
		}
	}
	visit(dir)
	return ours, all
}

func TestEventsImportsNothingOfOurs(t *testing.T) {
	for _, dir := range []string{"events", "events/input", "events/okta", "events/entra", "events/gen", "events/jsonscan", "events/internal/vendorkit"} {
		ours, _ := closure(t, dir)
		for _, p := range ours {
			if p != "events" && !strings.HasPrefix(p, "events/") {
				t.Errorf("%s depends on %s: events must import nothing of ours outside events/", dir, p)
			}
		}
	}
}

func TestStoreImportsNothingOfOurs(t *testing.T) {
	if ours, _ := closure(t, "store"); len(ours) > 0 {
		t.Errorf("store depends on %v: it must import nothing of ours", ours)
	}
}

// TestCorrelatorIsPure: the correlator reaches neither Kafka, Pebble, HTTP
// nor the store, and never reads the wall clock.
func TestCorrelatorIsPure(t *testing.T) {
	ours, all := closure(t, "processor/correlator")
	forbidden := []string{"net/http", "github.com/segmentio/kafka-go", "github.com/twmb/franz-go",
		"github.com/cockroachdb/pebble", module + "/store", module + "/processor/runtime"}
	for _, imp := range all {
		for _, f := range forbidden {
			if imp == f || strings.HasPrefix(imp, f+"/") {
				t.Errorf("processor/correlator depends on %s", imp)
			}
		}
	}
	wall := []string{"Now", "Since", "Until", "After", "AfterFunc", "Tick", "NewTimer", "NewTicker", "Sleep"}
	for _, dir := range append([]string{"processor/correlator"}, ours...) {
		pkg, err := build.ImportDir(filepath.Join(repoRoot, dir), 0)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, name := range pkg.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(pkg.Dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			timePkg := ""
			for _, imp := range f.Imports {
				if imp.Path.Value == `"time"` {
					timePkg = "time"
					if imp.Name != nil {
						timePkg = imp.Name.Name
					}
				}
			}
			if timePkg == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == timePkg && slices.Contains(wall, sel.Sel.Name) {
					t.Errorf("%s: %s.%s: the correlator must not read wall time", fset.Position(sel.Pos()), timePkg, sel.Sel.Name)
				}
				return true
			})
		}
	}
}
