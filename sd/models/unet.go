package models

import (
	"fmt"
	"math"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// UNet graph inputs and outputs, as diffusers' ONNX export names them.
const (
	UNetSample              = "sample"                // [batch, in_channels, height, width]
	UNetTimestep            = "timestep"              // [batch] float32 (or int64)
	UNetEncoderHiddenStates = "encoder_hidden_states" // [batch, sequence, cross_attention_dim]
	UNetOutSample           = "out_sample"            // [batch, out_channels, height, width]
)

// checkUNet refuses configs whose features the builder does not implement.
func checkUNet(cfg *diffusers.UNetConfig) error {
	bad := func(what string) error { return fmt.Errorf("models: UNet config: %s is not supported", what) }
	if IsSDXLUNet(cfg) {
		if err := checkTextTime(cfg); err != nil {
			return err
		}
	}
	switch {
	case cfg.ClassEmbedType != nil || cfg.NumClassEmbeds != nil:
		return bad("class embeddings")
	case cfg.AdditionEmbedType != nil && !IsSDXLUNet(cfg):
		return bad("addition_embed_type " + *cfg.AdditionEmbedType)
	case cfg.EncoderHidDim != nil || cfg.EncoderHidDimType != nil:
		return bad("encoder_hid_dim")
	case cfg.TimeCondProjDim != nil:
		return bad("time_cond_proj_dim")
	case cfg.TimeEmbeddingType != "positional":
		return bad("time_embedding_type " + cfg.TimeEmbeddingType)
	case cfg.TimeEmbeddingActFn != nil || cfg.TimestepPostAct != nil:
		return bad("time_embedding_act_fn / timestep_post_act")
	case cfg.ResnetTimeScaleShift != "default":
		return bad("resnet_time_scale_shift " + cfg.ResnetTimeScaleShift)
	case cfg.ResnetSkipTimeAct:
		return bad("resnet_skip_time_act")
	case cfg.DualCrossAttention:
		return bad("dual_cross_attention")
	case cfg.CrossAttentionNorm != nil:
		return bad("cross_attention_norm")
	case cfg.ActFn != "silu":
		return bad("act_fn " + cfg.ActFn)
	case cfg.NormNumGroups == nil:
		return bad("norm_num_groups null")
	case cfg.MidBlockType != nil && *cfg.MidBlockType != "UNetMidBlock2DCrossAttn":
		return bad("mid_block_type " + *cfg.MidBlockType)
	}
	for _, t := range cfg.DownBlockTypes {
		if t != "CrossAttnDownBlock2D" && t != "DownBlock2D" {
			return bad("down block " + t)
		}
	}
	for _, t := range cfg.UpBlockTypes {
		if t != "CrossAttnUpBlock2D" && t != "UpBlock2D" {
			return bad("up block " + t)
		}
	}
	return nil
}

// unet builds UNet2DConditionModel.forward into c (see unet_blocks.go for the blocks).
func (c *ctx) unet(cfg *diffusers.UNetConfig) {
	b := c.root
	H, W := dimOrDynamic(c.opt.Height), dimOrDynamic(c.opt.Width)
	cross := cfg.CrossAttentionDims()
	sample := c.floatInput(UNetSample, []int64{-1, int64(cfg.InChannels), H, W}, "batch", "", symbolic(H, "height"), symbolic(W, "width"))
	tsType := int32(onnx.Float)
	if c.opt.TimestepInt64 {
		tsType = onnx.Int64
	}
	c.g.AddInput(UNetTimestep, tsType, []int64{-1}, "batch")
	ehs := c.floatInput(UNetEncoderHiddenStates, []int64{-1, -1, int64(cross[0])}, "batch", "sequence")

	if cfg.CenterInputSample {
		sample = b.Sub(b.Mul(sample, c.scalar(b, 2)), c.scalar(b, 1))
	}
	emb := c.timeEmbedding(cfg, sample)
	if IsSDXLUNet(cfg) {
		emb = c.addTextTime(cfg, emb)
	}
	h := c.conv(b.Scope("conv_in"), "conv_in", sample, cfg.InChannels, cfg.BlockOutChannels[0], cfg.ConvInKernel, 1, (cfg.ConvInKernel-1)/2)
	res := c.downBlocks(cfg, h, emb, ehs)
	h = res[len(res)-1].v
	if cfg.MidBlockType != nil {
		h = c.midBlock(cfg, h, emb, ehs)
	}
	h = c.upBlocks(cfg, h, emb, ehs, res)
	ch := cfg.BlockOutChannels[0]
	h = c.groupNorm(b.Scope("conv_norm_out"), "conv_norm_out", h, ch, *cfg.NormNumGroups, float32(cfg.NormEps), 4)
	h = c.silu(b.Scope("conv_act"), h)
	h = c.conv(b.Scope("conv_out"), "conv_out", h, ch, cfg.OutChannels, cfg.ConvOutKernel, 1, (cfg.ConvOutKernel-1)/2)
	c.floatOutput(b, h, UNetOutSample, []int64{-1, int64(cfg.OutChannels), H, W}, "batch", "", symbolic(H, "height"), symbolic(W, "width"))
}

// timeEmbedding is Timesteps (sinusoidal, computed in float32 as torch does) followed
// by TimestepEmbedding (linear_1, SiLU, linear_2). A timestep of one element is
// broadcast to the batch, as UNet2DConditionModel.forward expands it.
func (c *ctx) timeEmbedding(cfg *diffusers.UNetConfig, sample string) string {
	b := c.root
	t := UNetTimestep
	if c.opt.TimestepInt64 {
		t = b.Cast(t, onnx.Float)
	}
	t = b.Expand(t, b.Slice(b.Shape(sample), []int64{0}, []int64{1}, []int64{0}))
	dim := cfg.BlockOutChannels[0]
	half := dim / 2
	freqs := make([]float32, half)
	logMax := float32(-math.Log(10000))
	for i := range freqs {
		e := logMax * float32(i)
		e /= float32(half) - float32(cfg.FreqShift)
		freqs[i] = float32(math.Exp(float64(e)))
	}
	tp := b.Scope("time_proj")
	arg := tp.Mul(tp.Unsqueeze(t, 1), tp.Floats([]int64{1, int64(half)}, freqs))
	sin, cos := tp.Unary("Sin", arg), tp.Unary("Cos", arg)
	var e string
	if cfg.FlipSinToCos {
		e = tp.Concat(-1, cos, sin)
	} else {
		e = tp.Concat(-1, sin, cos)
	}
	if dim%2 == 1 {
		e = tp.Op("Pad", []string{e, tp.Int64s(0, 0, 0, 1)})
	}
	e = c.fromFloat32(b, e)
	te := b.Scope("time_embedding")
	ted := cfg.TimeEmbedDim()
	e = c.linear(te.Scope("linear_1"), "time_embedding.linear_1", e, dim, ted, true)
	e = c.silu(te.Scope("act"), e)
	return c.linear(te.Scope("linear_2"), "time_embedding.linear_2", e, ted, ted, true)
}

func dimOrDynamic(n int) int64 {
	if n <= 0 {
		return -1
	}
	return int64(n)
}

func symbolic(d int64, name string) string {
	if d < 0 {
		return name
	}
	return ""
}
