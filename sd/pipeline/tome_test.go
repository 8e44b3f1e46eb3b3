package pipeline

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/tome"
)

// partitionLog records the partition feeds of every UNet call.
type partitionLog struct {
	calls [][]string           // per call, the tome_rand_idx inputs fed
	draws []map[string][]int64 // per call, their values
}

func (l *partitionLog) hook(step int, ts float64, feeds map[string]*ort.Tensor) error {
	var names []string
	draws := map[string][]int64{}
	for n, v := range feeds {
		if strings.HasPrefix(n, "tome_rand_idx_") {
			names = append(names, n)
			draws[n] = slices.Clone(v.I64)
		}
	}
	slices.Sort(names)
	l.calls = append(l.calls, names)
	l.draws = append(l.draws, draws)
	return nil
}

func generateWith(t *testing.T, p *Pipeline, req Request) (*Result, *partitionLog) {
	t.Helper()
	log := &partitionLog{}
	req.BeforeUNet = log.hook
	if req.Prompts == nil {
		req.Prompts = []string{"A high quality photograph of a tench."}
	}
	res, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res, log
}

// prepare returns the fixture pipeline's UNet patched with opts for its default image
// size (64x64, latent 32x32), closed when the test ends.
func prepare(t *testing.T, p *Pipeline, opts tome.Options) *UNet {
	t.Helper()
	u, err := p.PrepareUNet(t.Context(), &opts, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := u.Close(); err != nil {
			t.Error(err)
		}
	})
	return u
}

// TestToMe runs the fixture pipeline with tomesd's defaults at ratio 0.5: the UNet is
// patched (the tiny UNet has three blocks at full resolution: down_blocks.0 ×1 and
// up_blocks.3 ×2, unet/tiny-sd15/manifest.json), every call is fed three fresh
// partitions [16, 16] with values in [0, 4), the image changes, and a seed fixes it.
func TestToMe(t *testing.T) {
	orttest.Require(t)
	p, err := Open(fixtureONNXFolder(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	u := prepare(t, p, tome.DefaultOptions())
	if u.ToMe == nil || u == p.BaseUNet() {
		t.Fatal("ratio 0.5 returned the unpatched UNet")
	}
	if patched, total := u.Blocks(); patched != 3 || total < 3 {
		t.Errorf("%d of %d blocks patched, want 3 of all", patched, total)
	}

	req := Request{Steps: 5, GuidanceScale: 7.5, Seed: 3}
	plain, plainLog := generateWith(t, p, req)
	req.UNet = u
	a, aLog := generateWith(t, p, req)
	b, _ := generateWith(t, p, req)
	req.Seed = 4
	c, cLog := generateWith(t, p, req)

	wantNames := []string{"tome_rand_idx_0", "tome_rand_idx_1", "tome_rand_idx_2"}
	if len(aLog.calls) != len(a.Timesteps) {
		t.Fatalf("hook called %d times for %d timesteps", len(aLog.calls), len(a.Timesteps))
	}
	for i, names := range aLog.calls {
		if !slices.Equal(names, wantNames) {
			t.Fatalf("call %d fed partitions %v, want %v", i, names, wantNames)
		}
		for n, d := range aLog.draws[i] {
			if len(d) != 16*16 || slices.Min(d) < 0 || slices.Max(d) > 3 {
				t.Errorf("call %d %s: %d values in [%d, %d]; want 256 in [0, 3]", i, n, len(d), slices.Min(d), slices.Max(d))
			}
		}
	}
	if slices.Equal(aLog.draws[0]["tome_rand_idx_0"], aLog.draws[1]["tome_rand_idx_0"]) ||
		slices.Equal(aLog.draws[0]["tome_rand_idx_0"], aLog.draws[0]["tome_rand_idx_1"]) {
		t.Error("partitions repeat between calls or blocks; want a fresh draw for each")
	}
	if slices.Equal(aLog.draws[0]["tome_rand_idx_0"], cLog.draws[0]["tome_rand_idx_0"]) {
		t.Error("seeds 3 and 4 drew the same partition")
	}
	if len(plainLog.calls[0]) != 0 {
		t.Errorf("unpatched UNet was fed %v", plainLog.calls[0])
	}
	if d := testutil.MaxAbsDiff(a.Pixels, plain.Pixels); d < 1e-3 {
		t.Errorf("ToMe at ratio 0.5 changed the image by only %g", d)
	}
	if !slices.Equal(a.Pixels, b.Pixels) {
		t.Errorf("same seed, different images (max abs diff %g)", testutil.MaxAbsDiff(a.Pixels, b.Pixels))
	}
	if slices.Equal(a.Pixels, c.Pixels) {
		t.Error("seeds 3 and 4 gave the same image")
	}
}

// TestRatioSchedule switches UNets per step, as a 60% -> 40% schedule would, and
// checks that each step ran the UNet chosen for it with its partitions; a UNet at ratio
// 0 is the unpatched one.
func TestRatioSchedule(t *testing.T) {
	orttest.Require(t)
	p, err := Open(fixtureONNXFolder(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	hi, lo := tome.DefaultOptions(), tome.DefaultOptions()
	hi.Ratio, lo.Ratio = 0.6, 0.4
	zero := tome.DefaultOptions()
	zero.Ratio = 0
	uHi, uLo := prepare(t, p, hi), prepare(t, p, lo)
	if uZero := prepare(t, p, zero); uZero != p.BaseUNet() {
		t.Fatalf("ratio 0: %s; want the unpatched UNet", uZero.Path)
	}
	var ran []*UNet
	req := Request{Steps: 4, GuidanceScale: 7.5,
		UNetForStep: func(step int) *UNet {
			if step < 2 {
				return uHi
			}
			return uLo
		},
		AfterStep: func(s *StepInfo) error { ran = append(ran, s.UNet); return nil },
	}
	_, log := generateWith(t, p, req)
	for i, u := range ran {
		want := uLo
		if i < 2 {
			want = uHi
		}
		if u != want || len(log.calls[i]) != 3 {
			t.Errorf("step %d ran %s with partitions %v", i, u.Path, log.calls[i])
		}
	}
	if uHi.Report.Blocks[0].R == uLo.Report.Blocks[0].R {
		t.Errorf("ratios 0.6 and 0.4 merge the same r = %d", uHi.Report.Blocks[0].R)
	}
}

// TestToMeOddBatch: without guidance a single prompt makes a UNet batch of 1, for
// which tomesd turns use_rand off: every partition fed is the top-left one (zeros).
func TestToMeOddBatch(t *testing.T) {
	orttest.Require(t)
	p, err := Open(fixtureONNXFolder(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, log := generateWith(t, p, Request{Steps: 2, GuidanceScale: 1, UNet: prepare(t, p, tome.DefaultOptions())})
	for i, d := range log.draws {
		if len(d) != 3 {
			t.Fatalf("call %d fed %d partitions, want 3", i, len(d))
		}
		for n, v := range d {
			if slices.Max(v) != 0 {
				t.Errorf("call %d %s: random partition for an odd batch", i, n)
			}
		}
	}
}

// TestPrepareUNet covers what a caller of PrepareUNet sees besides a patched model: the
// base UNet for no ToMe (its Close does nothing), the unpatched model with the report
// when no block is eligible, the caller's Close (twice is fine; a closed UNet is
// refused), size and option mistakes, and a cancelled context.
func TestPrepareUNet(t *testing.T) {
	orttest.Require(t)
	p, err := Open(fixtureONNXFolder(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := t.Context()

	base, err := p.PrepareUNet(ctx, nil, 0, 0)
	if err != nil || base != p.BaseUNet() {
		t.Fatalf("nil options: %v, %v; want the base UNet", base, err)
	}
	if err := base.Close(); err != nil {
		t.Fatal(err)
	}
	if patched, total := base.Blocks(); patched != 0 || total != 0 {
		t.Errorf("base UNet: Blocks() = %d, %d; want 0, 0", patched, total)
	}
	req := Request{Steps: 2, GuidanceScale: 7.5, Seed: 1}
	plain, _ := generateWith(t, p, req) // the base UNet still runs after its Close

	// No layer selected: no block is eligible; the unpatched model runs.
	none := tome.DefaultOptions()
	none.MergeAttn = false
	u := prepare(t, p, none)
	patched, total := u.Blocks()
	if u.ToMe != nil || u.Report == nil || patched != 0 || total == 0 || len(u.Report.Warnings) == 0 {
		t.Fatalf("no eligible block: ToMe %v, report %v, %d of %d patched; want nil ToMe and a report of 0 of N with warnings", u.ToMe, u.Report, patched, total)
	}
	t.Logf("no eligible block: 0 of %d patched; %v", total, u.Report.Warnings)
	req.UNet = u
	same, log := generateWith(t, p, req)
	if !slices.Equal(same.Pixels, plain.Pixels) || len(log.calls[0]) != 0 {
		t.Error("a UNet with no block patched does not run as the unpatched model")
	}

	// The caller closes a patched UNet; again is fine; Generate then refuses it.
	v, err := p.PrepareUNet(ctx, &tome.Options{Ratio: 0.5, MaxDownsample: 1, SX: 2, SY: 2, UseRand: true, MergeAttn: true}, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	if err := v.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Generate(ctx, Request{Prompts: []string{"x"}, Steps: 1, UNet: v}); err == nil || !strings.Contains(err.Error(), "is closed") {
		t.Errorf("Generate with a closed UNet: %v", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	def := tome.DefaultOptions()
	for _, c := range []struct {
		name string
		ctx  context.Context
		opts tome.Options
		h, w int
		msg  string
	}{
		{"bad options", ctx, tome.Options{Ratio: 2, MaxDownsample: 1, SX: 2, SY: 2}, 0, 0, "ratio 2 is outside [0, 1]"},
		{"size", ctx, def, 128, 128, "the requested size needs 64x64 latents"},
		{"odd size", ctx, def, 63, 64, "not a multiple of the VAE's downscale factor"},
		{"cancelled", cancelled, def, 0, 0, "context canceled"},
	} {
		u, err := p.PrepareUNet(c.ctx, &c.opts, c.h, c.w)
		if err == nil {
			u.Close()
			t.Errorf("%s: PrepareUNet succeeded", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error %q, want %q", c.name, err, c.msg)
		}
	}
	if _, err := p.PrepareUNet(cancelled, &def, 0, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v does not wrap context.Canceled", err)
	}
}
