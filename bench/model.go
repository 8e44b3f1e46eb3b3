package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/models"
)

// cacheDir is o.CacheDir or ~/.cache/tomebench.
func (o Options) cacheDir() (string, error) {
	if o.CacheDir != "" {
		return o.CacheDir, nil
	}
	d, err := ort.CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Dir(d), nil
}

// prepareModel returns the path of the UNet to measure and its weights' bytes,
// building or converting it into the cache first when needed.
func prepareModel(o Options, log io.Writer) (string, int64, error) {
	cache, err := o.cacheDir()
	if err != nil {
		return "", 0, err
	}
	mopt := models.Options{Float16: o.Precision == "fp16", FusedAttention: o.Attention == "fused",
		Height: o.Size / 8, Width: o.Size / 8}
	var path string
	switch {
	case o.Arch != "":
		dir := filepath.Join(cache, "bench", fmt.Sprintf("%s-seed%d-%s-%s-%d", o.Arch, o.Seed, o.Precision, o.Attention, o.Size))
		path = filepath.Join(dir, "model.onnx")
		if !exists(path) {
			fmt.Fprintf(log, "bench: building the %s UNet (random weights, seed %d, %s, %s attention) into %s\n", o.Arch, o.Seed, o.Precision, o.Attention, dir)
			tmp := fmt.Sprintf("%s.tmp-%d", dir, os.Getpid())
			os.RemoveAll(tmp)
			if _, err := models.SynthUNet(tmp, o.Arch, o.Seed, mopt); err != nil {
				os.RemoveAll(tmp)
				return "", 0, err
			}
			if err := os.Rename(tmp, dir); err != nil {
				os.RemoveAll(tmp)
				return "", 0, fmt.Errorf("bench: %w", err)
			}
		}
	default:
		for _, p := range []string{filepath.Join(o.Model, "model.onnx"), filepath.Join(o.Model, "unet", "model.onnx")} {
			if exists(p) {
				path = p
				break
			}
		}
		if path == "" {
			src := o.Model
			if exists(filepath.Join(o.Model, "unet", "config.json")) {
				src = filepath.Join(o.Model, "unet")
			}
			if !exists(filepath.Join(src, "config.json")) {
				return "", 0, fmt.Errorf("bench: %s holds neither model.onnx, unet/model.onnx nor a diffusers UNet", o.Model)
			}
			abs, _ := filepath.Abs(src)
			h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%d", abs, o.Precision, o.Attention, o.Size)))
			dir := filepath.Join(cache, "bench", "converted-"+hex.EncodeToString(h[:8]))
			path = filepath.Join(dir, "model.onnx")
			if !exists(path) {
				fmt.Fprintf(log, "bench: converting %s into %s\n", src, dir)
				if _, err := models.Convert(src, dir, models.ConvertOptions{Options: models.Options{Float16: mopt.Float16, FusedAttention: mopt.FusedAttention}, ImageSize: o.Size}); err != nil {
					return "", 0, err
				}
			}
		} else if o.Attention == "fused" {
			m, err := onnx.Load(path)
			if err != nil {
				return "", 0, err
			}
			if len(m.Graph().ByOp("MultiHeadAttention")) == 0 {
				return "", 0, fmt.Errorf("bench: %s has plain attention; fused attention needs a model built by tomebench (convert --attention fused, or --arch)", path)
			}
		}
	}
	return path, weightsBytes(path), nil
}

// weightsBytes is the size of the model file plus its external weights files (the
// graph itself is a few MB of it).
func weightsBytes(path string) int64 {
	var n int64
	dir := filepath.Dir(path)
	for _, f := range []string{path, filepath.Join(dir, models.WeightsFile), filepath.Join(dir, "model.onnx_data")} {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
