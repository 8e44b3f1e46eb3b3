package checkpoint

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/tomebench/tomebench/internal/safetensors"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// The LDM key prefixes of the three networks.
const (
	unetPrefix     = "model.diffusion_model."
	vaePrefix      = "first_stage_model."
	clipPrefix     = "cond_stage_model.transformer." // SD 1.x: transformers' CLIPTextModel
	openCLIPPrefix = "cond_stage_model.model."       // SD 2.x: OpenCLIP's text tower
)

// A Rename maps the LDM module at prefix ldm to the diffusers module at prefix diff;
// inner, when set, renames the module's own children (resnets, the VAE attention).
type Rename struct {
	LDM, Diffusers string
	Inner          []Rename
}

// unetResnet is ResBlock (LDM) → ResnetBlock2D (diffusers), from renew_resnet_paths.
var unetResnet = []Rename{
	{"in_layers.0.", "norm1.", nil}, {"in_layers.2.", "conv1.", nil},
	{"emb_layers.1.", "time_emb_proj.", nil},
	{"out_layers.0.", "norm2.", nil}, {"out_layers.3.", "conv2.", nil},
	{"skip_connection.", "conv_shortcut.", nil},
}

// vaeResnet is the VAE's ResnetBlock (renew_vae_resnet_paths): only the shortcut differs.
var vaeResnet = []Rename{{"nin_shortcut.", "conv_shortcut.", nil}}

// vaeAttention is AttnBlock → Attention (diffusers ≥ 0.18 names); q/k/v/proj_out are
// 1×1 convolutions in LDM, Linear layers in diffusers (same data, shape [C, C]).
var vaeAttention = []Rename{
	{"norm.", "group_norm.", nil}, {"q.", "to_q.", nil}, {"k.", "to_k.", nil},
	{"v.", "to_v.", nil}, {"proj_out.", "to_out.0.", nil},
}

// UNetTable returns the LDM → diffusers module renames of a UNet with cfg's shape
// (diffusers' unet_conversion_map_layer, with layers_per_block n and the level count
// taken from cfg instead of SD's 2 and 4):
//
//	time_embed.0 / .2                     time_embedding.linear_1 / linear_2
//	input_blocks.0.0                      conv_in
//	input_blocks.(n+1)i+j+1.0 / .1        down_blocks.i.resnets.j / attentions.j
//	input_blocks.(n+1)(i+1).0.op          down_blocks.i.downsamplers.0.conv
//	middle_block.0 / .1 / .2              mid_block.resnets.0 / attentions.0 / resnets.1
//	output_blocks.(n+1)i+j.0 / .1         up_blocks.i.resnets.j / attentions.j
//	output_blocks.(n+1)i+n.(2|1)          up_blocks.i.upsamplers.0 (2 when the block has attentions)
//	out.0 / out.2                         conv_norm_out / conv_out
//
// with resnets' inner names renamed by unetResnet; attentions keep theirs.
func UNetTable(cfg *diffusers.UNetConfig) []Rename {
	n := cfg.LayersPerDownBlock()[0]
	L := cfg.NumBlocks()
	t := []Rename{
		{"time_embed.0.", "time_embedding.linear_1.", nil}, {"time_embed.2.", "time_embedding.linear_2.", nil},
		{"input_blocks.0.0.", "conv_in.", nil}, {"out.0.", "conv_norm_out.", nil}, {"out.2.", "conv_out.", nil},
		{"middle_block.0.", "mid_block.resnets.0.", unetResnet}, {"middle_block.1.", "mid_block.attentions.0.", nil},
		{"middle_block.2.", "mid_block.resnets.1.", unetResnet},
	}
	for i := 0; i < L; i++ {
		for j := 0; j < n; j++ {
			in := "input_blocks." + strconv.Itoa((n+1)*i+j+1)
			d := fmt.Sprintf("down_blocks.%d.", i)
			t = append(t, Rename{in + ".0.", d + "resnets." + strconv.Itoa(j) + ".", unetResnet})
			if strings.HasPrefix(cfg.DownBlockTypes[i], "CrossAttn") {
				t = append(t, Rename{in + ".1.", d + "attentions." + strconv.Itoa(j) + ".", nil})
			}
		}
		if i < L-1 {
			t = append(t, Rename{fmt.Sprintf("input_blocks.%d.0.op.", (n+1)*(i+1)), fmt.Sprintf("down_blocks.%d.downsamplers.0.conv.", i), nil})
		}
		attn := strings.HasPrefix(cfg.UpBlockTypes[i], "CrossAttn")
		for j := 0; j <= n; j++ {
			out := "output_blocks." + strconv.Itoa((n+1)*i+j)
			u := fmt.Sprintf("up_blocks.%d.", i)
			t = append(t, Rename{out + ".0.", u + "resnets." + strconv.Itoa(j) + ".", unetResnet})
			if attn {
				t = append(t, Rename{out + ".1.", u + "attentions." + strconv.Itoa(j) + ".", nil})
			}
		}
		if i < L-1 {
			slot := 1
			if attn {
				slot = 2
			}
			t = append(t, Rename{fmt.Sprintf("output_blocks.%d.%d.", (n+1)*i+n, slot), fmt.Sprintf("up_blocks.%d.upsamplers.0.", i), nil})
		}
	}
	return t
}

// VAETable returns the LDM → diffusers renames of an AutoencoderKL with cfg's shape
// (diffusers' vae_conversion_map with L levels and n layers per block):
//
//	encoder.down.i.block.j / .downsample   encoder.down_blocks.i.resnets.j / .downsamplers.0
//	decoder.up.(L-1-i).block.j / .upsample decoder.up_blocks.i.resnets.j / .upsamplers.0 (reversed!)
//	{en,de}coder.mid.block_1 / block_2     mid_block.resnets.0 / resnets.1
//	{en,de}coder.mid.attn_1                mid_block.attentions.0 (vaeAttention inside)
//	{en,de}coder.norm_out                  conv_norm_out
//
// conv_in, conv_out, quant_conv and post_quant_conv keep their names.
func VAETable(cfg *diffusers.VAEConfig) []Rename {
	L, n := len(cfg.BlockOutChannels), cfg.LayersPerBlock
	var t []Rename
	for _, part := range []string{"encoder.", "decoder."} {
		t = append(t,
			Rename{part + "mid.block_1.", part + "mid_block.resnets.0.", vaeResnet},
			Rename{part + "mid.block_2.", part + "mid_block.resnets.1.", vaeResnet},
			Rename{part + "mid.attn_1.", part + "mid_block.attentions.0.", vaeAttention},
			Rename{part + "norm_out.", part + "conv_norm_out.", nil})
	}
	for i := 0; i < L; i++ {
		for j := 0; j < n; j++ {
			t = append(t, Rename{fmt.Sprintf("encoder.down.%d.block.%d.", i, j), fmt.Sprintf("encoder.down_blocks.%d.resnets.%d.", i, j), vaeResnet})
		}
		t = append(t, Rename{fmt.Sprintf("encoder.down.%d.downsample.", i), fmt.Sprintf("encoder.down_blocks.%d.downsamplers.0.", i), nil})
		for j := 0; j <= n; j++ {
			t = append(t, Rename{fmt.Sprintf("decoder.up.%d.block.%d.", L-1-i, j), fmt.Sprintf("decoder.up_blocks.%d.resnets.%d.", i, j), vaeResnet})
		}
		t = append(t, Rename{fmt.Sprintf("decoder.up.%d.upsample.", L-1-i), fmt.Sprintf("decoder.up_blocks.%d.upsamplers.0.", i), nil})
	}
	return t
}

// openCLIPTable is convert_open_clip_checkpoint's textenc_conversion_map and
// textenc_transformer_conversion_lst (keys under cond_stage_model.model.).
var openCLIPTable = []Rename{
	{"positional_embedding", "text_model.embeddings.position_embedding.weight", nil},
	{"token_embedding.weight", "text_model.embeddings.token_embedding.weight", nil},
	{"ln_final.", "text_model.final_layer_norm.", nil},
	{"transformer.resblocks.", "text_model.encoder.layers.", []Rename{
		{"ln_1.", "layer_norm1.", nil}, {"ln_2.", "layer_norm2.", nil},
		{"mlp.c_fc.", "mlp.fc1.", nil}, {"mlp.c_proj.", "mlp.fc2.", nil},
		{"attn.out_proj.", "self_attn.out_proj.", nil},
	}},
}

// apply renames key (without the network's prefix) by the longest matching entry of
// table, then, inside it, by the entry's inner table. ok is false when nothing matches.
func apply(table []Rename, key string) (string, bool) {
	best := -1
	for i, r := range table {
		if strings.HasPrefix(key, r.LDM) && (best < 0 || len(r.LDM) > len(table[best].LDM)) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	r := table[best]
	rest := key[len(r.LDM):]
	if r.Diffusers[len(r.Diffusers)-1] != '.' { // a whole-key rename
		if rest != "" {
			return "", false
		}
		return r.Diffusers, true
	}
	if r.Inner != nil && r.LDM == "transformer.resblocks." { // "k.<inner>"
		layer, tail, ok := strings.Cut(rest, ".")
		if !ok {
			return "", false
		}
		if in, ok := apply(r.Inner, tail); ok {
			return r.Diffusers + layer + "." + in, true
		}
		return "", false
	}
	if r.Inner != nil {
		if in, ok := apply(r.Inner, rest); ok {
			rest = in
		}
	}
	return r.Diffusers + rest, true
}

// A view is one network's state_dict under diffusers names, aliasing the checkpoint's
// bytes (slices for OpenCLIP's split q/k/v projections).
type view struct {
	name    string // "unet", "vae", "text_encoder"
	tensors map[string]safetensors.TensorInfo
	from    map[string]string // diffusers key → LDM key, for messages
}

// Tensor implements models.WeightSource.
func (v *view) Tensor(name string) (safetensors.TensorInfo, bool) {
	t, ok := v.tensors[name]
	return t, ok
}

// Dir names the source in sd/models' messages.
func (v *view) Dir() string { return v.name }

// Names returns the diffusers keys, sorted.
func (v *view) Names() []string {
	out := make([]string, 0, len(v.tensors))
	for k := range v.tensors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func newView(name string) *view {
	return &view{name: name, tensors: map[string]safetensors.TensorInfo{}, from: map[string]string{}}
}

func (v *view) put(diff, ldm string, t safetensors.TensorInfo) {
	v.tensors[diff] = t
	v.from[diff] = ldm
}
