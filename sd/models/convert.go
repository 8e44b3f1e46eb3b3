package models

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// ConvertOptions configure Convert.
type ConvertOptions struct {
	Options
	// ImageSize, if set, fixes the spatial size: the UNet's and VAE decoder's latents are
	// ImageSize / the VAE's downscale (8 for SD; 8 assumed for a lone UNet folder) on
	// each side. 0 leaves them dynamic.
	ImageSize int
	// Variant reads "<name>.<variant>.safetensors" weights (e.g. "fp16").
	Variant string
	// Log, if set, receives one line per component written.
	Log io.Writer
}

// A Converted reports what Convert wrote.
type Converted struct {
	Out        string
	Components []*Written
}

// Convert turns a diffusers folder (or a Hugging Face repo id found in the local cache)
// into ONNX under out, which must not exist or be empty.
//
// For a pipeline folder (model_index.json) it writes the layout that optimum and
// diffusers' convert_stable_diffusion_checkpoint_to_onnx.py use:
//
//	model_index.json               OnnxStableDiffusionPipeline, components as OnnxRuntimeModel
//	text_encoder/model.onnx        input_ids → last_hidden_state, pooler_output
//	unet/model.onnx, weights.pb    sample, timestep, encoder_hidden_states → out_sample
//	vae_decoder/model.onnx         latent_sample → sample
//	tokenizer/                     copied
//	scheduler/scheduler_config.json copied
//
// with each source config.json copied beside its model. For a single component folder
// (config.json and weights) it writes out/model.onnx (+ weights.pb for a UNet).
//
// Everything is written into a temporary sibling folder that is renamed to out at the
// end, so an error leaves nothing behind.
func Convert(src, out string, opt ConvertOptions) (*Converted, error) {
	src, err := diffusers.Resolve(src) // a folder, or a Hub repo id in the local cache
	if err != nil {
		return nil, err
	}
	res := &Converted{Out: out}
	var tmp string
	err = writeFolder(out, func(dir string) error {
		tmp = dir
		if isFile(filepath.Join(src, "model_index.json")) {
			return convertPipeline(src, dir, opt, res)
		}
		w, err := convertComponent(src, dir, opt, 0)
		if w != nil {
			res.Components = append(res.Components, w)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, w := range res.Components {
		w.Model = filepath.Join(out, strings.TrimPrefix(w.Model, tmp))
		if w.Weights != "" {
			w.Weights = filepath.Join(out, strings.TrimPrefix(w.Weights, tmp))
		}
	}
	return res, nil
}

func (o ConvertOptions) latent(downscale int) Options {
	opt := o.Options
	if o.ImageSize > 0 {
		opt.Height, opt.Width = o.ImageSize/downscale, o.ImageSize/downscale
	}
	return opt
}

// convertComponent converts one component folder into dir/model.onnx, choosing the
// builder from config.json.
func convertComponent(src, dir string, opt ConvertOptions, downscale int) (*Written, error) {
	cfgPath := filepath.Join(src, "config.json")
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("models: %s: not a diffusers component folder: %w", src, err)
	}
	var head struct {
		Class         string   `json:"_class_name"`
		Architectures []string `json:"architectures"`
		ModelType     string   `json:"model_type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("models: %s: %w", cfgPath, err)
	}
	var cfg Config
	if downscale == 0 {
		downscale = 8
	}
	switch {
	case head.Class == "UNet2DConditionModel":
		cfg, err = diffusers.ParseUNetConfig(cfgPath, data)
	case head.Class == "AutoencoderKL":
		var v *diffusers.VAEConfig
		v, err = diffusers.ParseVAEConfig(cfgPath, data)
		if v != nil {
			downscale = v.Downscale()
		}
		cfg = v
	case strings.HasPrefix(head.ModelType, "clip") || (len(head.Architectures) > 0 && strings.HasPrefix(head.Architectures[0], "CLIPText")):
		cfg, err = diffusers.ParseCLIPTextConfig(cfgPath, data)
	default:
		return nil, fmt.Errorf("models: %s: unsupported component (class %q, architectures %v)", cfgPath, head.Class, head.Architectures)
	}
	if err != nil {
		return nil, err
	}
	if opt.ImageSize > 0 && opt.ImageSize%downscale != 0 {
		return nil, fmt.Errorf("models: image size %d is not a multiple of %d", opt.ImageSize, downscale)
	}
	w, err := diffusers.OpenWeights(src, diffusers.Options{Variant: opt.Variant})
	if err != nil {
		return nil, err
	}
	defer w.Close()
	start := time.Now()
	wr, err := Write(dir, cfg, w, opt.latent(downscale))
	if err != nil {
		return nil, err
	}
	if err := copyFile(cfgPath, filepath.Join(dir, "config.json")); err != nil {
		return nil, err
	}
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "%s: %d parameters, %.1f MB of weights, %.1fs\n", wr.Component, wr.Params, float64(wr.Bytes)/1e6, time.Since(start).Seconds())
	}
	return wr, nil
}

// convertPipeline converts the text encoder, UNet and VAE decoder of a pipeline folder
// and copies the tokenizer and scheduler.
func convertPipeline(src, dir string, opt ConvertOptions, res *Converted) error {
	p, err := diffusers.OpenPipeline(src, diffusers.Options{Variant: opt.Variant})
	if err != nil {
		return err
	}
	vaeDir, err := p.Component("vae", "AutoencoderKL")
	if err != nil {
		return err
	}
	vcfg, err := diffusers.ReadVAEConfig(filepath.Join(vaeDir, "config.json"))
	if err != nil {
		return err
	}
	parts := []struct{ from, to string }{{"text_encoder", "text_encoder"}, {"unet", "unet"}, {"vae", "vae_decoder"}}
	xl := isSDXLPipeline(p)
	if xl {
		if err := checkSDXLPipeline(p); err != nil {
			return err
		}
		parts = append(parts, struct{ from, to string }{"text_encoder_2", "text_encoder_2"})
	}
	for _, pt := range parts {
		cd, err := p.Component(pt.from)
		if err != nil {
			return err
		}
		popt := opt
		if xl {
			popt = sdxlPartOptions(opt, pt.to, vcfg)
		}
		w, err := convertComponent(cd, filepath.Join(dir, pt.to), popt, vcfg.Downscale())
		if err != nil {
			return err
		}
		w.Component = Component(pt.to)
		res.Components = append(res.Components, w)
	}
	if err := convertVAEEncoder(vaeDir, filepath.Join(dir, "vae_encoder"), vcfg, opt, res); err != nil {
		return err
	}
	tok, err := p.TokenizerDir("tokenizer")
	if err != nil {
		return err
	}
	if err := copyDir(tok, filepath.Join(dir, "tokenizer")); err != nil {
		return err
	}
	if xl {
		if err := copySDXLTokenizer(p, dir); err != nil {
			return err
		}
	}
	schedPath, schedClass, err := p.SchedulerConfig()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "scheduler"), 0o755); err != nil {
		return err
	}
	if err := copyFile(schedPath, filepath.Join(dir, "scheduler", "scheduler_config.json")); err != nil {
		return err
	}
	mi := onnxModelIndex(schedClass)
	if xl {
		mi = sdxlModelIndex(mi, p)
	}
	return writeJSON(filepath.Join(dir, "model_index.json"), mi)
}

// onnxModelIndex is the model_index.json of an OnnxStableDiffusionPipeline folder.
func onnxModelIndex(scheduler string) map[string]any {
	ort := []string{"diffusers", "OnnxRuntimeModel"}
	return map[string]any{
		"_class_name":             "OnnxStableDiffusionPipeline",
		"_diffusers_version":      "0.19.3",
		"feature_extractor":       []any{nil, nil},
		"requires_safety_checker": false,
		"safety_checker":          []any{nil, nil},
		"scheduler":               []string{"diffusers", scheduler},
		"text_encoder":            ort,
		"tokenizer":               []string{"transformers", "CLIPTokenizer"},
		"unet":                    ort,
		"vae_decoder":             ort,
		"vae_encoder":             ort,
	}
}
