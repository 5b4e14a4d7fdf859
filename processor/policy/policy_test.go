package policy

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the binary embeds it; tests must not depend on the host

	"github.com/jmlwatch/jmlwatch/events"
)

func mustLoad(t *testing.T, path string) *Policy {
	t.Helper()
	p, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	return p
}

func TestGoodFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/*.good.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good files: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p := mustLoad(t, f)
			if p.Location == nil {
				t.Fatal("Location not resolved")
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("Validate of a parsed policy: %v", err)
			}
		})
	}
}

// TestBadFiles lists, for every bad file, each problem expected in order
// (by line): a substring of "path: message (line N)". No other problem may
// be reported.
func TestBadFiles(t *testing.T) {
	cases := map[string][]string{
		"unknown-keys.bad.yml": {
			"allowed_latenes: unknown key (line 2)",
			"systems.okta.manaul: unknown key (line 4)",
			"joiner.look_back: unknown key (line 7)",
			"slas[0].warn: unknown key (line 9)",
			"slas[1].sytem: unknown key (line 12)",
		},
		"durations.bad.yml": {
			`allowed_lateness: must not be negative, got "-5m" (line 1)`,
			`dedupe_window: invalid duration "30days": unknown unit "days"`,
			`unresolved_ttl: empty duration`,
			`case_retention: must be a duration, not a list (line 4)`,
			`orphan_window: duration "1000000d" out of range (line 5)`,
			`leaver.lookback: invalid duration "7"`,
			`leaver.date_only_at: invalid duration "1w": unknown unit "w"`,
			`mover.lookback: invalid duration "1h-1m"`,
		},
		"slas-missing.bad.yml": {"slas: required"},
		"slas-empty.bad.yml":   {"slas: required: at least one rule for each kind (joiner, mover, leaver, nhi) (line 2)"},
		"slas-mapping.bad.yml": {"slas: must be a list, not a mapping (line 1)"},
		"slas-catchall.bad.yml": {
			"slas: no catch-all rule for kind mover",
			"slas: no catch-all rule for kind leaver",
			"slas: no catch-all rule for kind nhi",
		},
		"slas-fields.bad.yml": {
			`slas[0].kind: must be joiner, mover, leaver or nhi, not "leavers" (line 2)`,
			`slas[1].kind: required: one of joiner, mover, leaver, nhi (line 3)`,
			`slas[2].reason: must be voluntary or involuntary, not "fired" (line 4)`,
			`slas[3].tier: must be standard or privileged, not "gold" (line 5)`,
			`slas[4].system: must not be empty`,
			`slas[5].deadline: required (line 7)`,
			`slas[6].warn_after: must be shorter than deadline (1d), got 1d (line 8)`,
			`slas[7].warn_after: must be shorter than deadline (1d), got 2d (line 9)`,
			`slas[8].warn_after: must be shorter than deadline (0s), got 0s (line 10)`,
		},
		"timezone.bad.yml":       {`timezone: unknown time zone "Mars/Base" (line 1)`},
		"timezone-local.bad.yml": {`timezone: must be an IANA time zone name`},
		"systems.bad.yml": {
			`aliases.sfdc: must name a system, not be empty (line 3)`,
			`systems.aws-prod.tier: must be standard or privileged, not "gold" (line 5)`,
			`systems.payroll.manual: must be true or false, not "sometimes" (line 6)`,
			`systems.github.tier: must be a string, not a list (line 7)`,
			`joiner.systems[2]: "okta" is already listed at joiner.systems[0] (line 8)`,
			`leaver.systems[1]: system name must not be empty (line 9)`,
			`birthright[0].department: required (line 11)`,
			`birthright[1].grants[0].entitlement: required (line 14)`,
			`birthright[1].grants[1].system: required (line 15)`,
		},
		"structure.bad.yml": {
			`systems: must be a mapping, not a list (line 1)`,
			`joiner: must be a mapping, not a string (line 2)`,
			`birthright[0]: must be a mapping, not a string (line 4)`,
			`birthright[1].grants[0]: must be a mapping, not a string (line 6)`,
			`slas[0]: must be a mapping, not a list (line 8)`,
			// The dropped slas[0] must not shift the index of later rules.
			`slas[4].deadline: must not be negative, got "-1h" (line 12)`,
		},
		"syntax.bad.yml":        {`invalid YAML: did not find expected ',' or '}' (line 2)`},
		"duplicate-key.bad.yml": {`timezone: duplicate key, first given at line 1 (line 2)`},
		"two-documents.bad.yml": {`one YAML document`},
		"not-a-mapping.bad.yml": {`a policy must be a mapping of keys`},
	}
	files, err := filepath.Glob("testdata/*.bad.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Errorf("%d bad files but %d cases: every bad file needs its expectations", len(files), len(cases))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := cases[name]
			if !ok {
				t.Fatalf("no expectations for %s", name)
			}
			p, err := Load(f)
			if p != nil {
				t.Errorf("Load returned a policy with an error")
			}
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Load(%s) = %v, want an *Error", f, err)
			}
			if perr.File != f {
				t.Errorf("File = %q, want %q", perr.File, f)
			}
			got := make([]string, len(perr.Problems))
			for i, pr := range perr.Problems {
				got[i] = pr.String()
			}
			if len(got) != len(want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
			}
			for i := range want {
				if !strings.Contains(got[i], want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], want[i])
				}
			}
			// Every line of the message names the file.
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, f+": ") {
					t.Errorf("message line %q does not start with the file name", line)
				}
			}
		})
	}
}

func TestSpecExample(t *testing.T) {
	p := mustLoad(t, "testdata/spec-example.good.yml")
	want := &Policy{
		Timezone:        "UTC",
		Location:        time.UTC,
		AllowedLateness: 5 * time.Minute,
		DedupeWindow:    720 * time.Hour,
		UnresolvedTTL:   168 * time.Hour,
		CaseRetention:   400 * 24 * time.Hour,
		OrphanWindow:    365 * 24 * time.Hour,
		Aliases:         map[string]string{"Salesforce.com": "salesforce"},
		Systems: map[string]System{
			"okta":       {Tier: events.TierStandard},
			"salesforce": {Tier: events.TierStandard},
			"aws-prod":   {Tier: events.TierPrivileged},
			"payroll":    {Tier: events.TierPrivileged, Manual: true},
		},
		Joiner: JoinerPolicy{Systems: []string{"okta"}, Lookback: 720 * time.Hour},
		Mover:  MoverPolicy{Lookback: 168 * time.Hour},
		Leaver: LeaverPolicy{Systems: []string{"okta"}, Lookback: 168 * time.Hour, DateOnlyAt: 24 * time.Hour},
		Birthright: []Birthright{
			{Department: "Engineering", Grants: []Grant{{System: "okta", Entitlement: "engineering"}}},
		},
		SLAs: []SLARule{
			{Kind: events.KindLeaver, Reason: "involuntary", Deadline: time.Hour},
			{Kind: events.KindLeaver, Tier: events.TierPrivileged, Deadline: 4 * time.Hour},
			{Kind: events.KindLeaver, Deadline: 24 * time.Hour, WarnAfter: 12 * time.Hour, HasWarn: true},
			{Kind: events.KindNHI, Deadline: 168 * time.Hour},
			{Kind: events.KindJoiner, Deadline: 0},
			{Kind: events.KindMover, Deadline: 72 * time.Hour},
		},
	}
	comparePolicies(t, p, want)
}

// TestDefaults checks that a policy with only slas gets every default of
// SPEC section 5.
func TestDefaults(t *testing.T) {
	p := mustLoad(t, "testdata/minimal.good.yml")
	want := &Policy{
		Timezone:        "UTC",
		Location:        time.UTC,
		AllowedLateness: 5 * time.Minute,
		DedupeWindow:    720 * time.Hour,
		UnresolvedTTL:   168 * time.Hour,
		CaseRetention:   400 * 24 * time.Hour,
		OrphanWindow:    365 * 24 * time.Hour,
		Aliases:         map[string]string{},
		Systems:         map[string]System{},
		Joiner:          JoinerPolicy{Systems: []string{"okta"}, Lookback: 720 * time.Hour},
		Mover:           MoverPolicy{Lookback: 168 * time.Hour},
		Leaver:          LeaverPolicy{Systems: []string{"okta"}, Lookback: 168 * time.Hour, DateOnlyAt: 24 * time.Hour},
		SLAs: []SLARule{
			{Kind: events.KindJoiner, Deadline: 0},
			{Kind: events.KindMover, Deadline: 72 * time.Hour},
			{Kind: events.KindLeaver, Deadline: 24 * time.Hour},
			{Kind: events.KindNHI, Deadline: 7 * 24 * time.Hour},
		},
	}
	comparePolicies(t, p, want)
	if p.MaxLookback() != 720*time.Hour {
		t.Errorf("MaxLookback = %v, want 720h", p.MaxLookback())
	}
}

func TestDurationsAndNulls(t *testing.T) {
	p := mustLoad(t, "testdata/durations.good.yml")
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"allowed_lateness", p.AllowedLateness, 0},
		{"dedupe_window", p.DedupeWindow, 36 * time.Hour},
		{"unresolved_ttl", p.UnresolvedTTL, 36 * time.Hour},
		{"case_retention", p.CaseRetention, 400 * 24 * time.Hour},
		{"orphan_window (null: default)", p.OrphanWindow, DefaultOrphanWindow},
		{"joiner.lookback", p.Joiner.Lookback, 30 * 24 * time.Hour},
		{"mover.lookback (null section: default)", p.Mover.Lookback, DefaultMoverLookback},
		{"leaver.lookback", p.Leaver.Lookback, 90 * time.Minute},
		{"leaver.date_only_at", p.Leaver.DateOnlyAt, 17*time.Hour + 30*time.Minute},
		{"slas[1].deadline", p.SLAs[1].Deadline, 3 * 24 * time.Hour},
		{"slas[1].warn_after", p.SLAs[1].WarnAfter, 24 * time.Hour},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if p.Location.String() != paris.String() {
		t.Errorf("Location = %v, want Europe/Paris", p.Location)
	}
	if !reflect.DeepEqual(p.Joiner.Systems, []string{"okta"}) {
		t.Errorf("joiner.systems (omitted) = %v, want the default [okta]", p.Joiner.Systems)
	}
	// warn_after: 0s is a warning at effective_at, not "no warning".
	if r := p.SLAs[2]; !r.HasWarn || r.WarnAfter != 0 {
		t.Errorf("slas[2] = %+v, want HasWarn with WarnAfter 0", r)
	}
	if r := p.SLAs[0]; r.HasWarn {
		t.Errorf("slas[0] = %+v, want no warning", r)
	}
}

func TestLookups(t *testing.T) {
	p := mustLoad(t, "testdata/unlisted.good.yml")
	for _, c := range []struct {
		system       string
		tier, label  string
		manual, list bool
	}{
		{"okta", events.TierStandard, "okta", false, true}, // listed with a null value
		{"payroll", events.TierStandard, "payroll", true, true},
		{"github", events.TierStandard, "other", false, false}, // named by joiner and birthright only
		{"nowhere", events.TierStandard, "other", false, false},
	} {
		if got := p.Tier(c.system); got != c.tier {
			t.Errorf("Tier(%s) = %s, want %s", c.system, got, c.tier)
		}
		if got := p.MetricLabel(c.system); got != c.label {
			t.Errorf("MetricLabel(%s) = %s, want %s", c.system, got, c.label)
		}
		if got := p.Manual(c.system); got != c.manual {
			t.Errorf("Manual(%s) = %v, want %v", c.system, got, c.manual)
		}
		if got := p.Listed(c.system); got != c.list {
			t.Errorf("Listed(%s) = %v, want %v", c.system, got, c.list)
		}
	}
	if !reflect.DeepEqual(p.Joiner.Systems, []string{"okta", "github", "aws-dev"}) {
		t.Errorf("joiner.systems = %v", p.Joiner.Systems)
	}
	if p.Leaver.Systems == nil || len(p.Leaver.Systems) != 0 {
		t.Errorf("leaver.systems = %#v, want empty (given as [])", p.Leaver.Systems)
	}

	wantEng := []Grant{
		{System: "github", Entitlement: "org-member"},
		{System: "okta", Entitlement: "engineering"},
		{System: "okta", Entitlement: "vpn"},
	}
	if got := p.BirthrightGrants("Engineering"); !reflect.DeepEqual(got, wantEng) {
		t.Errorf("BirthrightGrants(Engineering) = %v, want %v", got, wantEng)
	}
	if got := p.BirthrightGrants("Sales"); got != nil {
		t.Errorf("BirthrightGrants(Sales) = %v, want nil", got)
	}
	if got := p.BirthrightGrants("engineering"); got != nil {
		t.Errorf("BirthrightGrants is case-sensitive; got %v", got)
	}
	// The result is the caller's.
	g := p.BirthrightGrants("Engineering")
	g[0].System = "mutated"
	if p.BirthrightGrants("Engineering")[0].System != "github" {
		t.Error("BirthrightGrants returned the policy's own storage")
	}
}

func TestCanonical(t *testing.T) {
	p := mustLoad(t, "testdata/spec-example.good.yml")
	for in, want := range map[string]string{
		"Salesforce.com": "salesforce",
		"salesforce":     "salesforce",
		"okta":           "okta",
		"unknown":        "unknown",
	} {
		if got := p.Canonical(in); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMatchSLA(t *testing.T) {
	spec := mustLoad(t, "testdata/spec-example.good.yml")
	unlisted := mustLoad(t, "testdata/unlisted.good.yml")
	for _, c := range []struct {
		p                    *Policy
		kind                 events.Kind
		reason, tier, system string
		deadline             time.Duration
		warn                 time.Duration
		hasWarn              bool
	}{
		{spec, events.KindLeaver, "involuntary", events.TierStandard, "okta", time.Hour, 0, false},
		{spec, events.KindLeaver, "involuntary", events.TierPrivileged, "aws-prod", time.Hour, 0, false},
		{spec, events.KindLeaver, "voluntary", events.TierPrivileged, "aws-prod", 4 * time.Hour, 0, false},
		{spec, events.KindLeaver, "", events.TierPrivileged, "payroll", 4 * time.Hour, 0, false},
		{spec, events.KindLeaver, "voluntary", events.TierStandard, "okta", 24 * time.Hour, 12 * time.Hour, true},
		{spec, events.KindNHI, "involuntary", events.TierPrivileged, "aws-prod", 168 * time.Hour, 0, false},
		{spec, events.KindJoiner, "", events.TierPrivileged, "aws-prod", 0, 0, false},
		{spec, events.KindMover, "", events.TierStandard, "okta", 72 * time.Hour, 0, false},
		{unlisted, events.KindLeaver, "involuntary", events.TierStandard, "github", 2 * time.Hour, 0, false},
		{unlisted, events.KindLeaver, "voluntary", events.TierStandard, "okta", 8 * time.Hour, 0, false},
		{unlisted, events.KindLeaver, "involuntary", events.TierStandard, "okta", 24 * time.Hour, 0, false},
		{unlisted, events.KindLeaver, "voluntary", events.TierPrivileged, "okta", 24 * time.Hour, 0, false},
	} {
		r := c.p.MatchSLA(c.kind, c.reason, c.tier, c.system)
		if r.Kind != c.kind || r.Deadline != c.deadline || r.HasWarn != c.hasWarn || r.WarnAfter != c.warn {
			t.Errorf("MatchSLA(%s, %q, %s, %s) = %+v, want deadline %v warn %v/%v",
				c.kind, c.reason, c.tier, c.system, r, c.deadline, c.hasWarn, c.warn)
		}
	}
	if r := (&Policy{}).MatchSLA(events.KindJoiner, "", events.TierStandard, "okta"); r != (SLARule{}) {
		t.Errorf("MatchSLA without rules = %+v, want the zero rule", r)
	}
}

func TestMaxLookback(t *testing.T) {
	p := &Policy{
		Joiner: JoinerPolicy{Lookback: time.Hour},
		Mover:  MoverPolicy{Lookback: 3 * time.Hour},
		Leaver: LeaverPolicy{Lookback: 2 * time.Hour},
	}
	if got := p.MaxLookback(); got != 3*time.Hour {
		t.Errorf("MaxLookback = %v, want 3h", got)
	}
}

func validCodePolicy() *Policy {
	return &Policy{
		Timezone: "America/New_York",
		Systems:  map[string]System{"okta": {Tier: events.TierStandard}},
		SLAs: []SLARule{
			{Kind: events.KindJoiner, Deadline: time.Hour},
			{Kind: events.KindMover, Deadline: time.Hour},
			{Kind: events.KindLeaver, Deadline: time.Hour, WarnAfter: 30 * time.Minute, HasWarn: true},
			{Kind: events.KindNHI, Deadline: time.Hour},
		},
	}
}

func TestValidateCodePolicy(t *testing.T) {
	p := validCodePolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if p.Location == nil || p.Location.String() != "America/New_York" {
		t.Fatalf("Location = %v, want America/New_York", p.Location)
	}

	bad := validCodePolicy()
	bad.Timezone = "Mars/Base"
	bad.AllowedLateness = -time.Second
	bad.Systems["aws-prod"] = System{Tier: "gold"}
	bad.Aliases = map[string]string{"": "okta"}
	bad.SLAs[2].WarnAfter = 2 * time.Hour
	bad.SLAs[3].Deadline = -time.Hour
	bad.SLAs = bad.SLAs[1:] // no joiner catch-all
	err := bad.Validate()
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("Validate = %v, want an *Error", err)
	}
	want := []string{
		`timezone: unknown time zone "Mars/Base"`,
		`allowed_lateness: must not be negative, got -1s`,
		`aliases."": system name must not be empty`,
		`systems.aws-prod.tier: must be standard or privileged, not "gold"`,
		`slas[1].warn_after: must be shorter than deadline (1h), got 2h`,
		`slas[2].deadline: must not be negative, got -1h0m0s`,
		`slas: no catch-all rule for kind joiner`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("Validate:\n%v\nwant %d problems", err, len(want))
	}
	for i := range want {
		// No file name and no line: the policy was built in code.
		if !strings.HasPrefix(lines[i], want[i]) || strings.Contains(lines[i], "(line") {
			t.Errorf("problem %d = %q, want %q...", i, lines[i], want[i])
		}
	}
	if bad.Location != nil {
		t.Error("Validate set Location on an invalid policy")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of a missing file = %v, want fs.ErrNotExist", err)
	}
	var perr *Error
	if errors.As(err, &perr) {
		t.Fatal("a missing file is not a policy *Error")
	}
}

func TestParseName(t *testing.T) {
	data, err := os.ReadFile("testdata/timezone.bad.yml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data, "policy.yaml")
	if want := `policy.yaml: timezone: unknown time zone "Mars/Base" (line 1)`; err == nil || err.Error() != want {
		t.Errorf("Parse = %v, want %s", err, want)
	}
}

func comparePolicies(t *testing.T, got, want *Policy) {
	t.Helper()
	if got.Location.String() != want.Location.String() {
		t.Errorf("Location = %v, want %v", got.Location, want.Location)
	}
	g, w := *got, *want
	g.Location, w.Location = nil, nil
	g.file, g.lines, g.invalid = "", nil, nil
	if !reflect.DeepEqual(g, w) {
		t.Errorf("policy:\n got %+v\nwant %+v", g, w)
	}
}
