package models

import (
	"fmt"
	"strconv"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// VAE decoder graph input and output, as diffusers' ONNX export names them.
const (
	VAELatentSample = "latent_sample" // [batch, latent_channels, height, width] (already / scaling_factor)
	VAESample       = "sample"        // [batch, out_channels, 8·height, 8·width]
)

func checkVAE(cfg *diffusers.VAEConfig) error {
	for _, t := range cfg.UpBlockTypes {
		if t != "UpDecoderBlock2D" {
			return fmt.Errorf("models: VAE config: up block %s is not supported", t)
		}
	}
	if cfg.ActFn != "silu" {
		return fmt.Errorf("models: VAE config: act_fn %q is not supported", cfg.ActFn)
	}
	return nil
}

// vaeDecoder builds AutoencoderKL.decode: post_quant_conv, then Decoder (conv_in, mid
// block with one single-head attention, UpDecoderBlock2Ds, conv_norm_out, SiLU,
// conv_out). Resnets here have no time embedding and eps 1e-6.
func (c *ctx) vaeDecoder(cfg *diffusers.VAEConfig) {
	b := c.root
	H, W := dimOrDynamic(c.opt.Height), dimOrDynamic(c.opt.Width)
	lc := cfg.LatentChannels
	z := c.floatInput(VAELatentSample, []int64{-1, int64(lc), H, W}, "batch", "", symbolic(H, "height"), symbolic(W, "width"))
	z = c.conv(b.Scope("post_quant_conv"), "post_quant_conv", z, lc, lc, 1, 1, 0)
	d := b.Scope("decoder")
	n := len(cfg.BlockOutChannels)
	top := cfg.BlockOutChannels[n-1]
	g := cfg.NormNumGroups
	h := c.conv(d.Scope("conv_in"), "decoder.conv_in", z, lc, top, 3, 1, 1)

	mid := d.Scope("mid_block")
	rs := resnetSpec{in: top, out: top, groups: g, eps: 1e-6, outputScale: 1}
	h = c.resnet(mid.Scope("resnets.0"), "decoder.mid_block.resnets.0", h, "", rs)
	h = c.vaeAttention(mid.Scope("attentions.0"), "decoder.mid_block.attentions.0", h, top, g)
	h = c.resnet(mid.Scope("resnets.1"), "decoder.mid_block.resnets.1", h, "", rs)

	prev := top
	for i := 0; i < n; i++ {
		out := cfg.BlockOutChannels[n-1-i]
		key := "decoder.up_blocks." + strconv.Itoa(i)
		ub := d.Scope("up_blocks." + strconv.Itoa(i))
		for l := 0; l <= cfg.LayersPerBlock; l++ {
			in := out
			if l == 0 {
				in = prev
			}
			name := "resnets." + strconv.Itoa(l)
			h = c.resnet(ub.Scope(name), key+"."+name, h, "", resnetSpec{in: in, out: out, groups: g, eps: 1e-6, outputScale: 1})
		}
		if i < n-1 {
			h = c.upsample(ub.Scope("upsamplers.0"), key+".upsamplers.0", h, "", out)
		}
		prev = out
	}
	ch := cfg.BlockOutChannels[0]
	h = c.groupNorm(d.Scope("conv_norm_out"), "decoder.conv_norm_out", h, ch, g, 1e-6, 4)
	h = c.silu(d.Scope("conv_act"), h)
	h = c.conv(d.Scope("conv_out"), "decoder.conv_out", h, ch, cfg.OutChannels, 3, 1, 1)
	up := int64(cfg.Downscale())
	oh, ow := H, W
	if H > 0 {
		oh = H * up
	}
	if W > 0 {
		ow = W * up
	}
	c.floatOutput(b, h, VAESample, []int64{-1, int64(cfg.OutChannels), oh, ow}, "batch", "", symbolic(oh, "out_height"), symbolic(ow, "out_width"))
}

// vaeAttention is the decoder mid block's Attention (diffusers ≥ 0.18 names; the older
// query/key/value/proj_attn names are accepted): GroupNorm, one head over all channels,
// softmax in float32 (upcast_softmax), to_out.0, residual.
func (c *ctx) vaeAttention(b *onnx.Builder, key, x string, C, groups int) string {
	C64 := int64(C)
	n := c.groupNorm(b.Scope("group_norm"), key+".group_norm", x, C, groups, 1e-6, 4)
	t := b.Transpose(b.Reshape(n, 0, C64, -1), 0, 2, 1) // [B, N, C]
	q := c.linear(b.Scope("to_q"), c.vaeKey(key, "to_q", "query"), t, C, C, true)
	k := c.linear(b.Scope("to_k"), c.vaeKey(key, "to_k", "key"), t, C, C, true)
	v := c.linear(b.Scope("to_v"), c.vaeKey(key, "to_v", "value"), t, C, C, true)
	o := c.attention(b, q, k, v, 1, C, true, false)
	o = c.linear(b.Scope("to_out.0"), c.vaeKey(key, "to_out.0", "proj_attn"), o, C, C, true)
	o = b.ReshapeTo(b.Transpose(o, 0, 2, 1), b.Shape(x))
	return b.Add(o, x)
}

// vaeKey returns key.name, or key.old when the weights use the pre-0.18 attention names.
func (c *ctx) vaeKey(key, name, old string) string {
	if c.src != nil {
		if _, ok := c.src.Tensor(key + "." + name + ".weight"); !ok {
			if _, ok := c.src.Tensor(key + "." + old + ".weight"); ok {
				return key + "." + old
			}
		}
	}
	return key + "." + name
}

// vaeEncoder declares (and lays out as a graph) AutoencoderKL's encoder and quant_conv:
// conv_in, DownEncoderBlock2Ds (stride-2 convolutions with padding 0), mid block,
// conv_norm_out, SiLU, conv_out to 2×latent_channels, quant_conv. The decoder graph does
// not need it; Synth uses it to write a complete AutoencoderKL state_dict.
func (c *ctx) vaeEncoder(cfg *diffusers.VAEConfig) {
	c.g.AddInput("image", c.opt.elem(), []int64{-1, int64(cfg.InChannels), -1, -1}, "batch", "", "height", "width")
	c.encodeImage(cfg, "image")
}

// encodeImage is vaeEncoder's graph on the image x; it returns quant_conv's output, the
// posterior's moments [B, 2×latent_channels, h, w] (mean, then logvar, unclamped).
func (c *ctx) encodeImage(cfg *diffusers.VAEConfig, x string) string {
	b := c.root
	e := b.Scope("encoder")
	n := len(cfg.BlockOutChannels)
	g := cfg.NormNumGroups
	h := c.conv(e.Scope("conv_in"), "encoder.conv_in", x, cfg.InChannels, cfg.BlockOutChannels[0], 3, 1, 1)
	prev := cfg.BlockOutChannels[0]
	for i := 0; i < n; i++ {
		out := cfg.BlockOutChannels[i]
		key := "encoder.down_blocks." + strconv.Itoa(i)
		db := e.Scope("down_blocks." + strconv.Itoa(i))
		for l := 0; l < cfg.LayersPerBlock; l++ {
			in := out
			if l == 0 {
				in = prev
			}
			name := "resnets." + strconv.Itoa(l)
			h = c.resnet(db.Scope(name), key+"."+name, h, "", resnetSpec{in: in, out: out, groups: g, eps: 1e-6, outputScale: 1})
		}
		if i < n-1 {
			h = c.downsample(db.Scope("downsamplers.0"), key+".downsamplers.0", h, out, 0)
		}
		prev = out
	}
	top := cfg.BlockOutChannels[n-1]
	mid := e.Scope("mid_block")
	rs := resnetSpec{in: top, out: top, groups: g, eps: 1e-6, outputScale: 1}
	h = c.resnet(mid.Scope("resnets.0"), "encoder.mid_block.resnets.0", h, "", rs)
	h = c.vaeAttention(mid.Scope("attentions.0"), "encoder.mid_block.attentions.0", h, top, g)
	h = c.resnet(mid.Scope("resnets.1"), "encoder.mid_block.resnets.1", h, "", rs)
	h = c.groupNorm(e.Scope("conv_norm_out"), "encoder.conv_norm_out", h, top, g, 1e-6, 4)
	h = c.silu(e.Scope("conv_act"), h)
	z := 2 * cfg.LatentChannels
	h = c.conv(e.Scope("conv_out"), "encoder.conv_out", h, top, z, 3, 1, 1)
	return c.conv(b.Scope("quant_conv"), "quant_conv", h, z, z, 1, 1, 0)
}
