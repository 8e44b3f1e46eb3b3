package models

import (
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/tome"
)

// TestFusedAttentionMatchesPlain builds the tiny fixture UNet with plain and with fused
// (MultiHeadAttention) attention, unpatched and patched by tome.Patch as tomesd ran it
// (recorded partitions replayed), and checks that fused and plain agree within 1e-4 and
// that both match torch's output (unet/tiny-sd15/golden, diffusers 0.19.3 + tomesd
// 0.1.3) within 2e-4, the tolerance of TestBuiltUNetToMeGoldens.
func TestFusedAttentionMatchesPlain(t *testing.T) {
	runs := tomeRuns(t)
	cfg, w := loadTinyUNet(t)
	cases := []struct {
		name   string
		run    string // "" for the unpatched UNet
		sample string
		want   string
		tol    float64 // fused vs plain
	}{
		{"unpatched", "", "sample", "out_unpatched", 1e-4},
		{"tome_r50_rand", "tome_r50_rand", "", "", 1e-4},
		{"tome_r30_all_norand", "tome_r30_all_norand", "", "", 1e-4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := map[string]*ort.Tensor{
				UNetTimestep:            f32Tensor(testutil.ReadNPY(t, filepath.Join(tinyGolden, "timestep.npy"))),
				UNetEncoderHiddenStates: f32Tensor(testutil.ReadNPY(t, filepath.Join(tinyGolden, "encoder_hidden_states.npy"))),
			}
			var run tomeRun
			sample, want := tc.sample, tc.want
			if tc.run != "" {
				var ok bool
				if run, ok = runs[tc.run]; !ok {
					t.Fatalf("manifest has no run %s", tc.run)
				}
				sample, want = run.Inputs, run.Output
				for k, c := range run.Calls {
					if c.RandIdx != nil {
						a := testutil.ReadNPY(t, filepath.Join(tinyGolden, c.RandIdx.File))
						in[tome.RandInputName(k)] = ort.NewInt64([]int64{int64(a.Shape[0]), int64(a.Shape[1])}, a.Int64s())
					}
				}
			}
			in[UNetSample] = f32Tensor(testutil.ReadNPY(t, filepath.Join(tinyGolden, sample+".npy")))
			outs := map[bool][]float32{}
			for _, fused := range []bool{false, true} {
				m, err := Build(cfg, w, Options{Height: 32, Width: 32, FusedAttention: fused})
				if err != nil {
					t.Fatal(err)
				}
				if fused && len(m.Graph().ByOp("MultiHeadAttention")) == 0 {
					t.Fatal("fused build has no MultiHeadAttention node")
				}
				if tc.run != "" {
					rep, err := tome.Patch(m, tome.PatchOptions{Options: tomeOptions(t, run.Kwargs)})
					if err != nil {
						t.Fatal(err)
					}
					if rep.Patched == 0 {
						t.Fatal("patched no block")
					}
				}
				outs[fused] = runModel(t, m, in, UNetOutSample)[UNetOutSample].Float32s()
			}
			d := maxAbsDiff(t, outs[true], outs[false])
			g := maxAbsDiff(t, outs[true], testutil.ReadNPY(t, filepath.Join(tinyGolden, want+".npy")).Float32s())
			t.Logf("max |fused − plain| = %.3g, max |fused − torch| = %.3g", d, g)
			if d > tc.tol {
				t.Errorf("fused vs plain: max abs diff %.3g > %g", d, tc.tol)
			}
			if g > 2e-4 {
				t.Errorf("fused vs torch: max abs diff %.3g > 2e-4", g)
			}
		})
	}
}
