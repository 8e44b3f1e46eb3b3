package checkpoint

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// An Arch is the architecture a checkpoint's tensors are read as: the diffusers configs
// of the three networks, the scheduler config, and where the tokenizer comes from.
type Arch struct {
	UNet *diffusers.UNetConfig
	VAE  *diffusers.VAEConfig
	Text *diffusers.CLIPTextConfig
	// Scheduler is the scheduler_config.json to write (PNDM with skip_prk_steps, as
	// diffusers' single-file loader sets up, unless a diffusers folder gave one).
	Scheduler map[string]any
	// TokenizerDir is a folder with vocab.json and merges.txt; "" takes CLIP's BPE
	// files built into tomebench, with PadToken as the pad token.
	TokenizerDir string
	PadToken     string
	// ConfigFiles, when set (an architecture from a diffusers folder), are the config
	// files to copy byte for byte: "unet", "vae", "text_encoder" → path.
	ConfigFiles map[string]string
	// Source says where the architecture came from ("YAML file X", "diffusers folder X",
	// "inferred from the weights of X"); Notes what was inferred or assumed.
	Source string
	Notes  []string
	// Family is "SD 1.x" (CLIP ViT-L text encoder, convolutional projections, 768-wide
	// context) or "SD 2.x" (OpenCLIP text encoder, linear projections, 1024-wide
	// context, heads of 64 channels per level), as the source says or the weights show.
	Family string
	// PredictionUnknown is set when the prediction type could not be known (an SD 2.x
	// architecture inferred from weights alone: 512-base predicts epsilon, 768-v
	// v_prediction, with identical shapes); Load then requires Options.PredictionType.
	PredictionUnknown bool
}

// family names an SD generation from a UNet config and its text encoder: SD 2.x with
// linear projections, a 1024-wide context or an OpenCLIP text encoder.
func family(u *diffusers.UNetConfig, openCLIP bool) string {
	if openCLIP || u.UseLinearProjection || (len(u.CrossAttentionDim) > 0 && u.CrossAttentionDim[0] == 1024) {
		return "SD 2.x"
	}
	return "SD 1.x"
}

// sd1Text and sd2Text are the text encoders diffusers' single-file loader takes from
// the Hub: openai/clip-vit-large-patch14 and stabilityai/stable-diffusion-2's
// text_encoder (OpenCLIP ViT-H/14 with its last layer dropped: SD 2 uses the
// penultimate layer).
func sd1Text() *diffusers.CLIPTextConfig {
	c := diffusers.DefaultCLIPTextConfig()
	c.Architectures, c.ModelType = []string{"CLIPTextModel"}, "clip_text_model"
	c.HiddenSize, c.IntermediateSize, c.NumAttentionHeads, c.NumHiddenLayers, c.ProjectionDim = 768, 3072, 12, 12, 768
	c.HiddenAct = "quick_gelu"
	return &c
}

func sd2Text() *diffusers.CLIPTextConfig {
	c := diffusers.DefaultCLIPTextConfig()
	c.Architectures, c.ModelType = []string{"CLIPTextModel"}, "clip_text_model"
	c.HiddenSize, c.IntermediateSize, c.NumAttentionHeads, c.NumHiddenLayers, c.ProjectionDim = 1024, 4096, 16, 23, 512
	c.HiddenAct = "gelu"
	c.TorchDtype = "float32"
	return &c
}

// pndmScheduler is the scheduler config diffusers' download_from_original_stable_
// diffusion_ckpt builds (scheduler_type "pndm"): scaled_linear betas from the YAML's
// linear_start/linear_end, steps_offset 1, skip_prk_steps.
func pndmScheduler(betaStart, betaEnd float64, T int, prediction string) map[string]any {
	return map[string]any{
		"_class_name": "PNDMScheduler", "_diffusers_version": "0.19.3",
		"beta_start": betaStart, "beta_end": betaEnd, "beta_schedule": "scaled_linear",
		"num_train_timesteps": T, "steps_offset": 1, "clip_sample": false, "set_alpha_to_one": false,
		"skip_prk_steps": true, "prediction_type": prediction, "timestep_spacing": "leading", "trained_betas": nil,
	}
}

// FromDiffusers takes the architecture from a diffusers pipeline folder's configs
// (unet/, vae/, text_encoder/ config.json, scheduler/scheduler_config.json) and its
// tokenizer/; its weights are not read.
func FromDiffusers(dir string) (*Arch, error) {
	a := &Arch{Source: "configs of the diffusers folder " + dir, TokenizerDir: filepath.Join(dir, "tokenizer"), ConfigFiles: map[string]string{}}
	var err error
	if a.UNet, err = diffusers.ReadUNetConfig(filepath.Join(dir, "unet", "config.json")); err != nil {
		return nil, err
	}
	a.Family = family(a.UNet, false)
	if a.VAE, err = diffusers.ReadVAEConfig(filepath.Join(dir, "vae", "config.json")); err != nil {
		return nil, err
	}
	if a.Text, err = diffusers.ReadCLIPTextConfig(filepath.Join(dir, "text_encoder", "config.json")); err != nil {
		return nil, err
	}
	for _, c := range []string{"unet", "vae", "text_encoder"} {
		a.ConfigFiles[c] = filepath.Join(dir, c, "config.json")
	}
	sp := filepath.Join(dir, "scheduler", "scheduler_config.json")
	data, err := os.ReadFile(sp)
	if err != nil {
		return nil, &Error{Path: sp, Msg: "cannot read the scheduler config", Err: err}
	}
	if err := json.Unmarshal(data, &a.Scheduler); err != nil {
		return nil, &Error{Path: sp, Msg: "invalid JSON", Err: err}
	}
	for _, f := range []string{"vocab.json", "merges.txt"} {
		if _, err := os.Stat(filepath.Join(a.TokenizerDir, f)); err != nil {
			return nil, &Error{Path: filepath.Join(a.TokenizerDir, f), Msg: "tokenizer file missing"}
		}
	}
	return a, nil
}

// SetPredictionType overrides the scheduler's prediction_type ("epsilon" or
// "v_prediction"; SD 2.x 768 models are v_prediction).
func (a *Arch) SetPredictionType(p string) error {
	switch p {
	case "":
		return nil
	case "epsilon", "v_prediction":
		a.Scheduler["prediction_type"] = p
		return nil
	}
	return fmt.Errorf("checkpoint: prediction type %q: want epsilon or v_prediction", p)
}

// PredictionType returns the scheduler's prediction_type.
func (a *Arch) PredictionType() string {
	if p, ok := a.Scheduler["prediction_type"].(string); ok {
		return p
	}
	return "epsilon"
}

// Describe says in one line what the architecture is, for the user.
func (a *Arch) Describe() string {
	u := a.UNet
	f := a.Family
	if f == "" {
		f = family(u, false)
	}
	kind := f + "-like"
	return fmt.Sprintf("%s: UNet %v channels, %d layers per block, heads %v, context %v, linear projections %v, %d norm groups; "+
		"VAE %v channels, latent %d, scaling %v; text encoder hidden %d, %d layers, %d heads, %s; prediction %s (from %s)",
		kind, u.BlockOutChannels, u.LayersPerDownBlock()[0], u.HeadsPerBlock(), u.CrossAttentionDims()[0], u.UseLinearProjection,
		groups(u.NormNumGroups), a.VAE.BlockOutChannels, a.VAE.LatentChannels, a.VAE.ScalingFactor,
		a.Text.HiddenSize, a.Text.NumHiddenLayers, a.Text.NumAttentionHeads, a.Text.HiddenAct, a.PredictionType(), a.Source)
}

func groups(g *int) int {
	if g == nil {
		return 0
	}
	return *g
}

// note records something inferred or assumed.
func (a *Arch) note(format string, args ...any) {
	a.Notes = append(a.Notes, fmt.Sprintf(format, args...))
}

func hasAny(keys []string, prefix string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
