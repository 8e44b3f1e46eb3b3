package checkpoint

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tomebench/tomebench/internal/safetensors"
	"github.com/tomebench/tomebench/sd/models"
)

// Networks are a checkpoint's three networks as diffusers state_dicts (views of the
// checkpoint's bytes), each usable as a models.WeightSource.
type Networks struct {
	UNet, VAE, Text *view
}

// ignoredKeys are LDM keys that belong to no network diffusers builds: training
// schedule buffers, EMA copies and OpenCLIP parts SD does not use.
func ignored(k string) bool {
	if strings.HasPrefix(k, "model_ema.") || strings.HasPrefix(k, "cond_stage_model.model.visual.") {
		return true
	}
	switch k {
	case "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
		"log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
		"posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
		"logvar", "model_ema.decay", "model_ema.num_updates",
		openCLIPPrefix + "text_projection", openCLIPPrefix + "logit_scale", openCLIPPrefix + "attn_mask",
		clipPrefix + "text_model.embeddings.position_ids", clipPrefix + "embeddings.position_ids":
		return true
	}
	return false
}

// Split renames f's tensors into the three networks of arch and checks every one of
// them against the shapes arch needs: a missing tensor, an unexpected one (a key under
// a network's prefix that the mapping does not place) or a shape that differs is an
// *Error naming the file, the keys (LDM and diffusers names) and the architecture's
// source. SDXL and other foreign layouts are recognised and named.
func Split(f *File, arch *Arch) (*Networks, error) {
	if err := checkFamily(f); err != nil {
		return nil, err
	}
	nw := &Networks{UNet: newView("unet"), VAE: newView("vae"), Text: newView("text_encoder")}
	ut, vt := UNetTable(arch.UNet), VAETable(arch.VAE)
	var unexpected []string
	for _, k := range f.Keys() {
		t, _ := f.Tensor(k)
		switch {
		case ignored(k):
		case strings.HasPrefix(k, unetPrefix):
			d, ok := apply(ut, k[len(unetPrefix):])
			if !ok {
				unexpected = append(unexpected, k)
				continue
			}
			nw.UNet.put(d, k, t)
		case strings.HasPrefix(k, vaePrefix):
			rest := k[len(vaePrefix):]
			d, ok := rest, true
			if !isPlainVAEKey(rest) {
				d, ok = apply(vt, rest)
			}
			if !ok {
				unexpected = append(unexpected, k)
				continue
			}
			if strings.Contains(d, "mid_block.attentions.0.") && len(t.Shape) == 4 && t.Shape[2] == 1 && t.Shape[3] == 1 {
				t.Shape = t.Shape[:2] // 1×1 conv → Linear, same data (diffusers' conv_attn_to_linear)
			}
			nw.VAE.put(d, k, t)
		case strings.HasPrefix(k, clipPrefix):
			d := k[len(clipPrefix):]
			if !strings.HasPrefix(d, "text_model.") {
				d = "text_model." + d // transformers < 4.x saved CLIPTextModel without text_model.
			}
			nw.Text.put(d, k, t)
		case strings.HasPrefix(k, openCLIPPrefix):
			if !openCLIP(nw.Text, arch, k, t) {
				unexpected = append(unexpected, k)
			}
		default:
			unexpected = append(unexpected, k)
		}
	}
	var problems []string
	if len(unexpected) > 0 {
		problems = append(problems, fmt.Sprintf("%d tensors that %s has no place for (first: %s)", len(unexpected), arch.Source, strings.Join(unexpected[:min(3, len(unexpected))], ", ")))
	}
	for _, c := range []struct {
		v   *view
		cfg models.Config
	}{{nw.UNet, arch.UNet}, {nw.VAE, arch.VAE}, {nw.Text, arch.Text}} {
		ps, err := models.SynthParams(c.cfg)
		if err != nil {
			return nil, &Error{Path: f.Path, Msg: "architecture " + arch.Source, Err: err}
		}
		problems = append(problems, compare(c.v, ps, arch.Source)...)
	}
	if len(problems) > 0 {
		more := ""
		if len(problems) > 4 {
			more = fmt.Sprintf("; and %d more problems", len(problems)-4)
			problems = problems[:4]
		}
		return nil, &Error{Path: f.Path, Msg: "the weights do not match the architecture (" + arch.Source + "): " + strings.Join(problems, "; ") + more}
	}
	return nw, nil
}

// compare lists the differences between a network's tensors and the parameters its
// config declares.
func compare(v *view, ps []models.Param, source string) []string {
	var out []string
	want := map[string]bool{}
	for _, p := range ps {
		if p.Init == models.InitPositionIDs {
			continue
		}
		want[p.Name] = true
		t, ok := v.tensors[p.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: %s (shape %v) is missing", v.name, p.Name, p.Shape))
		case !slices.Equal(t.Shape, p.Shape):
			out = append(out, fmt.Sprintf("%s: %s (diffusers %s) has shape %v, the architecture needs %v", v.name, v.from[p.Name], p.Name, t.Shape, p.Shape))
		case !t.DType.IsFloat():
			out = append(out, fmt.Sprintf("%s: %s has element type %s", v.name, v.from[p.Name], t.DType))
		}
	}
	for _, k := range v.Names() {
		if !want[k] {
			out = append(out, fmt.Sprintf("%s: %s (diffusers %s) is not part of the architecture", v.name, v.from[k], k))
		}
	}
	return out
}

// isPlainVAEKey reports the VAE keys that keep their names.
func isPlainVAEKey(k string) bool {
	for _, p := range []string{"quant_conv.", "post_quant_conv.", "encoder.conv_in.", "encoder.conv_out.", "decoder.conv_in.", "decoder.conv_out."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// openCLIP places one OpenCLIP text-tower tensor (convert_open_clip_checkpoint):
// in_proj_weight/bias split into q, k, v rows; layers at or beyond the config's count
// dropped (SD 2 uses the penultimate layer). It reports false for a key it cannot place.
func openCLIP(v *view, arch *Arch, k string, t safetensors.TensorInfo) bool {
	rest := k[len(openCLIPPrefix):]
	if layer, tail, ok := strings.Cut(strings.TrimPrefix(rest, "transformer.resblocks."), "."); ok && strings.HasPrefix(rest, "transformer.resblocks.") {
		var li int
		if _, err := fmt.Sscan(layer, &li); err != nil {
			return false
		}
		if li >= arch.Text.NumHiddenLayers {
			return true // dropped, as diffusers drops resblocks.23
		}
		base := "text_model.encoder.layers." + layer + ".self_attn."
		if tail == "attn.in_proj_weight" || tail == "attn.in_proj_bias" {
			if len(t.Shape) == 0 || t.Shape[0]%3 != 0 {
				return false
			}
			d := t.Shape[0] / 3
			row := len(t.Bytes) / t.Shape[0]
			suffix := "weight"
			if strings.HasSuffix(tail, "bias") {
				suffix = "bias"
			}
			for i, name := range []string{"q_proj.", "k_proj.", "v_proj."} {
				part := t
				part.Shape = append([]int{d}, t.Shape[1:]...)
				part.Bytes = t.Bytes[i*d*row : (i+1)*d*row]
				v.put(base+name+suffix, k, part)
			}
			return true
		}
	}
	d, ok := apply(openCLIPTable, rest)
	if !ok {
		return false
	}
	v.put(d, k, t)
	return true
}

// checkFamily recognises checkpoints that are not SD 1.x/2.x.
func checkFamily(f *File) error {
	keys := f.Keys()
	switch {
	case hasAny(keys, "conditioner.embedders."):
		return &Error{Path: f.Path, Msg: "an SDXL checkpoint (conditioner.embedders.* keys); only SD 1.x and 2.x single files are supported"}
	case hasAny(keys, unetPrefix+"label_emb."):
		return &Error{Path: f.Path, Msg: "a class-conditioned UNet (model.diffusion_model.label_emb.*, SDXL or unCLIP); only SD 1.x and 2.x are supported"}
	case !hasAny(keys, unetPrefix):
		var seen []string
		for _, k := range keys {
			p, _, _ := strings.Cut(k, ".")
			if !slices.Contains(seen, p) {
				seen = append(seen, p)
			}
		}
		return &Error{Path: f.Path, Msg: fmt.Sprintf("no model.diffusion_model.* tensors: not an original-layout SD checkpoint (top-level names: %s)", strings.Join(seen[:min(6, len(seen))], ", "))}
	case !hasAny(keys, vaePrefix):
		return &Error{Path: f.Path, Msg: "no first_stage_model.* (VAE) tensors: the checkpoint is not a whole SD pipeline"}
	}
	return nil
}
