package deepcache

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/sd/pipeline"
)

// fixtures is the shared reference data, relative to this package.
const fixtures = "../../../shared/fixtures"

var (
	// golden is DeepCacheSDHelper's run (and a baseline without it) on the tiny
	// pipeline: diffusers v0.19.3, PNDM, 10 steps (manifest.json).
	golden       = filepath.Join(fixtures, "methods", "deepcache")
	tinyPipeline = filepath.Join(fixtures, "pipeline", "tiny_pipeline")
)

// openONNXFolder lays tiny_pipeline's fixture exports out as an ONNX model folder
// (the same weights; the UNet exported like diffusers' script), as the pipeline's own
// tests do.
func openONNXFolder(t *testing.T) *pipeline.Pipeline {
	t.Helper()
	return open(t, testutil.TinyONNXPipeline(t, fixtures))
}

// openDiffusersFolder opens tiny_pipeline itself: the UNet is built by sd/models.
func openDiffusersFolder(t *testing.T) *pipeline.Pipeline {
	return open(t, tinyPipeline)
}

func open(t *testing.T, dir string) *pipeline.Pipeline {
	t.Helper()
	orttest.Require(t)
	p, err := pipeline.Open(dir, pipeline.Options{Threads: 1, CacheDir: cacheDir(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// sharedCache is one conversion cache for the whole test binary.
var sharedCache string

func cacheDir(t *testing.T) string {
	if sharedCache == "" {
		d, err := os.MkdirTemp("", "deepcache-test-cache")
		if err != nil {
			t.Fatal(err)
		}
		sharedCache = d
	}
	return sharedCache
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedCache != "" {
		os.RemoveAll(sharedCache)
	}
	os.Exit(code)
}

// record is every tensor of one Generate call.
type record struct {
	res                    *pipeline.Result
	run                    *Run
	samples, preds, guided [][]float32
	latents, features      [][]float32
	ran                    []*pipeline.UNet
}

// generate runs the fixture's request (manifest "call") with DeepCache opts, or the
// baseline when opts is nil.
func generate(t *testing.T, p *pipeline.Pipeline, opts *Options) (*record, *Method) {
	t.Helper()
	r := &record{}
	sample, _, _ := p.BaseUNet().Inputs()
	req := pipeline.Request{
		Prompts:       []string{"A high quality photograph of a tench."},
		Height:        64,
		Width:         64,
		Steps:         10,
		GuidanceScale: 7.5,
		Latents:       testutil.ReadNPY(t, filepath.Join(tinyPipeline, "run", "latents_init.npy")).Float32s(),
		BeforeUNet: func(step int, ts float64, feeds map[string]*ort.Tensor) error {
			r.samples = append(r.samples, slices.Clone(feeds[sample].Float32s()))
			return nil
		},
		AfterUNet: func(step int, ts float64, out map[string]*ort.Tensor) error {
			if f, ok := out[FeatureName]; ok {
				r.features = append(r.features, slices.Clone(f.Float32s()))
			}
			return nil
		},
		AfterStep: func(s *pipeline.StepInfo) error {
			r.preds = append(r.preds, slices.Clone(s.NoisePred))
			r.guided = append(r.guided, slices.Clone(s.Guided))
			r.latents = append(r.latents, slices.Clone(s.Latents))
			r.ran = append(r.ran, s.UNet)
			return nil
		},
	}
	var m *Method
	if opts != nil {
		var err error
		if m, err = Prepare(t.Context(), p, *opts, 64, 64); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		if r.run, err = m.Apply(&req); err != nil {
			t.Fatal(err)
		}
	}
	res, err := p.Generate(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	r.res = res
	return r, m
}

// manifest is the part of methods/deepcache/manifest.json the tests read.
type manifest struct {
	Timesteps []float64 `json:"timesteps"`
	Runs      map[string]struct {
		Kinds string `json:"kinds"`
		Calls []struct {
			Kind          string   `json:"kind"`
			ComputedUnits []string `json:"computed_units"`
		} `json:"calls"`
	} `json:"runs"`
	Checks struct {
		PaperCode struct {
			Info struct {
				Paper struct {
					Kinds string   `json:"kinds"`
					Units []string `json:"partial_computed_units"`
				} `json:"paper_i3_l0_b0"`
			} `json:"info"`
		} `json:"paper_code"`
	} `json:"checks"`
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(golden, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFixture runs the helper's recorded generation (interval 3, branch 0) and the
// baseline on both kinds of UNet graph, and compares every UNet input and output, the
// guided eps, the latents, the image and the full/partial calls with the reference.
func TestFixture(t *testing.T) {
	orttest.Require(t)
	man := readManifest(t)
	folders := []struct {
		name string
		open func(*testing.T) *pipeline.Pipeline
	}{
		{"onnx-export", openONNXFolder},
		{"sd-models", openDiffusersFolder},
	}
	runs := []struct {
		name string
		opts *Options
	}{
		{"baseline", nil},
		{"deepcache_i3_b0", &Options{Interval: 3, Branch: 0}},
	}
	for _, f := range folders {
		p := f.open(t)
		for _, rc := range runs {
			t.Run(f.name+"/"+rc.name, func(t *testing.T) {
				r, m := generate(t, p, rc.opts)
				checkRun(t, man, rc.name, r, m)
			})
		}
	}
}

func checkRun(t *testing.T, man manifest, name string, r *record, m *Method) {
	t.Helper()
	want := man.Runs[name]
	n := len(man.Timesteps)
	if !slices.Equal(r.res.Timesteps, man.Timesteps) {
		t.Fatalf("timesteps %v, want %v", r.res.Timesteps, man.Timesteps)
	}
	if len(r.preds) != n || len(r.samples) != n {
		t.Fatalf("%d UNet calls, want %d", len(r.preds), n)
	}
	// Which calls were full: the plan, the calls made and the UNet that ran.
	kinds := make([]byte, n)
	for i, u := range r.ran {
		kinds[i] = 'F'
		if m != nil && u == m.Partial {
			kinds[i] = 'p'
		}
	}
	if string(kinds) != want.Kinds {
		t.Errorf("UNets run: %s, want %s", kinds, want.Kinds)
	}
	if m != nil {
		if got := Kinds(r.run.Planned); got != want.Kinds {
			t.Errorf("planned %s, want %s", got, want.Kinds)
		}
		if got := r.run.Kinds(); got != want.Kinds {
			t.Errorf("calls recorded %s, want %s", got, want.Kinds)
		}
	}
	per := func(file string, calls int) func(i int) []float32 {
		a := testutil.ReadNPY(t, filepath.Join(golden, file))
		all := a.Float32s()
		size := len(all) / calls
		return func(i int) []float32 { return all[i*size : (i+1)*size] }
	}
	cases := []struct {
		file string
		tol  float64
		got  func(i int) []float32
		n    int // tensors compared
	}{
		// Expected values: DeepCacheSDHelper (horseee/DeepCache 1691a3a) on diffusers
		// v0.19.3, torch float32 CPU (manifest.json "call", "env"). The baseline is the
		// same code without the helper; fixture README: ~2.5e-6 from other CPU kernels.
		{"unet_in_sample", 1e-4, func(i int) []float32 { return r.samples[i] }, n},
		{"unet_out", 1e-4, func(i int) []float32 { return r.preds[i] }, n},
		{"guided_eps", 1e-4, func(i int) []float32 { return r.guided[i] }, n},
		{"latents_after_step", 1e-4, func(i int) []float32 { return r.latents[i] }, n},
		{"image", 1e-4, func(int) []float32 { return r.res.Pixels }, 1},
	}
	if m != nil {
		// The cached feature of each full call: up_blocks.3.attentions.0's output.
		full := 0
		for i, c := range want.Calls {
			if c.Kind != "full" {
				continue
			}
			k, call := full, i
			cases = append(cases, struct {
				file string
				tol  float64
				got  func(i int) []float32
				n    int
			}{name + "_cache_call" + twoDigits(call) + ".npy", 1e-4, func(int) []float32 { return r.features[k] }, 1})
			full++
		}
		if len(r.features) != full {
			t.Fatalf("%d features fetched, want %d (one per full call)", len(r.features), full)
		}
	}
	for _, c := range cases {
		file := c.file
		if filepath.Ext(file) == "" {
			file = name + "_" + file + ".npy"
		}
		w := per(file, c.n)
		worst, at := 0.0, 0
		for i := range c.n {
			if d := testutil.MaxAbsDiff(c.got(i), w(i)); d > worst || math.IsInf(d, 1) || math.IsNaN(d) {
				worst, at = d, i
			}
		}
		t.Logf("%-40s max abs diff %.3g (call %d)", file, worst, at)
		if !(worst <= c.tol) {
			t.Errorf("%s: max abs diff %.3g at call %d > %g", file, worst, at, c.tol)
		}
	}
}

func twoDigits(i int) string { return string([]byte{byte('0' + i/10), byte('0' + i%10)}) }
