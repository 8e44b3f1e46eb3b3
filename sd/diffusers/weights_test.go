package diffusers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/safetensors"
)

var tinyUNetDir = filepath.Join(fixtures, "unet/tiny-sd15/diffusers/unet")

// writeComponent writes the tensors of src into dir as weights (converted to dtype F32 or
// F16) in nShards files; with nShards > 1 an index file named index lists them.
func writeComponent(t *testing.T, dir string, src *Weights, dtype safetensors.DType, nShards int, single, index string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(src.Dir(), "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	shards := make([][]safetensors.Tensor, nShards)
	weightMap := map[string]string{}
	for i, n := range src.Names() {
		v, shape, err := src.Float32(n)
		if err != nil {
			t.Fatal(err)
		}
		tt := safetensors.NewF32(n, shape, v)
		if dtype == safetensors.F16 {
			tt = safetensors.NewF16(n, shape, v)
		}
		s := i % nShards
		shards[s] = append(shards[s], tt)
		weightMap[n] = fmt.Sprintf("diffusion_pytorch_model-%05d-of-%05d.safetensors", s+1, nShards)
	}
	if nShards == 1 {
		if err := safetensors.Write(filepath.Join(dir, single), shards[0], map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
		return
	}
	for s, ts := range shards {
		name := fmt.Sprintf("diffusion_pytorch_model-%05d-of-%05d.safetensors", s+1, nShards)
		if err := safetensors.Write(filepath.Join(dir, name), ts, map[string]string{"format": "pt"}); err != nil {
			t.Fatal(err)
		}
	}
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{"total_size": 0}, "weight_map": weightMap})
	if err := os.WriteFile(filepath.Join(dir, index), idx, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWeightsVariantsAndShards rewrites the tiny UNet fixture as fp16 files, as shards and
// as fp16 shards, and checks that each folder yields the fixture's 440 tensors with the
// fixture's values (exact for F32, within half an fp16 ulp for F16).
func TestWeightsVariantsAndShards(t *testing.T) {
	src, err := OpenWeights(tinyUNetDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Len() != 440 { // unet/tiny-sd15/diffusers manifest: n_tensors
		t.Fatalf("fixture UNet has %d tensors, want 440", src.Len())
	}
	root := t.TempDir()
	mixed := filepath.Join(root, "mixed") // plain F32 file beside an fp16 variant
	writeComponent(t, mixed, src, safetensors.F32, 1, "diffusion_pytorch_model.safetensors", "")
	writeComponent(t, mixed, src, safetensors.F16, 1, "diffusion_pytorch_model.fp16.safetensors", "")
	sharded := filepath.Join(root, "sharded")
	writeComponent(t, sharded, src, safetensors.F32, 3, "", "diffusion_pytorch_model.safetensors.index.json")
	sharded16 := filepath.Join(root, "sharded16")
	writeComponent(t, sharded16, src, safetensors.F16, 2, "", "diffusion_pytorch_model.safetensors.index.fp16.json")

	cases := []struct {
		dir     string
		opt     Options
		files   int
		wantF16 bool
	}{
		{mixed, Options{}, 1, false},
		{mixed, Options{Variant: "fp16"}, 1, true},
		{sharded, Options{}, 3, false},
		{sharded16, Options{Variant: "fp16"}, 2, true},
	}
	for _, c := range cases {
		u, err := LoadUNet(c.dir, c.opt)
		if err != nil {
			t.Fatalf("%s %+v: %v", c.dir, c.opt, err)
		}
		w := u.Weights
		if w.Len() != 440 || len(w.Files()) != c.files {
			t.Errorf("%s %+v: %d tensors in %d files, want 440 in %d", c.dir, c.opt, w.Len(), len(w.Files()), c.files)
		}
		maxRel := 0.0
		for _, n := range src.Names() {
			want, _, _ := src.Float32(n)
			got, _, err := w.Float32(n)
			if err != nil {
				t.Fatal(err)
			}
			ti, _ := w.Tensor(n)
			if (ti.DType == safetensors.F16) != c.wantF16 {
				t.Fatalf("%s: %s has dtype %s", c.dir, n, ti.DType)
			}
			for i := range want {
				d := math.Abs(float64(got[i]) - float64(want[i]))
				if !c.wantF16 && d != 0 {
					t.Fatalf("%s: %s[%d] = %v, want %v", c.dir, n, i, got[i], want[i])
				}
				// fp16: relative 2^-11 in the normal range, absolute 2^-25 below it.
				if lim := math.Max(math.Ldexp(math.Abs(float64(want[i])), -11), math.Ldexp(1, -25)); d > lim {
					t.Fatalf("%s: %s[%d] = %v, want %v", c.dir, n, i, got[i], want[i])
				}
				if math.Abs(float64(want[i])) >= math.Ldexp(1, -14) { // fp16 normal range
					maxRel = math.Max(maxRel, d/math.Abs(float64(want[i])))
				}
			}
		}
		t.Logf("%s %+v: max relative error %.3g (normal range)", filepath.Base(c.dir), c.opt, maxRel)
		u.Close()
	}
	// The fp16 variant is not looked for in the sharded F32 folder and vice versa.
	if _, err := OpenWeights(sharded, Options{Variant: "fp16"}); err == nil || !strings.Contains(err.Error(), `variant "fp16"`) {
		t.Errorf("missing variant: %v", err)
	}
	if _, err := OpenWeights(sharded16, Options{}); err == nil || !strings.Contains(err.Error(), "non-variant") {
		t.Errorf("missing plain files: %v", err)
	}
}

func TestWeightsErrors(t *testing.T) {
	src, err := OpenWeights(tinyUNetDir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	root := t.TempDir()
	mk := func(name string, files map[string]string) string {
		d := filepath.Join(root, name)
		os.MkdirAll(d, 0o755)
		for f, body := range files {
			os.WriteFile(filepath.Join(d, f), []byte(body), 0o644)
		}
		return d
	}
	shard := func(name string) string { // a one-tensor shard
		v, shape, _ := src.Float32("conv_in.bias")
		p := filepath.Join(root, name)
		if err := safetensors.Write(p, []safetensors.Tensor{safetensors.NewF32("conv_in.bias", shape, v)}, nil); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		return string(b)
	}
	s := shard("s.safetensors")
	idx := func(m map[string]string) string {
		b, _ := json.Marshal(map[string]any{"weight_map": m})
		return string(b)
	}
	const index = "diffusion_pytorch_model.safetensors.index.json"
	cases := []struct {
		name   string
		dir    string
		want   string
		target error
	}{
		{"bin only", mk("bin", map[string]string{"diffusion_pytorch_model.bin": "x", "config.json": "{}"}),
			"only PyTorch pickle weights (diffusion_pytorch_model.bin)", ErrNoSafetensors},
		{"nothing", mk("empty", map[string]string{"config.json": "{}"}), "no weights file: looked for diffusion_pytorch_model.safetensors", nil},
		{"no folder", filepath.Join(root, "absent"), "cannot read component folder", nil},
		{"corrupt", mk("corrupt", map[string]string{"model.safetensors": "\x09\x00\x00\x00\x00\x00\x00\x00{}"}), "bad weights file", nil},
		{"missing shard", mk("missing", map[string]string{index: idx(map[string]string{"conv_in.bias": "a.safetensors"})}), "shard a.safetensors is missing", nil},
		{"key not in shard", mk("wrongkey", map[string]string{"s.safetensors": s, index: idx(map[string]string{"conv_in.weight": "s.safetensors"})}),
			`tensor "conv_in.weight" listed in ` + index + " is not in this shard", nil},
		{"escaping shard", mk("escape", map[string]string{index: idx(map[string]string{"conv_in.bias": "../s.safetensors"})}), "is not a file name in the folder", nil},
		{"empty index", mk("emptyidx", map[string]string{index: `{"weight_map": {}}`}), "index has no weight_map", nil},
	}
	for _, c := range cases {
		_, err := OpenWeights(c.dir, Options{})
		var de *Error
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want *Error with %q", c.name, err, c.want)
			continue
		}
		if c.target != nil && !errors.Is(err, c.target) {
			t.Errorf("%s: %v does not wrap %v", c.name, err, c.target)
		}
	}
	// A sharded folder with a good index works and reports the unknown key cleanly.
	ok := mk("ok", map[string]string{"s.safetensors": s, index: idx(map[string]string{"conv_in.bias": "s.safetensors"})})
	w, err := OpenWeights(ok, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Float32("nope"); !errors.Is(err, safetensors.ErrNotFound) || !strings.Contains(err.Error(), ok) {
		t.Errorf("missing key: %v", err)
	}
	w.Close()
}
