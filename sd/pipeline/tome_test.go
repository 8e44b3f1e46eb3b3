package pipeline

import (
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
	res, err := p.Generate(req)
	if err != nil {
		t.Fatal(err)
	}
	return res, log
}

// TestToMe runs the fixture pipeline with tomesd's defaults at ratio 0.5: the UNet is
// patched (the tiny UNet has three blocks at full resolution: down_blocks.0 ×1 and
// up_blocks.3 ×2, unet/tiny-sd15/manifest.json), every call is fed three fresh
// partitions [16, 16] with values in [0, 4), the image changes, and a seed fixes it.
func TestToMe(t *testing.T) {
	orttest.Require(t)
	dir := fixtureONNXFolder(t)
	opts := tome.DefaultOptions()
	p, err := Open(dir, Options{Threads: 1, ToMe: &opts})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	base, err := Open(dir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer base.Close()

	req := Request{Steps: 5, GuidanceScale: 7.5, Seed: 3}
	plain, plainLog := generateWith(t, base, req)
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
	uHi, err := p.UNet(&hi, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	uLo, err := p.UNet(&lo, 32, 32)
	if err != nil {
		t.Fatal(err)
	}
	if uZero, err := p.UNet(&zero, 32, 32); err != nil || uZero != p.BaseUNet() {
		t.Fatalf("ratio 0: %v, %v; want the unpatched UNet", uZero, err)
	}
	if again, _ := p.UNet(&hi, 32, 32); again != uHi {
		t.Error("second request for the same patch opened another session")
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
	opts := tome.DefaultOptions()
	p, err := Open(fixtureONNXFolder(t), Options{Threads: 1, ToMe: &opts})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, log := generateWith(t, p, Request{Steps: 2, GuidanceScale: 1})
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
