package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
)

// Problem is one thing wrong with a policy.
type Problem struct {
	// Path is the key at fault, e.g. "slas[3].deadline" or
	// "systems.aws-prod.tier"; empty for problems of the whole document
	// (a YAML syntax error).
	Path string
	// Line is the 1-based line of the key in the file; 0 when unknown
	// (a Policy built in code, or a required key that is missing).
	Line int
	// Message says what is wrong, in lower case.
	Message string
}

// String returns "path: message (line N)", leaving out what is unknown.
func (p Problem) String() string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	if p.Line > 0 {
		fmt.Fprintf(&b, " (line %d)", p.Line)
	}
	return b.String()
}

// Error is every problem found in a policy, returned by Parse, Load and
// Validate. Callers tell a bad policy from other failures with errors.As.
type Error struct {
	// File is the name given to Parse or the path given to Load; empty for
	// a Policy built in code.
	File string
	// Problems are ordered by line; there is at least one.
	Problems []Problem
}

// Error returns one line per problem, each "file: path: message (line N)".
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if e.File != "" {
			lines[i] = e.File + ": " + p.String()
		} else {
			lines[i] = p.String()
		}
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems, looking lines up by path.
type problems struct {
	lines map[string]int
	list  []Problem
}

// add records a problem at path.
func (ps *problems) add(path, format string, args ...any) {
	ps.list = append(ps.list, Problem{Path: path, Line: ps.line(path), Message: fmt.Sprintf(format, args...)})
}

// line returns the line of path, or of its nearest ancestor that has one
// (a missing key is reported at the line of the mapping that lacks it).
func (ps *problems) line(path string) int {
	for path != "" {
		if l, ok := ps.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}

// err returns the collected problems as an *Error, or nil when there are
// none. Problems are sorted by line, those without one last.
func (ps *problems) err(file string) error {
	if len(ps.list) == 0 {
		return nil
	}
	list := slices.Clone(ps.list)
	slices.SortStableFunc(list, func(a, b Problem) int {
		return cmp.Compare(sortLine(a.Line), sortLine(b.Line))
	})
	return &Error{File: file, Problems: list}
}

func sortLine(l int) int {
	if l <= 0 {
		return int(^uint(0) >> 1)
	}
	return l
}

// Validate checks p against the rules of SPEC section 5 and reports every
// problem at once as an *Error (nil when p is valid). On success it sets
// Location from Timezone if Location is nil. Parse and Load call it; call it
// yourself only for a Policy built in code.
func (p *Policy) Validate() error {
	ps := &problems{lines: p.lines}
	p.validate(ps)
	return ps.err(p.file)
}

// validate adds p's problems to ps, and resolves Location.
func (p *Policy) validate(ps *problems) {
	loc, ok := p.loadLocation(ps)
	for _, d := range []struct {
		path string
		d    time.Duration
	}{
		{"allowed_lateness", p.AllowedLateness},
		{"dedupe_window", p.DedupeWindow},
		{"unresolved_ttl", p.UnresolvedTTL},
		{"case_retention", p.CaseRetention},
		{"orphan_window", p.OrphanWindow},
		{"joiner.lookback", p.Joiner.Lookback},
		{"mover.lookback", p.Mover.Lookback},
		{"leaver.lookback", p.Leaver.Lookback},
		{"leaver.date_only_at", p.Leaver.DateOnlyAt},
	} {
		p.checkNonNegative(ps, d.path, d.d)
	}

	for _, k := range sortedKeys(p.Aliases) {
		path := keyPath("aliases", k)
		if k == "" {
			ps.add(path, "system name must not be empty")
		}
		if p.Aliases[k] == "" && !p.invalid[path] {
			ps.add(path, "must name a system, not be empty")
		}
	}
	for _, name := range sortedKeys(p.Systems) {
		path := keyPath("systems", name)
		if name == "" {
			ps.add(path, "system name must not be empty")
		}
		if t := p.Systems[name].Tier; !validTier(t) && !p.invalid[path+".tier"] {
			ps.add(path+".tier", "must be standard or privileged, not %q", t)
		}
	}
	p.checkSystemList(ps, "joiner.systems", p.Joiner.Systems)
	p.checkSystemList(ps, "leaver.systems", p.Leaver.Systems)

	for i, b := range p.Birthright {
		path := fmt.Sprintf("birthright[%d]", i)
		if b.Department == "" && !p.invalid[path+".department"] {
			ps.add(path+".department", "required")
		}
		for j, g := range b.Grants {
			gp := fmt.Sprintf("%s.grants[%d]", path, j)
			if g.System == "" && !p.invalid[gp+".system"] {
				ps.add(gp+".system", "required")
			}
			if g.Entitlement == "" && !p.invalid[gp+".entitlement"] {
				ps.add(gp+".entitlement", "required")
			}
		}
	}

	p.validateSLAs(ps)

	if ok && p.Location == nil && len(ps.list) == 0 {
		p.Location = loc
	}
}

// loadLocation resolves Timezone, reporting a problem when it cannot.
func (p *Policy) loadLocation(ps *problems) (*time.Location, bool) {
	if p.invalid["timezone"] {
		return nil, false
	}
	switch p.Timezone {
	case "":
		ps.add("timezone", "must not be empty")
		return nil, false
	case "Local":
		ps.add("timezone", "must be an IANA time zone name such as UTC or Europe/Paris, not Local")
		return nil, false
	}
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil {
		ps.add("timezone", "unknown time zone %q", p.Timezone)
		return nil, false
	}
	return loc, true
}

func (p *Policy) checkNonNegative(ps *problems, path string, d time.Duration) {
	if d < 0 && !p.invalid[path] {
		ps.add(path, "must not be negative, got %s", d)
	}
}

// checkSystemList reports empty and repeated names in a list of systems.
func (p *Policy) checkSystemList(ps *problems, path string, systems []string) {
	for i, s := range systems {
		ip := fmt.Sprintf("%s[%d]", path, i)
		if p.invalid[ip] {
			continue
		}
		if s == "" {
			ps.add(ip, "system name must not be empty")
			continue
		}
		if j := slices.Index(systems, s); j < i {
			ps.add(ip, "%q is already listed at %s[%d]", s, path, j)
		}
	}
}

var slaKinds = []events.Kind{events.KindJoiner, events.KindMover, events.KindLeaver, events.KindNHI}

func (p *Policy) validateSLAs(ps *problems) {
	if len(p.SLAs) == 0 {
		if !p.invalid["slas"] {
			ps.add("slas", "required: at least one rule for each kind (joiner, mover, leaver, nhi)")
		}
		return
	}
	hasCatchAll := map[events.Kind]bool{}
	for i, r := range p.SLAs {
		path := fmt.Sprintf("slas[%d]", i)
		if !slices.Contains(slaKinds, r.Kind) {
			if !p.invalid[path+".kind"] {
				if r.Kind == "" {
					ps.add(path+".kind", "required: one of joiner, mover, leaver, nhi")
				} else {
					ps.add(path+".kind", "must be joiner, mover, leaver or nhi, not %q", r.Kind)
				}
			}
		} else if r.catchAll() {
			hasCatchAll[r.Kind] = true
		}
		if r.Reason != "" && r.Reason != "voluntary" && r.Reason != "involuntary" {
			ps.add(path+".reason", "must be voluntary or involuntary, not %q", r.Reason)
		}
		if r.Tier != "" && !validTier(r.Tier) {
			ps.add(path+".tier", "must be standard or privileged, not %q", r.Tier)
		}
		deadlineOK := !p.invalid[path+".deadline"]
		if r.Deadline < 0 && deadlineOK {
			ps.add(path+".deadline", "must not be negative, got %s", r.Deadline)
			deadlineOK = false
		}
		if r.HasWarn && !p.invalid[path+".warn_after"] {
			switch {
			case r.WarnAfter < 0:
				ps.add(path+".warn_after", "must not be negative, got %s", r.WarnAfter)
			case deadlineOK && r.WarnAfter >= r.Deadline:
				ps.add(path+".warn_after", "must be shorter than deadline (%s), got %s",
					formatDuration(r.Deadline), formatDuration(r.WarnAfter))
			}
		}
	}
	for _, k := range slaKinds {
		if !hasCatchAll[k] {
			ps.add("slas", "no catch-all rule for kind %s: add a rule with only kind: %s and a deadline", k, k)
		}
	}
}

func validTier(t string) bool {
	return t == events.TierStandard || t == events.TierPrivileged
}

// keyPath returns the path of key in the mapping at parent, quoting keys
// that would make the path ambiguous.
func keyPath(parent, key string) string {
	if key == "" || strings.ContainsAny(key, ".[]\" \t\n") {
		key = fmt.Sprintf("%q", key)
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
