package pipeline

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

// fixtures is the shared reference data, relative to this package.
const fixtures = "../../../shared/fixtures"

// tinyPipeline is the diffusers StableDiffusionPipeline folder with tiny random models;
// run/ holds one generation recorded from diffusers v0.19.3 (see its manifest.json).
var tinyPipeline = filepath.Join(fixtures, "pipeline", "tiny_pipeline")

// fixtureONNXFolder lays out the fixture exports of tiny_pipeline's three models (the
// same weights: tiny_pipeline's safetensors and configs are byte-identical to those of
// pipeline/text_encoder, pipeline/vae and unet/tiny-sd15) as an ONNX model folder, with
// the components' configs beside the models as optimum writes them. The UNet is
// exported like diffusers' script (timestep float [B]), the text encoder takes int32
// input_ids. The models are symbolic links (tests replace a link, never write through
// it); every other file is a copy, so that tests may edit it.
func fixtureONNXFolder(t *testing.T) string {
	t.Helper()
	return testutil.TinyONNXPipeline(t, fixtures)
}

func mkParent(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
}

// goldenRun records every tensor of one Generate call on the tiny pipeline's golden
// request.
type goldenRun struct {
	res                          *Result
	ids                          [][]int64 // [uncond, cond] token rows
	samples, timesteps, contexts [][]float32
	preds, guided, latents       [][]float32
}

func runGolden(t *testing.T, p *Pipeline) *goldenRun {
	t.Helper()
	run := filepath.Join(tinyPipeline, "run")
	g := &goldenRun{}
	prompt := "A high quality photograph of a tench."
	g.ids = p.Tokenizer().EncodeBatch([]string{"", prompt}, 77)
	sample, timestep, context := p.BaseUNet().Inputs()
	req := Request{
		Prompts:       []string{prompt},
		Height:        64,
		Width:         64,
		Steps:         20,
		GuidanceScale: 7.5,
		Latents:       testutil.ReadNPY(t, filepath.Join(run, "latents_init.npy")).Float32s(),
		BeforeUNet: func(step int, ts float64, feeds map[string]*ort.Tensor) error {
			g.samples = append(g.samples, slices.Clone(feeds[sample].Float32s()))
			g.timesteps = append(g.timesteps, slices.Clone(feeds[timestep].Float32s()))
			g.contexts = append(g.contexts, slices.Clone(feeds[context].Float32s()))
			return nil
		},
		AfterStep: func(s *StepInfo) error {
			g.preds = append(g.preds, slices.Clone(s.NoisePred))
			g.guided = append(g.guided, slices.Clone(s.Guided))
			g.latents = append(g.latents, slices.Clone(s.Latents))
			return nil
		},
	}
	res, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	g.res = res
	return g
}

// checkGolden compares a recorded run with diffusers' (tiny_pipeline/run, manifest
// golden_run): token ids exactly, every float tensor within its tolerance.
func checkGolden(t *testing.T, g *goldenRun) {
	t.Helper()
	run := filepath.Join(tinyPipeline, "run")
	for i, f := range []string{"input_ids_uncond.npy", "input_ids_cond.npy"} {
		if want := testutil.ReadNPY(t, filepath.Join(run, f)).Int64s(); !slices.Equal(g.ids[i], want) {
			t.Errorf("%s: got %v, want %v", f, g.ids[i], want)
		}
	}
	wantT := testutil.ReadNPY(t, filepath.Join(run, "timesteps.npy")).Int64s()
	if len(g.res.Timesteps) != len(wantT) {
		t.Fatalf("%d timesteps, diffusers has %d", len(g.res.Timesteps), len(wantT))
	}
	for i, ts := range g.res.Timesteps {
		if ts != float64(wantT[i]) {
			t.Errorf("timestep %d: %v, diffusers %d", i, ts, wantT[i])
		}
	}
	n := len(wantT)
	if len(g.samples) != n || len(g.latents) != n {
		t.Fatalf("%d UNet calls and %d steps, want %d each", len(g.samples), len(g.latents), n)
	}
	per := func(name string) func(i int) []float32 {
		a := testutil.ReadNPY(t, filepath.Join(run, name+".npy"))
		all := a.Float32s()
		size := len(all) / a.Shape[0]
		return func(i int) []float32 { return all[i*size : (i+1)*size] }
	}
	embeds := testutil.ReadNPY(t, filepath.Join(run, "prompt_embeds.npy")).Float32s()
	cases := []struct {
		name string
		tol  float64
		got  func(i int) []float32 // step i's tensor (i = -1: the single tensor)
		want func(i int) []float32
		all  bool // per step
	}{
		// Expected values: diffusers v0.19.3 + transformers v4.26.1 in torch float32
		// (tiny_pipeline/manifest.json, golden_run).
		{"prompt_embeds", 1e-4, func(int) []float32 { return g.res.Embeddings }, func(int) []float32 { return embeds }, false},
		{"unet_in_encoder_hidden_states", 1e-4, func(i int) []float32 { return g.contexts[i] }, func(int) []float32 { return embeds }, true},
		{"unet_in_sample", 1e-4, func(i int) []float32 { return g.samples[i] }, per("unet_in_sample"), true},
		{"unet_in_timestep", 0, func(i int) []float32 { return g.timesteps[i][:1] }, func(i int) []float32 { return []float32{float32(wantT[i])} }, true},
		{"unet_out", 1e-4, func(i int) []float32 { return g.preds[i] }, per("unet_out"), true},
		{"guided_eps", 1e-4, func(i int) []float32 { return g.guided[i] }, per("guided_eps"), true},
		{"latents_after_step", 1e-4, func(i int) []float32 { return g.latents[i] }, per("latents_after_step"), true},
		{"image", 1e-4, func(int) []float32 { return g.res.Pixels }, func(int) []float32 { return testutil.ReadNPY(t, filepath.Join(run, "image.npy")).Float32s() }, false},
	}
	for _, c := range cases {
		steps := 1
		if c.all {
			steps = n
		}
		worst, at := 0.0, 0
		for i := range steps {
			if d := testutil.MaxAbsDiff(c.got(i), c.want(i)); d > worst || math.IsInf(d, 1) {
				worst, at = d, i
			}
		}
		t.Logf("%-30s max abs diff %.3g (step %d)", c.name, worst, at)
		if worst > c.tol {
			t.Errorf("%s: max abs diff %.3g at step %d > %g", c.name, worst, at, c.tol)
		}
	}
}

// TestGoldenONNXFolder runs diffusers' recorded generation on the fixture ONNX exports.
func TestGoldenONNXFolder(t *testing.T) {
	orttest.Require(t)
	p, err := Open(fixtureONNXFolder(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	checkGolden(t, runGolden(t, p))
}

// TestGoldenDiffusersFolder runs diffusers' recorded generation on tiny_pipeline itself:
// the models are built by sd/models from the safetensors (converted once into a cache
// folder), then opened again from the cache without converting.
func TestGoldenDiffusersFolder(t *testing.T) {
	orttest.Require(t)
	cache := t.TempDir()
	p, err := Open(tinyPipeline, Options{Threads: 1, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Layout != LayoutDiffusers || filepath.Dir(p.Parts.Dir) != cache {
		t.Fatalf("layout %v, parts in %s; want diffusers converted into %s", p.Layout, p.Parts.Dir, cache)
	}
	checkGolden(t, runGolden(t, p))

	// A second Open finds the conversion in the cache.
	st, err := os.Stat(p.Parts.UNet)
	if err != nil {
		t.Fatal(err)
	}
	q, err := Open(tinyPipeline, Options{Threads: 1, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	st2, err := os.Stat(q.Parts.UNet)
	if err != nil {
		t.Fatal(err)
	}
	if q.Parts.Dir != p.Parts.Dir || !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("second Open converted again: %s (%v) vs %s (%v)", q.Parts.Dir, st2.ModTime(), p.Parts.Dir, st.ModTime())
	}

	// The converted folder is an ONNX folder in its own right.
	r, err := Open(p.Parts.Dir, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Layout != LayoutONNX {
		t.Fatalf("converted folder opens as %v", r.Layout)
	}
	checkGolden(t, runGolden(t, r))

	// Fused attention: a conversion of its own, the same recorded generation.
	f, err := Open(tinyPipeline, Options{Threads: 1, CacheDir: cache, Attention: AttentionFused})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Parts.Dir == p.Parts.Dir {
		t.Fatalf("fused attention reuses the plain conversion %s", p.Parts.Dir)
	}
	unet, err := os.ReadFile(f.Parts.UNet)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unet, []byte("MultiHeadAttention")) {
		t.Errorf("%s has no MultiHeadAttention node", f.Parts.UNet)
	}
	checkGolden(t, runGolden(t, f))
}
