package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jmlwatch/jmlwatch/events"
)

// Load reads and parses the policy file at path (see Parse). A file that
// cannot be read is reported as a wrapped os error, not as an *Error.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy %s: %w", path, err)
	}
	return Parse(data, path)
}

// Parse decodes a policy file, applies the defaults and validates it. name
// (usually the file's path) prefixes every message. A policy with any
// problem returns a nil Policy and an *Error listing all of them.
func Parse(data []byte, name string) (*Policy, error) {
	ps := &problems{lines: map[string]int{}}

	// The document is read twice: once as a node tree to learn the line of
	// every key path, once strictly into the raw structs.
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		ps.list = append(ps.list, syntaxProblem(err))
		return nil, ps.err(name)
	}
	idx := newLineIndex(&root)
	ps.lines = idx.lines
	if len(root.Content) > 0 && root.Content[0].Kind != yaml.MappingNode && root.Content[0].ShortTag() != "!!null" {
		doc := root.Content[0]
		ps.list = append(ps.list, Problem{Line: doc.Line, Message: "a policy must be a mapping of keys (timezone, systems, slas, ...), not a " + kindName(doc.Kind)})
		return nil, ps.err(name)
	}
	invalid := map[string]bool{}

	var raw rawPolicy
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	switch err := dec.Decode(&raw); {
	case err == nil, errors.Is(err, io.EOF): // io.EOF: an empty file
	default:
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			ps.list = append(ps.list, syntaxProblem(err))
			return nil, ps.err(name)
		}
		dups := false
		for _, msg := range te.Errors {
			pr, dup := idx.typeProblem(msg)
			ps.list = append(ps.list, pr)
			invalid[pr.Path] = true
			dups = dups || dup
		}
		if dups {
			// yaml skipped every mapping with a duplicate key: checking
			// what was decoded would report keys that are there as missing.
			return nil, ps.err(name)
		}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		ps.list = append(ps.list, Problem{Line: extra.Line, Message: "a policy file holds one YAML document; found another"})
	}

	p := &Policy{file: name, lines: idx.lines, invalid: invalid}
	c := converter{ps: ps, idx: idx, invalid: invalid}
	c.convert(&raw, p)
	p.validate(ps)
	if err := ps.err(name); err != nil {
		return nil, err
	}
	return p, nil
}

// node captures a YAML value as it is written, so the converter can report
// bad values with their path and line. YAML null leaves it nil (omitted).
type node struct{ *yaml.Node }

// UnmarshalYAML implements yaml.Unmarshaler.
func (n *node) UnmarshalYAML(v *yaml.Node) error {
	n.Node = v
	return nil
}

type rawPolicy struct {
	Timezone        node                  `yaml:"timezone"`
	AllowedLateness node                  `yaml:"allowed_lateness"`
	DedupeWindow    node                  `yaml:"dedupe_window"`
	UnresolvedTTL   node                  `yaml:"unresolved_ttl"`
	CaseRetention   node                  `yaml:"case_retention"`
	OrphanWindow    node                  `yaml:"orphan_window"`
	Aliases         map[string]node       `yaml:"aliases"`
	Systems         map[string]*rawSystem `yaml:"systems"`
	Joiner          *rawJoiner            `yaml:"joiner"`
	Mover           *rawMover             `yaml:"mover"`
	Leaver          *rawLeaver            `yaml:"leaver"`
	Birthright      []*rawBirthright      `yaml:"birthright"`
	SLAs            []*rawRule            `yaml:"slas"`
}

type rawSystem struct {
	Tier   node `yaml:"tier"`
	Manual node `yaml:"manual"`
}

type rawJoiner struct {
	Systems  []node `yaml:"systems"`
	Lookback node   `yaml:"lookback"`
}

type rawMover struct {
	Lookback node `yaml:"lookback"`
}

type rawLeaver struct {
	Systems    []node `yaml:"systems"`
	Lookback   node   `yaml:"lookback"`
	DateOnlyAt node   `yaml:"date_only_at"`
}

type rawBirthright struct {
	Department node        `yaml:"department"`
	Grants     []*rawGrant `yaml:"grants"`
}

type rawGrant struct {
	System      node `yaml:"system"`
	Entitlement node `yaml:"entitlement"`
}

type rawRule struct {
	Kind      node `yaml:"kind"`
	Reason    node `yaml:"reason"`
	Tier      node `yaml:"tier"`
	System    node `yaml:"system"`
	Deadline  node `yaml:"deadline"`
	WarnAfter node `yaml:"warn_after"`
}

// converter turns raw values into a Policy, applying defaults and recording
// values it cannot read as problems and in invalid.
type converter struct {
	ps      *problems
	idx     *lineIndex
	invalid map[string]bool
}

func (c *converter) bad(path, format string, args ...any) {
	c.invalid[path] = true
	c.ps.add(path, format, args...)
}

// scalar returns the text of n, reporting a problem if n is not a scalar.
// ok is false when n is omitted or bad.
func (c *converter) scalar(path string, n node, what string) (string, bool) {
	if n.Node == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		c.bad(path, "must be %s, not a %s", what, kindName(n.Kind))
		return "", false
	}
	return n.Value, true
}

func (c *converter) str(path string, n node, def string) string {
	if s, ok := c.scalar(path, n, "a string"); ok {
		return s
	}
	return def
}

func (c *converter) duration(path string, n node, def time.Duration) time.Duration {
	s, ok := c.scalar(path, n, "a duration")
	if !ok {
		return def
	}
	d, err := ParseDuration(s)
	if err != nil {
		c.bad(path, "%v", err)
		return def
	}
	return d
}

func (c *converter) boolean(path string, n node) bool {
	s, ok := c.scalar(path, n, "true or false")
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		c.bad(path, "must be true or false, not %q", s)
		return false
	}
	return b
}

func (c *converter) systems(path string, ns []node, present bool, def string) []string {
	if !present {
		return []string{def}
	}
	out := make([]string, 0, len(ns))
	for i, n := range ns {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if n.Node == nil {
			c.bad(ip, "system name must not be empty")
			continue
		}
		out = append(out, c.str(ip, n, ""))
	}
	return out
}

func (c *converter) convert(raw *rawPolicy, p *Policy) {
	p.Timezone = c.str("timezone", raw.Timezone, DefaultTimezone)
	p.AllowedLateness = c.duration("allowed_lateness", raw.AllowedLateness, DefaultAllowedLateness)
	p.DedupeWindow = c.duration("dedupe_window", raw.DedupeWindow, DefaultDedupeWindow)
	p.UnresolvedTTL = c.duration("unresolved_ttl", raw.UnresolvedTTL, DefaultUnresolvedTTL)
	p.CaseRetention = c.duration("case_retention", raw.CaseRetention, DefaultCaseRetention)
	p.OrphanWindow = c.duration("orphan_window", raw.OrphanWindow, DefaultOrphanWindow)

	p.Aliases = make(map[string]string, len(raw.Aliases))
	for k, v := range raw.Aliases {
		p.Aliases[k] = c.str(keyPath("aliases", k), v, "")
	}

	p.Systems = make(map[string]System, len(raw.Systems))
	for name, rs := range raw.Systems {
		s := System{Tier: events.TierStandard}
		if rs != nil {
			path := keyPath("systems", name)
			s.Tier = c.str(path+".tier", rs.Tier, events.TierStandard)
			s.Manual = c.boolean(path+".manual", rs.Manual)
		}
		p.Systems[name] = s
	}

	p.Joiner = JoinerPolicy{Systems: []string{DefaultJoinerSystem}, Lookback: DefaultJoinerLookback}
	if j := raw.Joiner; j != nil {
		p.Joiner.Systems = c.systems("joiner.systems", j.Systems, j.Systems != nil, DefaultJoinerSystem)
		p.Joiner.Lookback = c.duration("joiner.lookback", j.Lookback, DefaultJoinerLookback)
	}
	p.Mover = MoverPolicy{Lookback: DefaultMoverLookback}
	if m := raw.Mover; m != nil {
		p.Mover.Lookback = c.duration("mover.lookback", m.Lookback, DefaultMoverLookback)
	}
	p.Leaver = LeaverPolicy{Systems: []string{DefaultLeaverSystem}, Lookback: DefaultLeaverLookback, DateOnlyAt: DefaultDateOnlyAt}
	if l := raw.Leaver; l != nil {
		p.Leaver.Systems = c.systems("leaver.systems", l.Systems, l.Systems != nil, DefaultLeaverSystem)
		p.Leaver.Lookback = c.duration("leaver.lookback", l.Lookback, DefaultLeaverLookback)
		p.Leaver.DateOnlyAt = c.duration("leaver.date_only_at", l.DateOnlyAt, DefaultDateOnlyAt)
	}

	for i, k := range c.idx.positions("birthright", len(raw.Birthright)) {
		path := fmt.Sprintf("birthright[%d]", i)
		var b Birthright
		if k < 0 || raw.Birthright[k] == nil {
			if k >= 0 {
				c.bad(path, "must be a mapping with department and grants")
			}
			c.invalid[path+".department"] = true
			p.Birthright = append(p.Birthright, b)
			continue
		}
		rb := raw.Birthright[k]
		b.Department = c.str(path+".department", rb.Department, "")
		for j, kg := range c.idx.positions(path+".grants", len(rb.Grants)) {
			gp := fmt.Sprintf("%s.grants[%d]", path, j)
			var g Grant
			if kg < 0 || rb.Grants[kg] == nil {
				if kg >= 0 {
					c.bad(gp, "must be a mapping with system and entitlement")
				}
				c.invalid[gp+".system"] = true
				c.invalid[gp+".entitlement"] = true
			} else {
				g.System = c.str(gp+".system", rb.Grants[kg].System, "")
				g.Entitlement = c.str(gp+".entitlement", rb.Grants[kg].Entitlement, "")
			}
			b.Grants = append(b.Grants, g)
		}
		p.Birthright = append(p.Birthright, b)
	}

	if raw.SLAs == nil {
		return
	}
	p.SLAs = make([]SLARule, 0, len(raw.SLAs))
	for i, k := range c.idx.positions("slas", len(raw.SLAs)) {
		path := fmt.Sprintf("slas[%d]", i)
		var r SLARule
		if k < 0 || raw.SLAs[k] == nil {
			if k >= 0 {
				c.bad(path, "must be a mapping with kind and deadline")
			}
			// A placeholder keeps indexes aligned with the file; its
			// problem is already reported.
			p.SLAs = append(p.SLAs, SLARule{Kind: "-"})
			c.invalid[path+".kind"] = true
			continue
		}
		rr := raw.SLAs[k]
		r.Kind = events.Kind(c.str(path+".kind", rr.Kind, ""))
		r.Reason = c.matchField(path+".reason", rr.Reason)
		r.Tier = c.matchField(path+".tier", rr.Tier)
		r.System = c.matchField(path+".system", rr.System)
		if rr.Deadline.Node == nil {
			c.bad(path+".deadline", "required")
		} else {
			r.Deadline = c.duration(path+".deadline", rr.Deadline, 0)
		}
		if rr.WarnAfter.Node != nil {
			r.HasWarn = true
			r.WarnAfter = c.duration(path+".warn_after", rr.WarnAfter, 0)
		}
		p.SLAs = append(p.SLAs, r)
	}
}

// matchField reads an optional match field of an SLA rule; given, it must
// not be empty (an empty value would silently make the rule a catch-all).
func (c *converter) matchField(path string, n node) string {
	s, ok := c.scalar(path, n, "a string")
	if ok && s == "" {
		c.bad(path, "must not be empty; leave the key out to match anything")
	}
	return s
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.ScalarNode:
		return "scalar"
	case yaml.AliasNode:
		return "alias"
	}
	return "document"
}

// lineIndex knows the line of every key path of a document, to give yaml's
// line-only messages a path.
type lineIndex struct {
	// lines maps a path to the line of its key (or of its element, for a
	// list element).
	lines map[string]int
	// byKey maps a line and key to the path of that key.
	byKey map[lineKey]string
	// byLine maps a line to the first path on it.
	byLine map[int]string
	// seqs maps the path of a list to its elements.
	seqs map[string][]*yaml.Node
	// values are the value nodes of the document with their paths, parents
	// before children.
	values []valueRef
	// used marks the values already blamed by valuePath.
	used map[int]bool
}

type valueRef struct {
	path string
	n    *yaml.Node
}

type lineKey struct {
	line int
	key  string
}

func newLineIndex(root *yaml.Node) *lineIndex {
	idx := &lineIndex{lines: map[string]int{}, byKey: map[lineKey]string{}, byLine: map[int]string{}, seqs: map[string][]*yaml.Node{}, used: map[int]bool{}}
	idx.walk(root, "")
	return idx
}

func (idx *lineIndex) record(path string, line int) {
	idx.lines[path] = line
	if _, ok := idx.byLine[line]; !ok {
		idx.byLine[line] = path
	}
}

func (idx *lineIndex) walk(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			idx.walk(c, path)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := keyPath(path, k.Value)
			idx.record(p, k.Line)
			idx.values = append(idx.values, valueRef{p, v})
			lk := lineKey{k.Line, k.Value}
			if _, ok := idx.byKey[lk]; !ok {
				idx.byKey[lk] = p
			}
			idx.walk(v, p)
		}
	case yaml.SequenceNode:
		idx.seqs[path] = n.Content
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			idx.record(p, c.Line)
			idx.values = append(idx.values, valueRef{p, c})
			idx.walk(c, p)
		}
	}
}

var (
	unknownFieldRE = regexp.MustCompile(`^line (\d+): field (.*) not found in type \S+$`)
	duplicateKeyRE = regexp.MustCompile(`^line (\d+): mapping key "(.*)" already defined at line (\d+)$`)
	cannotRE       = regexp.MustCompile("^line (\\d+): cannot unmarshal (\\S+)(?: `(.*)`)? into (.+)$")
	lineMsgRE      = regexp.MustCompile(`^line (\d+): (.*)$`)
	syntaxLineRE   = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// typeProblem turns one message of a *yaml.TypeError into a Problem. dup
// reports a duplicate key, after which yaml leaves the whole mapping holding
// it undecoded.
func (idx *lineIndex) typeProblem(msg string) (pr Problem, dup bool) {
	if m := unknownFieldRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path, ok := idx.byKey[lineKey{line, m[2]}]
		if !ok {
			path = m[2]
		}
		return Problem{Path: path, Line: line, Message: "unknown key"}, false
	}
	if m := duplicateKeyRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path, ok := idx.byKey[lineKey{line, m[2]}]
		if !ok {
			path = m[2]
		}
		return Problem{Path: path, Line: line, Message: "duplicate key, first given at line " + m[3]}, true
	}
	if m := cannotRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		path := idx.valuePath(line, m[2], m[3])
		if l, ok := idx.lines[path]; ok {
			line = l // the line of the key rather than of its value
		}
		return Problem{
			Path:    path,
			Line:    line,
			Message: fmt.Sprintf("must be %s, not a %s", goTypeName(m[4]), yamlTagName(m[2])),
		}, false
	}
	if m := lineMsgRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Path: idx.byLine[line], Line: line, Message: m[2]}, false
	}
	return Problem{Message: msg}, false
}

// valuePath returns the path of the value yaml complained about: on line,
// with the given tag and (for scalars) text, which yaml shortens to 7
// characters and "...". A list or mapping shares its first line with its
// first element, so the deepest candidate not yet used is chosen.
func (idx *lineIndex) valuePath(line int, tag, text string) string {
	prefix, cut := strings.CutSuffix(text, "...")
	best, bestDepth := -1, -1
	for i, v := range idx.values {
		n := v.n
		if n.Line != line || n.ShortTag() != tag || idx.used[i] {
			continue
		}
		if n.Kind == yaml.ScalarNode && n.Value != text && !(cut && strings.HasPrefix(n.Value, prefix)) {
			continue
		}
		if d := strings.Count(v.path, ".") + strings.Count(v.path, "["); d > bestDepth {
			best, bestDepth = i, d
		}
	}
	if best < 0 {
		return idx.byLine[line]
	}
	idx.used[best] = true
	return idx.values[best].path
}

// goTypeName describes the Go type yaml wanted in policy terms.
func goTypeName(t string) string {
	switch {
	case t == "policy.rawPolicy":
		return "a mapping of policy keys"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "policy.") || strings.HasPrefix(t, "*policy."):
		return "a mapping"
	}
	return t
}

func yamlTagName(tag string) string {
	switch strings.TrimPrefix(tag, "!!") {
	case "map":
		return "mapping"
	case "seq":
		return "list"
	case "str":
		return "string"
	case "int", "float":
		return "number"
	}
	return tag
}

// syntaxProblem turns a yaml syntax error into a Problem.
func syntaxProblem(err error) Problem {
	msg := err.Error()
	if m := syntaxLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Message: "invalid YAML: " + m[2]}
	}
	return Problem{Message: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// positions maps the file positions of the list of structs at path to the
// n elements yaml decoded from it: out[i] is the decoded index of the i-th
// element in the file, or -1 for an element yaml dropped. yaml drops an
// element that is neither a mapping nor null (and reports it as a type
// error); without this the paths of the elements after it would shift.
func (idx *lineIndex) positions(path string, n int) []int {
	var out []int
	j := 0
	for _, e := range idx.seqs[path] {
		for e.Kind == yaml.AliasNode && e.Alias != nil {
			e = e.Alias
		}
		if e.Kind == yaml.MappingNode || e.ShortTag() == "!!null" {
			out = append(out, j)
			j++
		} else {
			out = append(out, -1)
		}
	}
	if j != n {
		out = out[:0]
		for i := range n {
			out = append(out, i)
		}
	}
	return out
}
