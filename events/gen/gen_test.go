package gen_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmlwatch/jmlwatch/events"
	"github.com/jmlwatch/jmlwatch/events/gen"
	"github.com/jmlwatch/jmlwatch/events/input"
	"github.com/jmlwatch/jmlwatch/processor/correlator"
	"github.com/jmlwatch/jmlwatch/processor/policy"
	"github.com/jmlwatch/jmlwatch/processor/replay"
	"github.com/jmlwatch/jmlwatch/store"
)

func digest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return out
}

func TestDeterministic(t *testing.T) {
	cfg := gen.Config{Workers: 300, Days: 20, Seed: 42}
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	ctx := context.Background()
	for _, dir := range []string{a, b} {
		if _, err := gen.WriteDir(ctx, cfg, dir); err != nil {
			t.Fatal(err)
		}
	}
	da, db := digest(t, a), digest(t, b)
	if len(da) != 6 {
		t.Fatalf("want 6 files, got %v", da)
	}
	for name, h := range da {
		if db[name] != h {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	cfg.Seed = 43
	if _, err := gen.WriteDir(ctx, cfg, c); err != nil {
		t.Fatal(err)
	}
	if dc := digest(t, c); dc["okta.jsonl"] == da["okta.jsonl"] {
		t.Error("okta.jsonl is the same for seeds 42 and 43")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []gen.Config{{Workers: 0, Days: 1}, {Workers: 1, Days: 0}, {Workers: 1, Days: 1, Turnover: -1}} {
		if _, err := gen.Generate(context.Background(), cfg, func(gen.File, time.Time, []byte) error { return nil }); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

// TestReplayAndRates generates a small world, checks each file is in time
// order, replays it with the real decoders and correlator, and checks that
// nothing is rejected and the rates are roughly what the model says.
func TestReplayAndRates(t *testing.T) {
	const workers, days = 1500, 60
	dir := t.TempDir()
	st, err := gen.WriteDir(context.Background(), gen.Config{Workers: workers, Days: days, Seed: 7}, dir)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := policy.Load(filepath.Join(dir, gen.PolicyFile))
	if err != nil {
		t.Fatalf("generated policy: %v", err)
	}

	// The files as replay reads them: its file source and decoders.
	decs := input.NewDecoders(pol.Aliases)
	var sources []replay.Source
	for _, f := range gen.Files() {
		src, err := replay.OpenFile(input.Spec{Format: f.Format(), Path: filepath.Join(dir, f.Name())}, decs)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		sources = append(sources, src)
	}
	// Time order within each file, checked on the decoded records. Each
	// source has its own state: replay reads sources on goroutines of
	// their own.
	ordered := make([]replay.Source, len(sources))
	for i, src := range sources {
		var last time.Time
		ordered[i] = sourceFunc(func() (replay.Record, error) {
			r, err := src.Next()
			if err != nil {
				return r, err
			}
			var tm time.Time
			switch {
			case r.Item.Event != nil:
				tm = r.Item.Event.Time
			case r.Item.Skip != nil:
				tm = r.Item.Skip.Time
			}
			if tm.Before(last) {
				t.Errorf("%s:%d: time %v before the previous record's %v", r.Input, r.Line, tm, last)
			}
			last = tm
			return r, nil
		})
	}

	db, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	outputs := map[string]int{}
	var rejected []replay.Record
	sum, err := replay.Run(context.Background(), replay.Config{
		Correlator: correlator.New(pol),
		State:      replay.StoreState(db),
		Sources:    ordered,
		Output:     func(o events.Output) error { outputs[o.Type]++; return nil },
		Reject:     func(r replay.Record) { rejected = append(rejected, r) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rejected {
		if i < 10 {
			t.Errorf("%s:%d rejected: %v", r.Input, r.Line, r.Item.Err)
		}
	}
	if sum.Read != st.Total() {
		t.Errorf("replay read %d records, gen wrote %d", sum.Read, st.Total())
	}
	t.Logf("stats %+v", st)
	t.Logf("replay %+v", sum)
	t.Logf("outputs %v", outputs)

	// Rates: about 17.5% annual turnover (Poisson; generous bounds).
	wantLeavers := float64(workers) * 0.175 * days / 365
	if l := float64(st.Leavers); l < wantLeavers*0.7 || l > wantLeavers*1.3 {
		t.Errorf("leavers %v, want about %.0f", l, wantLeavers)
	}
	if j := float64(st.Joiners); j < wantLeavers*0.7 || j > wantLeavers*1.3 {
		t.Errorf("joiners %v, want about %.0f", j, wantLeavers)
	}
	if r := float64(st.Noise) / float64(st.Lifecycle); r < 17 || r > 23 {
		t.Errorf("noise per lifecycle record %.1f, want about 20", r)
	}
	if sum.Skipped < st.Noise*9/10 {
		t.Errorf("skipped %d, want at least most of the %d noise records", sum.Skipped, st.Noise)
	}
	if sum.SkipBy["duplicate"] == 0 || st.Duplicates == 0 {
		t.Errorf("no duplicate deliveries seen (gen %d, replay %v)", st.Duplicates, sum.SkipBy)
	}
	for _, typ := range []string{events.TypeCaseOpened, events.TypeStepCompleted, events.TypeCaseCompleted,
		events.TypeSLABreached, events.TypeCaseCancelled} {
		if outputs[typ] == 0 {
			t.Errorf("no %s output", typ)
		}
	}
	// Cases by kind: every leaver, joiner and mover decided in the first
	// days - the last two weeks' effective dates may fall past the end but
	// their HR records are mostly written.
	if outputs[events.TypeCaseOpened] < (st.Leavers+st.Joiners+st.Movers)/2 {
		t.Errorf("case.opened %d for %d triggers", outputs[events.TypeCaseOpened], st.Leavers+st.Joiners+st.Movers)
	}
}

type sourceFunc func() (replay.Record, error)

func (f sourceFunc) Next() (replay.Record, error) { return f() }
