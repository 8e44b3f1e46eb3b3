package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestReadConfigs reads the size and scale facts from component configs as optimum
// writes them beside the models; expected values are diffusers' (vae_scale_factor =
// 2^(len(block_out_channels)-1), scaling_factor default 0.18215).
func TestReadConfigs(t *testing.T) {
	cases := []struct {
		name       string
		vae, unet  string
		sf         float64
		down, h, w int
		bad        bool
	}{
		{"SD 1.5", `{"scaling_factor": 0.18215, "block_out_channels": [128, 256, 512, 512]}`, `{"sample_size": 64}`, 0.18215, 8, 64, 64, false},
		{"SDXL-like", `{"scaling_factor": 0.13025, "block_out_channels": [128, 256, 512, 512]}`, `{"sample_size": 128}`, 0.13025, 8, 128, 128, false},
		{"tiny fixture", `{"block_out_channels": [32, 64]}`, `{"sample_size": [24, 40]}`, 0.18215, 2, 24, 40, false},
		{"no keys", `{}`, `{"sample_size": null}`, 0.18215, 8, 0, 0, false},
		{"bad sample_size", `{}`, `{"sample_size": "big"}`, 0, 0, 0, 0, true},
		{"bad JSON", `{`, `{}`, 0, 0, 0, 0, true},
	}
	for _, c := range cases {
		dir := t.TempDir()
		vp, up := filepath.Join(dir, "vae.json"), filepath.Join(dir, "unet.json")
		os.WriteFile(vp, []byte(c.vae), 0o644)
		os.WriteFile(up, []byte(c.unet), 0o644)
		vi, err1 := readVAEInfo(vp)
		h, w, err2 := readUNetSampleSize(up)
		if c.bad {
			if err := errors.Join(err1, err2); err == nil {
				t.Errorf("%s: no error", c.name)
			}
			continue
		}
		if err1 != nil || err2 != nil || vi.ScalingFactor != c.sf || vi.Downscale != c.down || h != c.h || w != c.w {
			t.Errorf("%s: %+v %dx%d (%v, %v); want %v %d %dx%d", c.name, vi, h, w, err1, err2, c.sf, c.down, c.h, c.w)
		}
	}
}

// FuzzConfigs: any config file content gives values or a *FolderError, never a panic.
func FuzzConfigs(f *testing.F) {
	for _, s := range []string{`{"scaling_factor": 0.18215, "block_out_channels": [1, 2]}`, `{"sample_size": [1, 2]}`, `{"sample_size": 3}`, `[]`, `{"block_out_channels": [1,1,1,1,1,1,1,1,1,1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "config.json")
		os.WriteFile(p, data, 0o644)
		var fe *FolderError
		if vi, err := readVAEInfo(p); err != nil && !errors.As(err, &fe) {
			t.Fatalf("readVAEInfo: %T %v", err, err)
		} else if err == nil && (vi.ScalingFactor <= 0 || vi.Downscale < 1) {
			t.Fatalf("readVAEInfo accepted %+v", vi)
		}
		if _, _, err := readUNetSampleSize(p); err != nil && !errors.As(err, &fe) {
			t.Fatalf("readUNetSampleSize: %T %v", err, err)
		}
	})
}
