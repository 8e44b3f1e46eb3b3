package pipeline

import (
	"slices"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestRequestOptions checks the request fields on the fixture folder: image i of a
// batch starts from Gaussian(Seed+i) (PNDM's init_noise_sigma and scale_model_input are
// 1, so the first UNet sample is the noise itself, stacked [uncond; cond]); a negative
// prompt replaces the empty one in the unconditional half; guidance <= 1 runs the UNet
// on the prompts alone; the scheduler option switches class.
func TestRequestOptions(t *testing.T) {
	orttest.Require(t)
	dir := fixtureONNXFolder(t)
	p, err := Open(dir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const per = 4 * 32 * 32
	var first []float32
	var calls int
	req := Request{
		Prompts: []string{"a tench", "a goldfish"}, Steps: 2, GuidanceScale: 7.5, Seed: 11,
		BeforeUNet: func(step int, ts float64, feeds map[string]*ort.Tensor) error {
			if calls++; step == 0 {
				first = slices.Clone(feeds["sample"].Float32s())
			}
			return nil
		},
	}
	res, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	n0, n1 := make([]float32, per), make([]float32, per)
	Gaussian(n0, 11)
	Gaussian(n1, 12)
	if want := slices.Concat(n0, n1, n0, n1); !slices.Equal(first, want) {
		t.Error("first UNet sample is not [Gaussian(11), Gaussian(12)] stacked twice")
	}
	if len(res.Images) != 2 || res.Height != 64 || res.Width != 64 {
		t.Errorf("%d images of %dx%d, want 2 of 64x64", len(res.Images), res.Height, res.Width)
	}
	if calls != 3 { // PLMS: n+1 timesteps for n >= 2 steps
		t.Errorf("%d UNet calls for two PNDM steps, want 3", calls)
	}

	L, D := 77, 32
	req.BeforeUNet = nil
	req.NegativePrompts = []string{"blurry", "blurry"}
	neg, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	half := 2 * L * D
	if slices.Equal(neg.Embeddings[:half], res.Embeddings[:half]) || !slices.Equal(neg.Embeddings[half:], res.Embeddings[half:]) {
		t.Error("a negative prompt must change the unconditional half only")
	}

	req.NegativePrompts, req.GuidanceScale = nil, 1
	var batch int64
	req.AfterStep = func(s *StepInfo) error { batch = int64(len(s.NoisePred) / per); return nil }
	plain, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	if batch != 2 || len(plain.Embeddings) != 2*L*D || !slices.Equal(plain.Embeddings, res.Embeddings[half:]) {
		t.Errorf("guidance 1: UNet batch %d, %d embedding values; want 2 and the prompts' %d", batch, len(plain.Embeddings), 2*L*D)
	}

	for _, c := range []struct {
		h, w int
		msg  string
	}{
		{128, 128, "is fixed at [-1 4 32 32]; the requested size needs 64x64 latents"},
		{63, 64, "image size 63x64 is not a multiple of the VAE's downscale factor 2"},
	} {
		bad := Request{Prompts: []string{"x"}, Height: c.h, Width: c.w, Steps: 1}
		if _, err := p.Generate(t.Context(), bad); err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%dx%d: error %v, want %q", c.h, c.w, err, c.msg)
		}
	}

	for _, c := range []struct{ name, class string }{{"ddim", "DDIMScheduler"}, {"EulerDiscreteScheduler", "EulerDiscreteScheduler"}} {
		q, err := Open(dir, Options{Threads: 1, Scheduler: c.name})
		if err != nil {
			t.Fatal(err)
		}
		if q.Scheduler() != c.class {
			t.Errorf("scheduler %q opened %s", c.name, q.Scheduler())
		}
		q.Close()
	}
}
