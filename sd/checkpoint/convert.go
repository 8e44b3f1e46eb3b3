package checkpoint

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tomebench/tomebench/internal/fsutil"
	"github.com/tomebench/tomebench/internal/safetensors"
	"github.com/tomebench/tomebench/sd/models"
)

// Options say how a checkpoint is read and converted.
type Options struct {
	// OriginalConfig is an LDM inference YAML (FromYAML); ConfigDir a diffusers folder
	// whose configs, scheduler and tokenizer describe the checkpoint (FromDiffusers).
	// At most one may be set; with neither the architecture is inferred (Infer).
	OriginalConfig, ConfigDir string
	// PredictionType overrides the scheduler's ("epsilon" or "v_prediction"). It is
	// required for an SD 2.x checkpoint whose architecture is inferred from its weights
	// (Arch.PredictionUnknown): Load refuses without it rather than guess.
	PredictionType string
	// NoEMA keeps the training weights of a checkpoint that also has EMA ones.
	//
	// Default (false): the EMA weights are used when present (more than 100
	// "model_ema*" keys) — the behaviour of diffusers v0.19.3's
	// scripts/convert_original_stable_diffusion_to_diffusers.py run WITH --extract_ema,
	// and of from_single_file(..., extract_ema=True). It is NOT diffusers' default:
	// that script's --extract_ema flag and from_single_file's extract_ema both default
	// to False (training weights; diffusers warns that EMA "usually yield[s] higher
	// quality images for inference", non-EMA being "better to continue fine-tuning").
	// tomebench only runs inference, and the EMA weights are the ones released for
	// sampling (the "-emaonly"/pruned checkpoints hold exactly them under
	// model.diffusion_model.), so EMA is the default; NoEMA (--no-ema) gives
	// diffusers' default result. Load prints which weights were used.
	NoEMA bool
	// Models are the ONNX build options (fp16, opset, fixed latent size ...).
	Models models.Options
	// ImageSize, if set, fixes the UNet's and VAE's spatial size to ImageSize / 8.
	ImageSize int
	// Log, if set, receives the architecture and one line per component written.
	Log io.Writer
}

// A Loaded is a checkpoint opened with its architecture and split into networks.
type Loaded struct {
	File     *File
	Arch     *Arch
	Networks *Networks
}

// Close releases the checkpoint.
func (l *Loaded) Close() error { return l.File.Close() }

// Load opens the checkpoint at path, takes its architecture as opt says and splits it
// into networks (see Split). The architecture and what was inferred go to opt.Log.
func Load(path string, opt Options) (*Loaded, error) {
	if opt.OriginalConfig != "" && opt.ConfigDir != "" {
		return nil, fmt.Errorf("checkpoint: give an LDM YAML or a diffusers config folder, not both")
	}
	f, err := Open(path, !opt.NoEMA)
	if err != nil {
		return nil, err
	}
	var arch *Arch
	switch {
	case opt.OriginalConfig != "":
		arch, err = FromYAML(opt.OriginalConfig)
	case opt.ConfigDir != "":
		arch, err = FromDiffusers(opt.ConfigDir)
	default:
		if err = checkFamily(f); err == nil {
			arch, err = Infer(f)
		}
	}
	if err == nil {
		err = arch.SetPredictionType(opt.PredictionType)
	}
	if err == nil && arch.PredictionUnknown {
		if opt.PredictionType == "" {
			err = &Error{Path: path, Msg: "an " + arch.Family + " checkpoint (" + arch.Describe() + "): its prediction type cannot be read from the weights; " +
				"pass --prediction-type v_prediction for a 768-v model (SD 2.x 768, the usual case), --prediction-type epsilon for a 512-base one, " +
				"or --original-config with its v2-inference-v.yaml / v2-inference.yaml"}
		} else {
			arch.PredictionUnknown = false
			arch.note("prediction type %s, as --prediction-type says", opt.PredictionType)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	nw, err := Split(f, arch)
	if err != nil {
		f.Close()
		return nil, err
	}
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "checkpoint %s: %s\n", path, arch.Describe())
		fmt.Fprintf(opt.Log, "  UNet weights: %s\n", f.WeightsUsed())
		for _, n := range arch.Notes {
			fmt.Fprintf(opt.Log, "  assumed/inferred: %s\n", n)
		}
	}
	return &Loaded{File: f, Arch: arch, Networks: nw}, nil
}

// ToONNX converts the checkpoint at path into the ONNX folder layout under out (which
// must not exist or be empty), the layout models.Convert writes for a diffusers folder
// plus vae_encoder/:
//
//	model_index.json, text_encoder/, unet/ (+ weights.pb), vae_decoder/, vae_encoder/,
//	tokenizer/, scheduler/scheduler_config.json, each model's config.json
//
// The graphs are those models.Convert builds from the equivalent diffusers folder, byte
// for byte. The folder is written beside out and renamed into place at the end.
func ToONNX(path, out string, opt Options) (*Loaded, error) {
	l, err := Load(path, opt)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	err = writeFolder(out, func(dir string) error { return l.writeONNX(dir, opt) })
	return l, err
}

func (l *Loaded) writeONNX(dir string, opt Options) error {
	a, nw := l.Arch, l.Networks
	down := a.VAE.Downscale()
	if opt.ImageSize > 0 && opt.ImageSize%down != 0 {
		return fmt.Errorf("checkpoint: image size %d is not a multiple of %d", opt.ImageSize, down)
	}
	mo := opt.Models
	if opt.ImageSize > 0 {
		mo.Height, mo.Width = opt.ImageSize/down, opt.ImageSize/down
	}
	parts := []struct {
		name string
		cfg  models.Config
		src  *view
		opt  models.Options
		conf string // config key
	}{
		{"text_encoder", a.Text, nw.Text, opt.Models, "text_encoder"},
		{"unet", a.UNet, nw.UNet, mo, "unet"},
		{"vae_decoder", a.VAE, nw.VAE, mo, "vae"},
	}
	for _, p := range parts {
		start := time.Now()
		w, err := models.Write(filepath.Join(dir, p.name), p.cfg, p.src, p.opt)
		if err != nil {
			return &Error{Path: l.File.Path, Msg: "building " + p.name, Err: err}
		}
		if err := a.writeConfig(p.conf, filepath.Join(dir, p.name, "config.json")); err != nil {
			return err
		}
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, "%s: %d parameters, %.1f MB of weights, %.1fs\n", p.name, w.Params, float64(w.Bytes)/1e6, time.Since(start).Seconds())
		}
	}
	if err := writeVAEEncoder(filepath.Join(dir, "vae_encoder"), a, nw.VAE, mo); err != nil {
		return &Error{Path: l.File.Path, Msg: "building vae_encoder", Err: err}
	}
	if err := a.writeConfig("vae", filepath.Join(dir, "vae_encoder", "config.json")); err != nil {
		return err
	}
	if err := a.writeTokenizer(filepath.Join(dir, "tokenizer")); err != nil {
		return err
	}
	if err := a.writeScheduler(filepath.Join(dir, "scheduler")); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "model_index.json"), onnxModelIndex(a.Scheduler["_class_name"]))
}

// writeVAEEncoder writes vae_encoder/model.onnx (img2img's encoder).
func writeVAEEncoder(dir string, a *Arch, src models.WeightSource, opt models.Options) error {
	_, err := models.WriteVAEEncoder(dir, a.VAE, src, opt)
	return err
}

// writeConfig writes the config.json of a network: the diffusers folder's file when the
// architecture came from one, else the config as JSON.
func (a *Arch) writeConfig(which, to string) error {
	if p, ok := a.ConfigFiles[which]; ok {
		return fsutil.CopyFile(p, to)
	}
	var v any
	switch which {
	case "unet":
		v = a.UNet
	case "vae":
		v = a.VAE
	default:
		v = a.Text
	}
	return writeJSON(to, v)
}

func (a *Arch) writeTokenizer(dir string) error {
	if a.TokenizerDir == "" {
		return models.WriteCLIPTokenizer(dir, a.PadToken)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(a.TokenizerDir)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if !e.IsDir() {
			if err := fsutil.CopyFile(filepath.Join(a.TokenizerDir, e.Name()), filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *Arch) writeScheduler(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, "scheduler_config.json"), a.Scheduler)
}

// WriteDiffusers writes the checkpoint at path as a diffusers pipeline folder under out
// (model_index.json, unet/, vae/, text_encoder/ with config.json and safetensors in the
// checkpoint's element types, tokenizer/, scheduler/) — what diffusers'
// from_single_file(path, extract_ema=True).save_pretrained(out) gives (with
// opt.NoEMA: from_single_file's default, extract_ema=False; the two differ only for a
// checkpoint with EMA weights).
func WriteDiffusers(path, out string, opt Options) (*Loaded, error) {
	l, err := Load(path, opt)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	err = writeFolder(out, func(dir string) error {
		for _, p := range []struct {
			name, file string
			v          *view
		}{{"unet", "diffusion_pytorch_model.safetensors", l.Networks.UNet}, {"vae", "diffusion_pytorch_model.safetensors", l.Networks.VAE},
			{"text_encoder", "model.safetensors", l.Networks.Text}} {
			if err := os.MkdirAll(filepath.Join(dir, p.name), 0o755); err != nil {
				return err
			}
			var ts []safetensors.Tensor
			for _, k := range p.v.Names() {
				t := p.v.tensors[k]
				ts = append(ts, safetensors.Tensor{Name: k, DType: t.DType, Shape: t.Shape, Data: t.Bytes})
			}
			if err := safetensors.Write(filepath.Join(dir, p.name, p.file), ts, map[string]string{"format": "pt"}); err != nil {
				return err
			}
			if err := l.Arch.writeConfig(p.name, filepath.Join(dir, p.name, "config.json")); err != nil {
				return err
			}
		}
		if err := l.Arch.writeTokenizer(filepath.Join(dir, "tokenizer")); err != nil {
			return err
		}
		if err := l.Arch.writeScheduler(filepath.Join(dir, "scheduler")); err != nil {
			return err
		}
		return writeJSON(filepath.Join(dir, "model_index.json"), map[string]any{
			"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.19.3",
			"feature_extractor": []any{nil, nil}, "safety_checker": []any{nil, nil}, "requires_safety_checker": false,
			"scheduler": []any{"diffusers", l.Arch.Scheduler["_class_name"]}, "text_encoder": []string{"transformers", "CLIPTextModel"},
			"tokenizer": []string{"transformers", "CLIPTokenizer"}, "unet": []string{"diffusers", "UNet2DConditionModel"},
			"vae": []string{"diffusers", "AutoencoderKL"},
		})
	})
	return l, err
}

// onnxModelIndex is the model_index.json of an OnnxStableDiffusionPipeline folder.
func onnxModelIndex(scheduler any) map[string]any {
	ort := []string{"diffusers", "OnnxRuntimeModel"}
	return map[string]any{
		"_class_name": "OnnxStableDiffusionPipeline", "_diffusers_version": "0.19.3",
		"feature_extractor": []any{nil, nil}, "requires_safety_checker": false, "safety_checker": []any{nil, nil},
		"scheduler": []any{"diffusers", scheduler}, "text_encoder": ort, "tokenizer": []string{"transformers", "CLIPTokenizer"},
		"unet": ort, "vae_decoder": ort, "vae_encoder": ort,
	}
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// writeFolder fills a temporary sibling of out and renames it to out; out must not
// exist or be empty. On failure nothing is left behind.
func writeFolder(out string, fill func(dir string) error) error {
	if ents, err := os.ReadDir(out); err == nil && len(ents) > 0 {
		return fmt.Errorf("checkpoint: output folder %s exists and is not empty", out)
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return err
	}
	os.Remove(out)
	return os.Rename(tmp, out)
}

// IsCheckpoint reports whether path names a single-file checkpoint (by extension).
func IsCheckpoint(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".safetensors", ".ckpt", ".pt", ".pth":
		st, err := os.Stat(path)
		return err == nil && st.Mode().IsRegular()
	}
	return false
}
