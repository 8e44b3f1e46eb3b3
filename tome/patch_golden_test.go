package tome

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

// unetDir is the tiny SD 1.5-layout UNet exported by torch.onnx at opset 14, with
// tomesd's outputs on it (../../shared/fixtures/README.md, section unet/tiny-sd15).
const unetDir = "../../shared/fixtures/unet/tiny-sd15"

// unetManifest is the part of golden/manifest.json the patch tests read.
type unetManifest struct {
	Tome struct {
		Runs map[string]struct {
			Kwargs map[string]any `json:"patch_kwargs"`
			Inputs string
			Output string
			Calls  []struct {
				Block            string
				B, N, C, W, H, R int
				SX, SY           int
				RandIdx          *struct{ File string } `json:"rand_idx"`
			} `json:"merge_calls_in_order"`
		}
	}
}

func readUNetManifest(t *testing.T) unetManifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(unetDir, "golden", "manifest.json"))
	if err != nil {
		t.Fatalf("fixture missing (the tests need /work/shared/fixtures): %v", err)
	}
	var m unetManifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func readUNetArray(t testing.TB, name string) *npy.Array {
	t.Helper()
	return testutil.ReadNPY(t, filepath.Join(unetDir, "golden", name))
}

// runUNet runs a model with the golden inputs (sample replaced by sampleFile) plus
// extra int64 inputs, and returns out_sample.
func runUNet(t *testing.T, m *onnx.Model, sampleFile string, extra map[string]*npy.Array) []float32 {
	t.Helper()
	return orttest.RunUNetGolden(t, m, filepath.Join(unetDir, "golden"), sampleFile, extra)
}

// TestPatchTinyUNetGoldens patches the tiny UNet as tomesd.apply_patch did for each
// recorded run and compares ORT's output with torch's (golden/manifest.json).
func TestPatchTinyUNetGoldens(t *testing.T) {
	orttest.Require(t)
	man := readUNetManifest(t)
	cases := []struct {
		run    string
		latent [2]int  // --latent; zero: the model's static 32x32
		tol    float64 // max abs vs torch; ORT reproduces the unpatched UNet to 2.7e-6
	}{
		{"tome_r50_norand", [2]int{}, 2e-4},
		{"tome_r30_all_norand", [2]int{}, 2e-4},
		{"tome_r50_norand_md2", [2]int{}, 2e-4},
		{"tome_r50_rand", [2]int{}, 2e-4},
		{"tome_r40_rand_md2_s42_nonsq", [2]int{24, 40}, 2e-4},
	}
	for _, tc := range cases {
		t.Run(tc.run, func(t *testing.T) {
			run, ok := man.Tome.Runs[tc.run]
			if !ok {
				t.Fatalf("manifest has no run %s", tc.run)
			}
			m, err := onnx.Load(filepath.Join(unetDir, "onnx", "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			opts := PatchOptions{Options: mustKwargs(t, run.Kwargs), Latent: tc.latent}
			rep, err := Patch(m, opts)
			if err != nil {
				t.Fatal(err)
			}
			// The patched blocks are tomesd's merge calls, in order, with its N, grid and r.
			var got []string
			for _, b := range rep.Blocks {
				if b.Patched {
					got = append(got, fmt.Sprintf("%s N=%d %dx%d r=%d", b.Name, b.N, b.H, b.W, b.R))
				}
			}
			var want []string
			extra := map[string]*npy.Array{}
			for k, c := range run.Calls {
				want = append(want, fmt.Sprintf("%s N=%d %dx%d r=%d", c.Block, c.N, c.H, c.W, c.R))
				if c.RandIdx != nil {
					a := readUNetArray(t, c.RandIdx.File)
					a.Shape = a.Shape[:2] // drop tomesd's trailing axis of 1
					extra[RandInputName(k)] = a
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("patched blocks\n got %v\nwant %v", got, want)
			}
			if len(rep.RandInputs) != len(extra) {
				t.Fatalf("model expects %d rand inputs, the run recorded %d draws", len(rep.RandInputs), len(extra))
			}
			if rep.OpsetFrom != 14 || rep.OpsetTo != PatchOpset {
				t.Errorf("opset %d -> %d, want 14 -> %d", rep.OpsetFrom, rep.OpsetTo, PatchOpset)
			}
			out := runUNet(t, m, run.Inputs+".npy", extra)
			d := testutil.MaxAbsDiff(out, readUNetArray(t, run.Output+".npy").Float32s())
			t.Logf("%s: max abs diff vs torch %.3g (%d blocks patched)", tc.run, d, rep.Patched)
			if !(d <= tc.tol) {
				t.Errorf("max abs diff %.3g > %g", d, tc.tol)
			}
			// ToMe moved the output far from the unpatched one (manifest: 0.048 to 0.10).
			if d := testutil.MaxAbsDiff(out, readUNetArray(t, "out_unpatched"+run.Inputs[len("sample"):]+".npy").Float32s()); d < 0.01 {
				t.Errorf("output is within %.3g of the unpatched UNet's: nothing was merged", d)
			}
		})
	}
}

// TestPatchRatioZeroUnchanged: ratio 0 leaves the model byte for byte as it was, says
// so, and still gives torch's unpatched output (golden out_unpatched).
func TestPatchRatioZeroUnchanged(t *testing.T) {
	orttest.Require(t)
	m, err := onnx.Load(filepath.Join(unetDir, "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := m.Marshal()
	opts := PatchOptions{Options: DefaultOptions()}
	opts.Ratio = 0
	rep, err := Patch(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := m.Marshal()
	if !bytes.Equal(before, after) {
		t.Fatal("ratio 0 changed the model")
	}
	if rep.Patched != 0 || len(rep.Blocks) != 10 || len(rep.Warnings) == 0 {
		t.Fatalf("report: %d patched, %d blocks, warnings %v; want 0, 10, a warning", rep.Patched, len(rep.Blocks), rep.Warnings)
	}
	d := testutil.MaxAbsDiff(runUNet(t, m, "sample.npy", nil), readUNetArray(t, "out_unpatched.npy").Float32s())
	t.Logf("ratio 0: max abs diff vs torch %.3g", d)
	if !(d <= 2e-5) {
		t.Errorf("max abs diff %.3g > 2e-5", d)
	}
}

// mustKwargs is OptionsFromKwargs, failing the test on an error.
func mustKwargs(t testing.TB, kw map[string]any) Options {
	t.Helper()
	o, err := OptionsFromKwargs(kw)
	if err != nil {
		t.Fatal(err)
	}
	return o
}
