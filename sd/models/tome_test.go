package models

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/tome"
)

// tomeRun is one run of unet/tiny-sd15/golden/manifest.json (tomesd.apply_patch on the
// torch UNet, diffusers 0.19.3, tomesd 0.1.3).
type tomeRun struct {
	Kwargs map[string]any `json:"patch_kwargs"`
	Inputs string
	Output string
	Calls  []struct {
		RandIdx *struct{ File string } `json:"rand_idx"`
	} `json:"merge_calls_in_order"`
}

// tomeRuns reads the tomesd runs of unet/tiny-sd15/golden/manifest.json by name.
func tomeRuns(t testing.TB) map[string]tomeRun {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(tinyGolden, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Tome struct{ Runs map[string]tomeRun }
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	return man.Tome.Runs
}

// tomeOptions is tome.OptionsFromKwargs, failing the test on an error.
func tomeOptions(t testing.TB, kw map[string]any) tome.Options {
	t.Helper()
	o, err := tome.OptionsFromKwargs(kw)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestBuiltUNetToMeGoldens patches the UNet built from the diffusers folder with
// tome.Patch and compares it with tomesd's outputs on the torch UNet, replaying the
// recorded partitions: the built graph must patch exactly like torch's export.
func TestBuiltUNetToMeGoldens(t *testing.T) {
	runs := tomeRuns(t)
	cfg, w := loadTinyUNet(t)
	cases := []struct {
		run    string
		opt    Options // graph options
		latent [2]int  // tome.PatchOptions.Latent (needed for a dynamic graph)
		tol    float64 // the export patched by tome.Patch matches torch to 2e-4
	}{
		{"tome_r50_norand", Options{Height: 32, Width: 32}, [2]int{}, 2e-4},
		{"tome_r30_all_norand", Options{Height: 32, Width: 32}, [2]int{}, 2e-4},
		{"tome_r50_norand_md2", Options{Height: 32, Width: 32, Opset: 14}, [2]int{}, 2e-4},
		{"tome_r50_rand", Options{}, [2]int{32, 32}, 2e-4},
		{"tome_r40_rand_md2_s42_nonsq", Options{}, [2]int{24, 40}, 2e-4},
		{"tome_r40_rand_md2_s42_nonsq", Options{Height: 24, Width: 40}, [2]int{}, 2e-4},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%dx%d/opset%d", tc.run, tc.opt.Height, tc.opt.Width, tc.opt.opset()), func(t *testing.T) {
			run, ok := runs[tc.run]
			if !ok {
				t.Fatalf("manifest has no run %s", tc.run)
			}
			m, err := Build(cfg, w, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := tome.Patch(m, tome.PatchOptions{Options: tomeOptions(t, run.Kwargs), Latent: tc.latent})
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]*ort.Tensor{
				UNetSample:              f32Tensor(testutil.ReadNPY(t, filepath.Join(tinyGolden, run.Inputs+".npy"))),
				UNetTimestep:            f32Tensor(testutil.ReadNPY(t, filepath.Join(tinyGolden, "timestep.npy"))),
				UNetEncoderHiddenStates: f32Tensor(testutil.ReadNPY(t, filepath.Join(tinyGolden, "encoder_hidden_states.npy"))),
			}
			draws := 0
			for k, c := range run.Calls {
				if c.RandIdx != nil {
					a := testutil.ReadNPY(t, filepath.Join(tinyGolden, c.RandIdx.File))
					in[tome.RandInputName(k)] = ort.NewInt64([]int64{int64(a.Shape[0]), int64(a.Shape[1])}, a.Int64s())
					draws++
				}
			}
			if rep.Patched != len(run.Calls) || len(rep.RandInputs) != draws {
				t.Fatalf("patched %d blocks with %d rand inputs; tomesd merged in %d calls with %d draws", rep.Patched, len(rep.RandInputs), len(run.Calls), draws)
			}
			out := runModel(t, m, in, UNetOutSample)[UNetOutSample]
			d := maxAbsDiff(t, out.Float32s(), testutil.ReadNPY(t, filepath.Join(tinyGolden, run.Output+".npy")).Float32s())
			t.Logf("max |patched built UNet − tomesd| = %.3g (%d blocks)", d, rep.Patched)
			if d > tc.tol {
				t.Errorf("max abs diff %.3g > %g", d, tc.tol)
			}
		})
	}
}
