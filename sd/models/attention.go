package models

import (
	"strconv"

	"github.com/tomebench/tomebench/internal/onnx"
)

// transformerSpec is a diffusers Transformer2DModel over continuous input (the SD UNet's
// attentions.N modules).
type transformerSpec struct {
	channels   int // in_channels = inner_dim = heads × head_dim
	heads      int
	layers     int // transformer_layers_per_block
	crossDim   int // cross_attention_dim
	groups     int
	linearProj bool // use_linear_projection
	onlyCross  bool // only_cross_attention: attn1 also attends to the text
	upcast     bool // upcast_attention
}

// transformer2D is Transformer2DModel.forward for continuous input:
//
//	h = proj_in(norm(x)) as [B, H·W, C]; h = transformer_blocks(h, ehs)
//	out = proj_out(h) as [B, C, H, W] + x
//
// norm is GroupNorm(groups, eps 1e-6); proj_in/proj_out are 1×1 convolutions, or
// Linear layers on the token axis when use_linear_projection.
func (c *ctx) transformer2D(b *onnx.Builder, key, x, ehs string, t transformerSpec) string {
	C := int64(t.channels)
	h := c.groupNorm(b.Scope("norm"), key+".norm", x, t.channels, t.groups, 1e-6, 4)
	tokens := func(v string) string { return b.Reshape(b.Transpose(v, 0, 2, 3, 1), 0, -1, C) }
	if t.linearProj {
		h = c.linear(b.Scope("proj_in"), key+".proj_in", tokens(h), t.channels, t.channels, true)
	} else {
		h = tokens(c.conv(b.Scope("proj_in"), key+".proj_in", h, t.channels, t.channels, 1, 1, 0))
	}
	for i := 0; i < t.layers; i++ {
		n := "transformer_blocks." + strconv.Itoa(i)
		h = c.basicTransformerBlock(b.Scope(n), key+"."+n, h, ehs, t)
	}
	// [B, N, C] → [B, C, N] → [B, C, H, W] (the residual's shape).
	image := func(v string) string { return b.ReshapeTo(b.Transpose(v, 0, 2, 1), b.Shape(x)) }
	if t.linearProj {
		h = image(c.linear(b.Scope("proj_out"), key+".proj_out", h, t.channels, t.channels, true))
	} else {
		h = c.conv(b.Scope("proj_out"), key+".proj_out", image(h), t.channels, t.channels, 1, 1, 0)
	}
	return b.Add(h, x)
}

// basicTransformerBlock is BasicTransformerBlock.forward (the block ToMe patches):
//
//	x = attn1(norm1(x)) + x     self-attention
//	x = attn2(norm2(x), ehs) + x  cross-attention
//	x = ff(norm3(x)) + x        GEGLU feed-forward
//
// with the residual Adds in the block's own scope, named as the exporter names them
// (Add, Add_1, Add_2), attention output first.
func (c *ctx) basicTransformerBlock(b *onnx.Builder, key, x, ehs string, t transformerSpec) string {
	C := t.channels
	n := c.layerNorm(b.Scope("norm1"), key+".norm1", x, C, 1e-5)
	var a string
	if t.onlyCross {
		a = c.attnModule(b.Scope("attn1"), key+".attn1", n, ehs, C, t.crossDim, t.heads, t.upcast)
	} else {
		a = c.attnModule(b.Scope("attn1"), key+".attn1", n, n, C, C, t.heads, t.upcast)
	}
	x = b.Add(a, x)
	n = c.layerNorm(b.Scope("norm2"), key+".norm2", x, C, 1e-5)
	a = c.attnModule(b.Scope("attn2"), key+".attn2", n, ehs, C, t.crossDim, t.heads, t.upcast)
	x = b.Add(a, x)
	n = c.layerNorm(b.Scope("norm3"), key+".norm3", x, C, 1e-5)
	f := c.feedForward(b.Scope("ff"), key+".ff", n, C)
	return b.Add(f, x)
}

// attnModule is diffusers' Attention with AttnProcessor: to_q on x, to_k and to_v on
// the context (x itself for self-attention), no biases on q/k/v, heads of dim C/heads,
// scale dim_head^-0.5, to_out.0 Linear with bias (to_out.1 is dropout).
func (c *ctx) attnModule(b *onnx.Builder, key, x, context string, C, ctxDim, heads int, upcast bool) string {
	q := c.linear(b.Scope("to_q"), key+".to_q", x, C, C, false)
	k := c.linear(b.Scope("to_k"), key+".to_k", context, ctxDim, C, false)
	v := c.linear(b.Scope("to_v"), key+".to_v", context, ctxDim, C, false)
	var o string
	if c.opt.FusedAttention && !upcast {
		o = c.fusedAttention(b, q, k, v, heads)
	} else {
		o = c.attention(b, q, k, v, heads, C, upcast, false)
	}
	return c.linear(b.Scope("to_out.0"), key+".to_out.0", o, C, C, true)
}

// feedForward is FeedForward with GEGLU: proj to 2×4C, split into h and gate, h·gelu(gate),
// then net.2 back to C.
func (c *ctx) feedForward(b *onnx.Builder, key, x string, C int) string {
	inner := 4 * C
	g := b.Scope("net.0")
	p := c.linear(g.Scope("proj"), key+".net.0.proj", x, C, 2*inner, true)
	parts := g.Split(p, -1, int64(inner), int64(inner))
	h := g.Mul(parts[0], c.gelu(g, parts[1]))
	return c.linear(b.Scope("net.2"), key+".net.2", h, inner, C, true)
}
