package models

import (
	"strconv"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// skip is one entry of down_block_res_samples: a value and its channel count.
type skip struct {
	v  string
	ch int
}

// transformerFor returns the Transformer2DModel settings of down block i (the mid block
// uses the last block's values; up block i the reversed lists).
func transformerFor(cfg *diffusers.UNetConfig, i, channels int, reversed bool) transformerSpec {
	heads, cross, layers := cfg.HeadsPerBlock(), cfg.CrossAttentionDims(), cfg.TransformerLayers()
	only := cfg.OnlyCrossAttentionPerBlock()
	if reversed {
		i = len(heads) - 1 - i
	}
	return transformerSpec{channels: channels, heads: heads[i], layers: layers[i], crossDim: cross[i],
		groups: *cfg.NormNumGroups, linearProj: cfg.UseLinearProjection, onlyCross: only[i], upcast: cfg.UpcastAttention}
}

func (c *ctx) resnetSpec(cfg *diffusers.UNetConfig, in, out int, scale float64) resnetSpec {
	return resnetSpec{in: in, out: out, groups: *cfg.NormNumGroups, eps: float32(cfg.NormEps),
		tembChans: cfg.TimeEmbedDim(), outputScale: float32(scale)}
}

// downBlocks runs CrossAttnDownBlock2D / DownBlock2D and returns down_block_res_samples
// (conv_in's output first).
func (c *ctx) downBlocks(cfg *diffusers.UNetConfig, h, emb, ehs string) []skip {
	res := []skip{{h, cfg.BlockOutChannels[0]}}
	layers := cfg.LayersPerDownBlock()
	in := cfg.BlockOutChannels[0]
	for i, typ := range cfg.DownBlockTypes {
		out := cfg.BlockOutChannels[i]
		key := "down_blocks." + strconv.Itoa(i)
		b := c.root.Scope(key)
		for l := 0; l < layers[i]; l++ {
			rin := out
			if l == 0 {
				rin = in
			}
			n := "resnets." + strconv.Itoa(l)
			h = c.resnet(b.Scope(n), key+"."+n, h, emb, c.resnetSpec(cfg, rin, out, cfg.ResnetOutScaleFactor))
			if typ == "CrossAttnDownBlock2D" {
				n = "attentions." + strconv.Itoa(l)
				h = c.transformer2D(b.Scope(n), key+"."+n, h, ehs, transformerFor(cfg, i, out, false))
			}
			res = append(res, skip{h, out})
		}
		if i < len(cfg.DownBlockTypes)-1 {
			h = c.downsample(b.Scope("downsamplers.0"), key+".downsamplers.0", h, out, cfg.DownsamplePadding)
			res = append(res, skip{h, out})
		}
		in = out
	}
	return res
}

// midBlock is UNetMidBlock2DCrossAttn: resnet, then (attention, resnet) once.
func (c *ctx) midBlock(cfg *diffusers.UNetConfig, h, emb, ehs string) string {
	ch := cfg.BlockOutChannels[len(cfg.BlockOutChannels)-1]
	b := c.root.Scope("mid_block")
	spec := c.resnetSpec(cfg, ch, ch, cfg.MidBlockScaleFactor)
	h = c.resnet(b.Scope("resnets.0"), "mid_block.resnets.0", h, emb, spec)
	h = c.transformer2D(b.Scope("attentions.0"), "mid_block.attentions.0", h, ehs, transformerFor(cfg, len(cfg.BlockOutChannels)-1, ch, false))
	return c.resnet(b.Scope("resnets.1"), "mid_block.resnets.1", h, emb, spec)
}

// upBlocks runs UpBlock2D / CrossAttnUpBlock2D: each resnet takes the concatenation of
// the running value and the last unused skip; all but the last block upsample. When
// the latent size is dynamic, or not a multiple of 2^(number of upsamplers), the
// upsampled size is taken from the next skip, as diffusers forwards upsample_size.
func (c *ctx) upBlocks(cfg *diffusers.UNetConfig, h, emb, ehs string, res []skip) string {
	n := len(cfg.BlockOutChannels)
	rev := make([]int, n)
	for i := range rev {
		rev[i] = cfg.BlockOutChannels[n-1-i]
	}
	layers := cfg.LayersPerDownBlock()
	factor := 1 << (n - 1)
	forwardSize := c.opt.Height <= 0 || c.opt.Width <= 0 || c.opt.Height%factor != 0 || c.opt.Width%factor != 0
	prevOut := rev[0]
	for i, typ := range cfg.UpBlockTypes {
		out := rev[i]
		key := "up_blocks." + strconv.Itoa(i)
		b := c.root.Scope(key)
		nl := layers[n-1-i] + 1
		for l := 0; l < nl; l++ {
			s := res[len(res)-1]
			res = res[:len(res)-1]
			rin := out
			if l == 0 {
				rin = prevOut
			}
			h = b.Concat(1, h, s.v)
			name := "resnets." + strconv.Itoa(l)
			h = c.resnet(b.Scope(name), key+"."+name, h, emb, c.resnetSpec(cfg, rin+s.ch, out, cfg.ResnetOutScaleFactor))
			if typ == "CrossAttnUpBlock2D" {
				name = "attentions." + strconv.Itoa(l)
				h = c.transformer2D(b.Scope(name), key+"."+name, h, ehs, transformerFor(cfg, i, out, true))
			}
		}
		if i < n-1 {
			sizeOf := ""
			if forwardSize {
				sizeOf = res[len(res)-1].v
			}
			h = c.upsample(b.Scope("upsamplers.0"), key+".upsamplers.0", h, sizeOf, out)
		}
		prevOut = out
	}
	return h
}
