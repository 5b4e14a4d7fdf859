package runtime

import (
	"errors"
	"testing"
)

// TestSecondMemberStaysIdle: a second member of the group gets no
// partition, says so on /readyz, and the first keeps ownership.
func TestSecondMemberStaysIdle(t *testing.T) {
	h := newHarness(t)
	files, pol := genData(t, 10, 30)
	ins := h.produceFiles(files)
	a, stopA := h.start(h.config(t.TempDir(), ins...), pol, false)
	defer stopA()
	waitRole(t, h.ctx, a, RoleOwner)
	b, stopB := h.start(h.config(t.TempDir(), ins...), pol, false)
	defer stopB()
	waitRole(t, h.ctx, b, RoleStandby)
	if rd := b.Readiness(); rd.Ready || rd.Reason == "" {
		t.Errorf("standby readiness = %+v, want not ready with a reason", rd)
	}
	waitRole(t, h.ctx, a, RoleOwner)
	if rd := a.Readiness(); !rd.Ready {
		t.Errorf("owner readiness = %+v", rd)
	}
}

// TestRefuseWithoutCheckpointThenRebuild: an empty store while Kafka has
// committed offsets refuses to start, naming both; --rebuild starts over
// from the earliest offsets and emits the same outputs again.
func TestRefuseWithoutCheckpointThenRebuild(t *testing.T) {
	h := newHarness(t)
	files, pol := genData(t, 30, 60)
	want := replayOutputs(t, files, pol)
	ins := h.produceFiles(files)
	cfg := h.config(t.TempDir(), ins...)
	rt, stop := h.start(cfg, pol, false)
	waitRole(t, h.ctx, rt, RoleOwner)
	h.read(cfg.Outputs.EventsTopic, len(want))
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	fresh := h.config(t.TempDir(), ins...)
	_, stop, done := h.startDone(fresh, pol, false)
	var err error
	select {
	case err = <-done:
	case <-h.ctx.Done():
		t.Fatal("run on an empty store did not stop by itself")
	}
	stop()
	var oe *OffsetError
	if !errors.As(err, &oe) || oe.Local != -1 || oe.Committed <= 0 {
		t.Fatalf("start on an empty store = %v, want an *OffsetError naming the committed offset", err)
	}

	rt, stop = h.start(fresh, pol, true)
	defer stop()
	waitRole(t, h.ctx, rt, RoleOwner)
	got := values(h.read(cfg.Outputs.EventsTopic, 2*len(want))[len(want):])
	diffOutputs(t, got, want)
}
