package pipeline

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A FolderError reports a model folder, or one file or part of it, that cannot be used.
type FolderError struct {
	Path string // the folder or file at fault
	Msg  string // what is wrong
	Err  error  // the underlying cause, if any
}

// Error formats the problem as "pipeline: path: message[: cause]".
func (e *FolderError) Error() string {
	s := "pipeline: " + e.Path + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *FolderError) Unwrap() error { return e.Err }

// Layout is the format of a model folder.
type Layout int

// The folder layouts Open accepts.
const (
	// LayoutUnknown is neither layout.
	LayoutUnknown Layout = iota
	// LayoutONNX is optimum's / diffusers' ONNX export layout (unet/model.onnx, ...).
	LayoutONNX
	// LayoutDiffusers is a diffusers pipeline folder (model_index.json, safetensors).
	LayoutDiffusers
)

// String names the layout.
func (l Layout) String() string {
	switch l {
	case LayoutONNX:
		return "ONNX"
	case LayoutDiffusers:
		return "diffusers"
	}
	return "unknown"
}

// DetectLayout tells an ONNX folder from a diffusers folder. ONNX: it has any of
// unet/model.onnx, text_encoder/model.onnx, vae_decoder/model.onnx, or its
// model_index.json names an ONNX pipeline class (OnnxStableDiffusionPipeline, optimum's
// ORTStableDiffusionPipeline); diffusers: it has a model_index.json naming another class.
func DetectLayout(dir string) (Layout, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return LayoutUnknown, &FolderError{Path: dir, Msg: "cannot open model folder", Err: err}
	}
	if !st.IsDir() {
		return LayoutUnknown, &FolderError{Path: dir, Msg: "not a folder (want an ONNX or diffusers model folder)"}
	}
	for _, part := range []string{"unet", "text_encoder", "vae_decoder"} {
		if isFile(filepath.Join(dir, part, "model.onnx")) {
			return LayoutONNX, nil
		}
	}
	index := filepath.Join(dir, "model_index.json")
	if !isFile(index) {
		return LayoutUnknown, &FolderError{Path: dir,
			Msg: "neither an ONNX model folder (no unet/model.onnx) nor a diffusers folder (no model_index.json)"}
	}
	var mi struct {
		Class string `json:"_class_name"`
	}
	if err := readJSON(index, &mi); err != nil {
		return LayoutUnknown, err
	}
	if strings.HasPrefix(mi.Class, "Onnx") || strings.HasPrefix(mi.Class, "ORT") {
		return LayoutONNX, nil
	}
	return LayoutDiffusers, nil
}

// Parts are the files of an ONNX model folder that the pipeline uses.
type Parts struct {
	Dir             string
	TextEncoder     string // text_encoder/model.onnx
	UNet            string // unet/model.onnx
	VAEDecoder      string // vae_decoder/model.onnx
	Tokenizer       string // tokenizer/ (vocab.json, merges.txt)
	SchedulerConfig string // scheduler/scheduler_config.json
	// UNetConfig and VAEConfig are the components' config.json files as optimum writes
	// them beside the models; "" when absent (sizes then come from the models, and the
	// VAE's scaling factor and downscale factor take SD's 0.18215 and 8).
	UNetConfig, VAEConfig string
}

// FindParts checks that dir is a complete ONNX model folder and returns its files. A
// missing part is a *FolderError naming the file.
func FindParts(dir string) (*Parts, error) {
	p := &Parts{
		Dir:             dir,
		TextEncoder:     filepath.Join(dir, "text_encoder", "model.onnx"),
		UNet:            filepath.Join(dir, "unet", "model.onnx"),
		VAEDecoder:      filepath.Join(dir, "vae_decoder", "model.onnx"),
		Tokenizer:       filepath.Join(dir, "tokenizer"),
		SchedulerConfig: filepath.Join(dir, "scheduler", "scheduler_config.json"),
	}
	need := []struct{ path, what string }{
		{p.UNet, "UNet model"},
		{p.TextEncoder, "text encoder model"},
		{p.VAEDecoder, "VAE decoder model"},
		{filepath.Join(p.Tokenizer, "vocab.json"), "tokenizer vocabulary"},
		{filepath.Join(p.Tokenizer, "merges.txt"), "tokenizer merges"},
		{p.SchedulerConfig, "scheduler config"},
	}
	for _, n := range need {
		if !isFile(n.path) {
			return nil, &FolderError{Path: n.path, Msg: "missing " + n.what + " (ONNX model folder layout: text_encoder/model.onnx, unet/model.onnx, vae_decoder/model.onnx, tokenizer/, scheduler/scheduler_config.json)"}
		}
	}
	if c := filepath.Join(dir, "unet", "config.json"); isFile(c) {
		p.UNetConfig = c
	}
	if c := filepath.Join(dir, "vae_decoder", "config.json"); isFile(c) {
		p.VAEConfig = c
	}
	return p, nil
}

// vaeInfo is what the pipeline needs from a VAE config.
type vaeInfo struct {
	ScalingFactor float64 // latents are divided by it before decoding
	Downscale     int     // image size / latent size
}

// readVAEInfo reads scaling_factor and block_out_channels (downscale 2^(len-1), as
// diffusers' vae_scale_factor) from path; "" gives SD's 0.18215 and 8.
func readVAEInfo(path string) (vaeInfo, error) {
	info := vaeInfo{ScalingFactor: 0.18215, Downscale: 8}
	if path == "" {
		return info, nil
	}
	var c struct {
		ScalingFactor    *float64 `json:"scaling_factor"`
		BlockOutChannels []int    `json:"block_out_channels"`
	}
	if err := readJSON(path, &c); err != nil {
		return info, err
	}
	if c.ScalingFactor != nil {
		if *c.ScalingFactor <= 0 {
			return info, &FolderError{Path: path, Msg: fmt.Sprintf("scaling_factor %v is not positive", *c.ScalingFactor)}
		}
		info.ScalingFactor = *c.ScalingFactor
	}
	if n := len(c.BlockOutChannels); n > 0 {
		if n > 8 {
			return info, &FolderError{Path: path, Msg: fmt.Sprintf("block_out_channels has %d entries", n)}
		}
		info.Downscale = 1 << (n - 1)
	}
	return info, nil
}

// readUNetSampleSize returns the UNet config's sample_size (latent side, or [h, w]); 0s
// when path is "" or the key is absent.
func readUNetSampleSize(path string) (h, w int, err error) {
	if path == "" {
		return 0, 0, nil
	}
	var c struct {
		SampleSize json.RawMessage `json:"sample_size"`
	}
	if err := readJSON(path, &c); err != nil {
		return 0, 0, err
	}
	if len(c.SampleSize) == 0 || string(c.SampleSize) == "null" {
		return 0, 0, nil
	}
	var one int
	if json.Unmarshal(c.SampleSize, &one) == nil && one > 0 {
		return one, one, nil
	}
	var two []int
	if json.Unmarshal(c.SampleSize, &two) == nil && len(two) == 2 && two[0] > 0 && two[1] > 0 {
		return two[0], two[1], nil
	}
	return 0, 0, &FolderError{Path: path, Msg: "sample_size is neither a positive integer nor [height, width]: " + string(c.SampleSize)}
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &FolderError{Path: path, Msg: "cannot read", Err: err}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return &FolderError{Path: path, Msg: "invalid JSON", Err: err}
	}
	return nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}
