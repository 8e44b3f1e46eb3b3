package models

import (
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/sd/diffusers"
)

var tinyUNetDir = filepath.Join(fixtures, "unet/tiny-sd15/diffusers/unet")
var tinyGolden = filepath.Join(fixtures, "unet/tiny-sd15/golden")

func loadTinyUNet(t *testing.T) (*diffusers.UNetConfig, *diffusers.Weights) {
	t.Helper()
	cfg, err := diffusers.ReadUNetConfig(filepath.Join(tinyUNetDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := diffusers.OpenWeights(tinyUNetDir, diffusers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return cfg, w
}

// TestUNetGolden checks the built tiny UNet against torch's outputs
// (unet/tiny-sd15/golden: out_unpatched from UNet2DConditionModel in diffusers 0.19.3).
func TestUNetGolden(t *testing.T) {
	cfg, w := loadTinyUNet(t)
	ehs := testutil.ReadNPY(t, filepath.Join(tinyGolden, "encoder_hidden_states.npy"))
	ts := testutil.ReadNPY(t, filepath.Join(tinyGolden, "timestep.npy"))
	cases := []struct {
		name, sample, want string
		opt                Options
		tol                float64
	}{
		{"square dynamic", "sample", "out_unpatched", Options{}, 1e-4},
		{"square fixed 32", "sample", "out_unpatched", Options{Height: 32, Width: 32}, 1e-4},
		{"square opset14", "sample", "out_unpatched", Options{Opset: 14}, 1e-4},
		{"nonsq dynamic", "sample_nonsq", "out_unpatched_nonsq", Options{}, 1e-4},
		{"nonsq fixed 24x40", "sample_nonsq", "out_unpatched_nonsq", Options{Height: 24, Width: 40}, 1e-4},
		{"square linear ts int64", "sample", "out_unpatched", Options{TimestepInt64: true}, 1e-4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Build(cfg, w, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			sample := testutil.ReadNPY(t, filepath.Join(tinyGolden, tc.sample+".npy"))
			want := testutil.ReadNPY(t, filepath.Join(tinyGolden, tc.want+".npy"))
			tsT := f32Tensor(ts)
			if tc.opt.TimestepInt64 {
				tsT = ort.NewInt64(tsT.Shape, []int64{981, 981})
			}
			out := runModel(t, m, map[string]*ort.Tensor{
				UNetSample: f32Tensor(sample), UNetTimestep: tsT, UNetEncoderHiddenStates: f32Tensor(ehs),
			}, UNetOutSample)[UNetOutSample]
			d := maxAbsDiff(t, out.Float32s(), want.Float32s())
			t.Logf("max |built − torch| = %.3g", d)
			if d > tc.tol {
				t.Errorf("max abs diff %.3g > %.g", d, tc.tol)
			}
		})
	}
}
