package checkpoint

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// node is a decoded YAML mapping with typed getters that record the first problem.
type node struct {
	path string
	m    map[string]any
	err  *error
	file string
}

func (n node) sub(key string) node {
	out := node{path: n.path + "." + key, err: n.err, file: n.file}
	if v, ok := n.m[key].(map[string]any); ok {
		out.m = v
	} else if *n.err == nil {
		*n.err = &Error{Path: n.file, Msg: fmt.Sprintf("%s: missing or not a mapping (want the v1-inference.yaml structure)", out.path)}
	}
	return out
}

func (n node) has(key string) bool { _, ok := n.m[key]; return ok }

func (n node) num(key string, def float64) float64 {
	switch v := n.m[key].(type) {
	case int:
		return float64(v)
	case float64:
		return v
	case nil:
		return def
	}
	if *n.err == nil {
		*n.err = &Error{Path: n.file, Msg: fmt.Sprintf("%s.%s: want a number, got %v", n.path, key, n.m[key])}
	}
	return def
}

func (n node) integer(key string, def int) int { return int(n.num(key, float64(def))) }

func (n node) ints(key string) []int {
	switch v := n.m[key].(type) {
	case []any:
		out := make([]int, len(v))
		for i, x := range v {
			xi, ok := x.(int)
			if !ok && *n.err == nil {
				*n.err = &Error{Path: n.file, Msg: fmt.Sprintf("%s.%s[%d]: want an integer, got %v", n.path, key, i, x)}
			}
			out[i] = xi
		}
		return out
	case int:
		return []int{v}
	case nil:
		return nil
	}
	if *n.err == nil {
		*n.err = &Error{Path: n.file, Msg: fmt.Sprintf("%s.%s: want a list of integers, got %v", n.path, key, n.m[key])}
	}
	return nil
}

func (n node) str(key string) string { s, _ := n.m[key].(string); return s }

func (n node) boolean(key string) bool { b, _ := n.m[key].(bool); return b }

// FromYAML reads the architecture from an LDM inference config (the structure of
// CompVis' v1-inference.yaml and Stability's v2-inference(-v).yaml), converting it as
// diffusers v0.19.3's create_unet_diffusers_config and create_vae_diffusers_config do:
//
//	block_out_channels  model_channels × channel_mult
//	down/up block types CrossAttn… at the resolutions in attention_resolutions
//	heads               num_heads, or with use_linear_in_transformer and num_head_channels:
//	                    model_channels / num_head_channels × channel_mult (SD 2.x)
//	layers_per_block    num_res_blocks; transformer_layers_per_block transformer_depth
//	cross_attention_dim context_dim; sample_size model.params.image_size (latent side)
//	VAE                 ch × ch_mult, z_channels, num_res_blocks, scale_factor
//	scheduler           PNDM (skip_prk_steps), scaled_linear linear_start..linear_end,
//	                    prediction "v_prediction" when parameterization is "v"
//	text encoder        FrozenCLIPEmbedder → CLIP ViT-L/14 text (SD 1.x);
//	                    FrozenOpenCLIPEmbedder → OpenCLIP ViT-H/14 text, 23 layers (SD 2.x)
//
// What the YAML cannot say is assumed as LDM assumes it: 32 GroupNorm groups, eps 1e-5.
func FromYAML(path string) (*Arch, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Path: path, Msg: "cannot read the original config", Err: err}
	}
	var root map[string]any
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &Error{Path: path, Msg: "not YAML", Err: err}
	}
	var first error
	top := node{path: "", m: root, err: &first, file: path}
	mp := top.sub("model").sub("params")
	up := mp.sub("unet_config").sub("params")
	fp := mp.sub("first_stage_config").sub("params")
	dd := fp.sub("ddconfig")
	cs := mp.sub("cond_stage_config")
	if first != nil {
		return nil, first
	}
	a := &Arch{Source: "LDM config " + path, PadToken: "<|endoftext|>"}

	u := diffusers.DefaultUNetConfig()
	u.ClassName, u.DiffusersVersion = "UNet2DConditionModel", "0.19.3"
	mc := up.integer("model_channels", 320)
	mult := up.ints("channel_mult")
	attnRes := up.ints("attention_resolutions")
	u.BlockOutChannels = nil
	for _, m := range mult {
		u.BlockOutChannels = append(u.BlockOutChannels, mc*m)
	}
	contains := func(l []int, v int) bool {
		for _, x := range l {
			if x == v {
				return true
			}
		}
		return false
	}
	u.DownBlockTypes, u.UpBlockTypes = nil, nil
	res := 1
	for i := range mult {
		t := "DownBlock2D"
		if contains(attnRes, res) {
			t = "CrossAttnDownBlock2D"
		}
		u.DownBlockTypes = append(u.DownBlockTypes, t)
		if i != len(mult)-1 {
			res *= 2
		}
	}
	for range mult {
		t := "UpBlock2D"
		if contains(attnRes, res) {
			t = "CrossAttnUpBlock2D"
		}
		u.UpBlockTypes = append(u.UpBlockTypes, t)
		res /= 2
	}
	u.InChannels = up.integer("in_channels", 4)
	u.OutChannels = up.integer("out_channels", 4)
	u.LayersPerBlock = diffusers.IntList{up.integer("num_res_blocks", 2)}
	u.CrossAttentionDim = diffusers.IntList{up.integer("context_dim", 768)}
	if d := up.ints("transformer_depth"); d != nil {
		u.TransformerLayersPerBlock = d
	}
	u.UseLinearProjection = up.boolean("use_linear_in_transformer")
	switch {
	case up.has("num_heads") && up.integer("num_heads", -1) > 0:
		u.AttentionHeadDim = diffusers.IntList{up.integer("num_heads", 8)}
	case u.UseLinearProjection && up.has("num_head_channels"):
		hm := mc / up.integer("num_head_channels", 64)
		u.AttentionHeadDim = nil
		for _, m := range mult {
			u.AttentionHeadDim = append(u.AttentionHeadDim, hm*m)
		}
	default:
		a.note("the YAML gives no num_heads; diffusers' default of 8 heads is used")
	}
	if up.has("num_classes") {
		return nil, &Error{Path: path, Msg: "unet_config has num_classes (class-conditional or SDXL-style model); only SD 1.x/2.x text-to-image UNets are supported"}
	}
	u.SampleSize = diffusers.IntList{mp.integer("image_size", 64)}
	a.UNet = &u

	v := diffusers.DefaultVAEConfig()
	v.ClassName, v.DiffusersVersion = "AutoencoderKL", "0.19.3"
	ch := dd.integer("ch", 128)
	v.BlockOutChannels = nil
	for _, m := range dd.ints("ch_mult") {
		v.BlockOutChannels = append(v.BlockOutChannels, ch*m)
	}
	n := len(v.BlockOutChannels)
	v.DownBlockTypes, v.UpBlockTypes = make([]string, n), make([]string, n)
	for i := range n {
		v.DownBlockTypes[i], v.UpBlockTypes[i] = "DownEncoderBlock2D", "UpDecoderBlock2D"
	}
	v.InChannels = dd.integer("in_channels", 3)
	v.OutChannels = dd.integer("out_ch", 3)
	v.LatentChannels = dd.integer("z_channels", 4)
	v.LayersPerBlock = dd.integer("num_res_blocks", 2)
	v.ScalingFactor = mp.num("scale_factor", 0.18215)
	v.SampleSize = diffusers.IntList{u.SampleSize[0] * (1 << max(n-1, 0))}
	a.VAE = &v

	switch target := cs.str("target"); {
	case strings.HasSuffix(target, "FrozenOpenCLIPEmbedder"):
		a.Text, a.PadToken, a.Family = sd2Text(), "!", "SD 2.x"
		a.note("text encoder: OpenCLIP ViT-H/14 (%s), 23 of its 24 layers as diffusers loads it", target)
	case strings.HasSuffix(target, "FrozenCLIPEmbedder"):
		a.Text, a.Family = sd1Text(), family(&u, false)
		a.note("text encoder: CLIP ViT-L/14 text model (%s)", target)
	default:
		return nil, &Error{Path: path, Msg: fmt.Sprintf("cond_stage_config target %q: want FrozenCLIPEmbedder (SD 1.x) or FrozenOpenCLIPEmbedder (SD 2.x)", target)}
	}
	pred := "epsilon"
	if mp.str("parameterization") == "v" {
		pred = "v_prediction"
	}
	a.Scheduler = pndmScheduler(mp.num("linear_start", 0.00085), mp.num("linear_end", 0.012), mp.integer("timesteps", 1000), pred)
	a.note("GroupNorm groups: 32 (an LDM YAML cannot state them)")
	if first != nil {
		return nil, first
	}
	for _, err := range []error{u.Validate(), v.Validate(), a.Text.Validate()} {
		if err != nil {
			return nil, &Error{Path: path, Msg: "the architecture it describes is invalid", Err: err}
		}
	}
	return a, nil
}
