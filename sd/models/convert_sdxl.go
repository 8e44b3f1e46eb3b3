package models

import (
	"fmt"
	"path/filepath"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// SDXL pipeline folders (StableDiffusionXLPipeline) convert like SD 1.x/2.x folders
// with three differences:
//
//   - text_encoder_2 (CLIPTextModelWithProjection) and tokenizer_2 are converted and
//     copied too, and both text encoders output hidden_states.0 … hidden_states.<layers>
//     (SDXL conditions on the penultimate ones), text_encoder_2 also text_embeds;
//   - the UNet takes text_embeds and time_ids besides the usual inputs;
//   - in an fp16 conversion the VAE decoder stays fp32 when its config says force_upcast:
//     that is what StableDiffusionXLPipeline does at run time (upcast_vae() when the VAE
//     is float16 and force_upcast is set), because SDXL's VAE overflows in float16. In an
//     fp32 conversion force_upcast changes nothing.
//
// model_index.json then names OnnxStableDiffusionXLPipeline and keeps
// force_zeros_for_empty_prompt from the source.

// isSDXLPipeline reports whether a diffusers pipeline folder is an SDXL one: it has a
// text_encoder_2 (StableDiffusionXLPipeline and its img2img/inpaint siblings).
func isSDXLPipeline(p *diffusers.Pipeline) bool {
	_, ok := p.Index.Components["text_encoder_2"]
	return ok
}

// sdxlPartOptions returns the build options for component to (an ONNX folder name) of
// an SDXL pipeline.
func sdxlPartOptions(opt ConvertOptions, to string, vae *diffusers.VAEConfig) ConvertOptions {
	switch to {
	case "text_encoder", "text_encoder_2":
		opt.HiddenStates = true
	case "vae_decoder":
		if opt.Float16 && vae.ForceUpcast {
			opt.Float16, opt.Float32IO = false, false
		}
	}
	return opt
}

// sdxlModelIndex adds what an SDXL ONNX folder needs to onnxModelIndex's entries.
func sdxlModelIndex(mi map[string]any, p *diffusers.Pipeline) map[string]any {
	ort := []string{"diffusers", "OnnxRuntimeModel"}
	mi["_class_name"] = "OnnxStableDiffusionXLPipeline"
	mi["text_encoder_2"] = ort
	mi["tokenizer_2"] = []string{"transformers", "CLIPTokenizer"}
	fz := true // StableDiffusionXLPipeline.__init__'s default
	if raw, ok := p.Index.Extra["force_zeros_for_empty_prompt"]; ok {
		fz = string(raw) != "false"
	}
	mi["force_zeros_for_empty_prompt"] = fz
	return mi
}

// copySDXLTokenizer copies tokenizer_2.
func copySDXLTokenizer(p *diffusers.Pipeline, dir string) error {
	tok, err := p.TokenizerDir("tokenizer_2")
	if err != nil {
		return err
	}
	return copyDir(tok, filepath.Join(dir, "tokenizer_2"))
}

// checkSDXLPipeline refuses SDXL pipelines the conversion does not support, naming them:
// the refiner (StableDiffusionXLImg2ImgPipeline with requires_aesthetics_score, or no
// text_encoder), whose UNet takes 5 time ids (sizes, crop and an aesthetic score)
// instead of 6.
func checkSDXLPipeline(p *diffusers.Pipeline) error {
	_, hasText := p.Index.Components["text_encoder"]
	aesthetic := string(p.Index.Extra["requires_aesthetics_score"]) == "true"
	if !hasText || aesthetic {
		return fmt.Errorf("models: %s: an SDXL refiner (%s: text_encoder_2 only, or requires_aesthetics_score) is not supported; SDXL base pipelines (text_encoder and text_encoder_2) are", p.Dir, p.Index.ClassName)
	}
	return nil
}
