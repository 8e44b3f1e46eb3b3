package models

import (
	"fmt"
	"math"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// SDXL's UNet (addition_embed_type "text_time") takes two more inputs, named as
// optimum's SDXL export and torch.onnx.export of added_cond_kwargs name them.
const (
	UNetTextEmbeds = "text_embeds" // [batch, projection_dim]: text_encoder_2's pooled, projected output
	UNetTimeIDs    = "time_ids"    // [batch, 6] float32: original size, crop top-left, target size (h, w each)
)

// IsSDXLUNet reports whether cfg is an SDXL-style UNet: one conditioned on pooled text
// embeddings and size/crop ids (addition_embed_type "text_time").
func IsSDXLUNet(cfg *diffusers.UNetConfig) bool {
	return cfg.AdditionEmbedType != nil && *cfg.AdditionEmbedType == "text_time"
}

// checkTextTime refuses text_time configs whose sizes do not add up, as
// UNet2DConditionModel.__init__ and the SDXL pipeline's _get_add_time_ids would.
func checkTextTime(cfg *diffusers.UNetConfig) error {
	if cfg.AdditionTimeEmbedDim == nil || *cfg.AdditionTimeEmbedDim <= 0 {
		return fmt.Errorf("models: UNet config: addition_embed_type text_time needs addition_time_embed_dim")
	}
	if cfg.ProjectionClassEmbeddingsInputDim == nil || *cfg.ProjectionClassEmbeddingsInputDim <= 6**cfg.AdditionTimeEmbedDim {
		return fmt.Errorf("models: UNet config: addition_embed_type text_time needs projection_class_embeddings_input_dim > 6 × addition_time_embed_dim (%d)", 6**cfg.AdditionTimeEmbedDim)
	}
	return nil
}

// sdxlTextEmbedDim is the width of the text_embeds input: projection_class_embeddings_input_dim
// less the six time-id sinusoids.
func sdxlTextEmbedDim(cfg *diffusers.UNetConfig) int {
	return *cfg.ProjectionClassEmbeddingsInputDim - 6**cfg.AdditionTimeEmbedDim
}

// addTextTime adds SDXL's "text_time" embedding to the timestep embedding emb, as
// UNet2DConditionModel.forward (v0.19.3) does:
//
//	time_embeds = add_time_proj(time_ids.flatten()).reshape(B, -1)   [B, 6·d]
//	aug_emb = add_embedding(concat(text_embeds, time_embeds))          linear_1, SiLU, linear_2
//	emb = emb + aug_emb
//
// add_time_proj is Timesteps(addition_time_embed_dim, flip_sin_to_cos, freq_shift),
// computed in float32 like the timestep's own sinusoid.
func (c *ctx) addTextTime(cfg *diffusers.UNetConfig, emb string) string {
	b := c.root
	d := *cfg.AdditionTimeEmbedDim
	text := c.floatInput(UNetTextEmbeds, []int64{-1, int64(sdxlTextEmbedDim(cfg))}, "batch")
	c.g.AddInput(UNetTimeIDs, onnx.Float, []int64{-1, 6}, "batch")

	tp := b.Scope("add_time_proj")
	half := d / 2
	arg := tp.Mul(tp.Unsqueeze(UNetTimeIDs, 2), tp.Floats([]int64{1, 1, int64(half)}, sinusoidFreqs(half, cfg.FreqShift))) // [B, 6, d/2]
	sin, cos := tp.Unary("Sin", arg), tp.Unary("Cos", arg)
	var e string
	if cfg.FlipSinToCos {
		e = tp.Concat(-1, cos, sin)
	} else {
		e = tp.Concat(-1, sin, cos)
	}
	if d%2 == 1 {
		e = tp.Op("Pad", []string{e, tp.Int64s(0, 0, 0, 0, 0, 1)})
	}
	e = tp.Reshape(e, 0, int64(6*d)) // [B, 6·d], time_ids row-major as flatten() orders them
	e = c.fromFloat32(b, e)
	add := b.Concat(-1, text, e)
	in, ted := *cfg.ProjectionClassEmbeddingsInputDim, cfg.TimeEmbedDim()
	ae := b.Scope("add_embedding")
	a := c.linear(ae.Scope("linear_1"), "add_embedding.linear_1", add, in, ted, true)
	a = c.silu(ae.Scope("act"), a)
	a = c.linear(ae.Scope("linear_2"), "add_embedding.linear_2", a, ted, ted, true)
	return b.Add(emb, a)
}

// sinusoidFreqs returns exp(-ln(10000)·i/(half − shift)) for i < half, rounded step by
// step in float32 as diffusers' get_timestep_embedding computes them.
func sinusoidFreqs(half, shift int) []float32 {
	freqs := make([]float32, half)
	logMax := float32(-math.Log(10000))
	for i := range freqs {
		e := logMax * float32(i)
		e /= float32(half) - float32(shift)
		freqs[i] = float32(math.Exp(float64(e)))
	}
	return freqs
}
