package testutil

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
)

// ReadNPY reads the .npy file at path, failing the test if it cannot.
func ReadNPY(t testing.TB, path string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// MaxAbsDiff returns max |a[i] − b[i]| in float64. It returns +Inf when the lengths
// differ or any difference is NaN, so that a comparison d > tol always fails then.
func MaxAbsDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for i := range a {
		v := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		d = max(d, v)
	}
	return d
}

// Shape64 converts an npy shape to the []int64 shapes of ONNX Runtime tensors.
func Shape64(s []int) []int64 {
	out := make([]int64, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

// TinyONNXPipeline assembles, in a temporary folder, the tiny pipeline of the
// fixtures (root: the shared fixtures folder) in the ONNX layout: torch's exports of
// the text encoder, UNet and VAE decoder linked in, tiny_pipeline's configs,
// tokenizer and scheduler copied, and an OnnxStableDiffusionPipeline model_index.json.
// It returns the folder.
func TinyONNXPipeline(t testing.TB, root string) string {
	t.Helper()
	dir := t.TempDir()
	tiny := filepath.Join(root, "pipeline", "tiny_pipeline")
	links := map[string]string{
		"text_encoder/model.onnx": "pipeline/text_encoder/onnx/model.onnx",
		"unet/model.onnx":         "unet/tiny-sd15/onnx/model.onnx",
		"vae_decoder/model.onnx":  "pipeline/vae/vae_decoder/model.onnx",
	}
	copies := map[string]string{
		"unet/config.json":                  "unet/config.json",
		"vae_decoder/config.json":           "vae/config.json",
		"tokenizer/vocab.json":              "tokenizer/vocab.json",
		"tokenizer/merges.txt":              "tokenizer/merges.txt",
		"tokenizer/tokenizer_config.json":   "tokenizer/tokenizer_config.json",
		"tokenizer/special_tokens_map.json": "tokenizer/special_tokens_map.json",
		"scheduler/scheduler_config.json":   "scheduler/scheduler_config.json",
	}
	place := func(rel string) string {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for rel, target := range links {
		abs, err := filepath.Abs(filepath.Join(root, target))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(abs, place(rel)); err != nil {
			t.Fatal(err)
		}
	}
	for rel, src := range copies {
		data, err := os.ReadFile(filepath.Join(tiny, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(place(rel), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	index := `{"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.19.3"}`
	if err := os.WriteFile(filepath.Join(dir, "model_index.json"), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
