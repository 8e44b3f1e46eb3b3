package deepcache

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/sd/pipeline"
	"github.com/tomebench/tomebench/tome"
)

// request is a short seeded request on the tiny pipeline (PNDM, 6 steps: 7 calls).
func request() pipeline.Request {
	return pipeline.Request{Prompts: []string{"a tench", "a goldfish"}, Height: 64, Width: 64, Steps: 6, GuidanceScale: 7.5, Seed: 7}
}

func pixels(t *testing.T, p *pipeline.Pipeline, req pipeline.Request) []float32 {
	t.Helper()
	res, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res.Pixels
}

// TestInterval1 checks that DeepCache with every call full is the plain pipeline,
// with and without ToMe (the full graph is the UNet plus an output; the partitions
// are drawn in the same order).
func TestInterval1(t *testing.T) {
	orttest.Require(t)
	p := openDiffusersFolder(t)
	topt := tome.DefaultOptions()
	cases := []struct {
		name string
		tome *tome.Options
		tol  float64 // the same graph with one more output: identical kernels
	}{
		{"plain", nil, 0},
		{"tome0.5", &topt, 0},
	}
	for _, c := range cases {
		base := request()
		if c.tome != nil {
			u, err := p.PrepareUNet(t.Context(), c.tome, 64, 64)
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			base.UNet = u
		}
		want := pixels(t, p, base)
		m, err := PrepareWithToMe(t.Context(), p, Options{Interval: 1}, c.tome, 64, 64)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		req := request()
		run, err := m.Apply(&req)
		if err != nil {
			t.Fatal(err)
		}
		got := pixels(t, p, req)
		if d := testutil.MaxAbsDiff(got, want); d > c.tol {
			t.Errorf("%s: interval 1 differs from the plain run by %.3g", c.name, d)
		}
		if k := run.Kinds(); k != "FFFFFFF" {
			t.Errorf("%s: calls %s, want all full", c.name, k)
		}
	}
}

// TestToMeComposed runs DeepCache on a ToMe-patched UNet: the partial graph keeps the
// patched up_blocks.3 blocks and only their partition inputs; the image is finite and
// differs from DeepCache alone. (No reference exists for the combination.)
func TestToMeComposed(t *testing.T) {
	orttest.Require(t)
	p := openONNXFolder(t)
	topt := tome.DefaultOptions()
	m, err := PrepareWithToMe(t.Context(), p, Options{Interval: 3}, &topt, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	full, partial := m.Full.PartitionInputs(), m.Partial.PartitionInputs()
	// tiny-sd15 has three blocks at full resolution: down_blocks.0 and up_blocks.3 x2;
	// branch 0's partial graph computes only up_blocks.3.attentions.1.
	if len(full) != 3 || len(partial) != 1 {
		t.Errorf("partition inputs: full %v, partial %v; want 3 and 1", full, partial)
	}
	req := request()
	if _, err := m.Apply(&req); err != nil {
		t.Fatal(err)
	}
	got := pixels(t, p, req)
	for _, v := range got {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite pixel")
		}
	}
	plain, err := Prepare(t.Context(), p, Options{Interval: 3}, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	req = request()
	if _, err := plain.Apply(&req); err != nil {
		t.Fatal(err)
	}
	if d := testutil.MaxAbsDiff(got, pixels(t, p, req)); d == 0 {
		t.Errorf("ToMe changed nothing")
	}
}

// TestApplyHooks checks that the caller's hooks still run and that misuse is refused.
func TestApplyHooks(t *testing.T) {
	orttest.Require(t)
	p := openDiffusersFolder(t)
	m, err := Prepare(t.Context(), p, Options{Interval: 2}, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	req := request()
	var before, after []int
	var fed []bool
	req.BeforeUNet = func(step int, ts float64, feeds map[string]*ort.Tensor) error {
		before = append(before, step)
		_, ok := feeds[FeatureName]
		fed = append(fed, ok)
		return nil
	}
	req.AfterUNet = func(step int, ts float64, out map[string]*ort.Tensor) error {
		after = append(after, step)
		return nil
	}
	run, err := m.Apply(&req)
	if err != nil {
		t.Fatal(err)
	}
	pixels(t, p, req)
	// The calls made follow the helper's schedule over the planned timesteps.
	want := Kinds(Schedule(run.Timesteps, 2))
	if run.Kinds() != want || len(before) != len(run.Timesteps) || len(after) != len(before) {
		t.Errorf("calls %s (hooks %v, %v), want %s", run.Kinds(), before, after, want)
	}
	for i, ok := range fed {
		if ok == run.Full[i] {
			t.Errorf("call %d: feature fed %v on a full=%v call", i, ok, run.Full[i])
		}
	}

	req = request()
	req.UNetForStep = func(int) *pipeline.UNet { return nil }
	if _, err := m.Apply(&req); err == nil {
		t.Error("Apply on a request with UNetForStep: no error")
	}
	// A request that visits other timesteps than planned fails instead of running a
	// wrong schedule.
	req = request()
	if _, err := m.Apply(&req); err != nil {
		t.Fatal(err)
	}
	req.Steps = 5
	if _, err := p.Generate(t.Context(), req); err == nil {
		t.Error("Generate with other steps than planned: no error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Prepare(ctx, p, Options{Interval: 3}, 64, 64); !errors.Is(err, context.Canceled) {
		t.Errorf("Prepare on a cancelled context: %v", err)
	}
	if _, err := Prepare(t.Context(), p, Options{Interval: 0}, 64, 64); err == nil {
		t.Error("interval 0: no error")
	}
	if err := m.Close(); err != nil || m.Close() != nil {
		t.Errorf("Close twice: %v", err)
	}
}
