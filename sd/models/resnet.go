package models

import (
	"strconv"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// resnetSpec is a diffusers ResnetBlock2D (time_embedding_norm "default").
type resnetSpec struct {
	in, out     int
	groups      int
	eps         float32
	tembChans   int     // 0: no time embedding (the VAE)
	outputScale float32 // output_scale_factor (1 except in some mid blocks)
}

// resnet is ResnetBlock2D.forward:
//
//	h = conv1(silu(norm1(x))) + time_emb_proj(silu(temb))[:, :, None, None]
//	h = conv2(silu(norm2(h)))
//	out = (conv_shortcut(x) if in != out else x) + h, divided by output_scale_factor
func (c *ctx) resnet(b *onnx.Builder, key, x, temb string, r resnetSpec) string {
	// torch names the module's successive calls nonlinearity, nonlinearity_1, …; its
	// exporter computes silu(temb) once, in the first resnet, and shares it (CSE).
	calls := 0
	act := func(v string) string {
		name := "nonlinearity"
		if calls > 0 {
			name += "_" + strconv.Itoa(calls)
		}
		calls++
		return c.silu(b.Scope(name), v)
	}
	h := c.groupNorm(b.Scope("norm1"), key+".norm1", x, r.in, r.groups, r.eps, 4)
	h = act(h)
	h = c.conv(b.Scope("conv1"), key+".conv1", h, r.in, r.out, 3, 1, 1)
	if r.tembChans > 0 {
		t, ok := c.tembAct[temb]
		if !ok {
			t = act(temb)
			if c.tembAct == nil {
				c.tembAct = map[string]string{}
			}
			c.tembAct[temb] = t
		}
		t = c.linear(b.Scope("time_emb_proj"), key+".time_emb_proj", t, r.tembChans, r.out, true)
		t = b.Unsqueeze(t, 2, 3)
		h = b.Add(h, t)
	}
	h = c.groupNorm(b.Scope("norm2"), key+".norm2", h, r.out, r.groups, r.eps, 4)
	h = act(h)
	h = c.conv(b.Scope("conv2"), key+".conv2", h, r.out, r.out, 3, 1, 1)
	if r.in != r.out {
		x = c.conv(b.Scope("conv_shortcut"), key+".conv_shortcut", x, r.in, r.out, 1, 1, 0)
	}
	out := b.Add(x, h)
	if r.outputScale != 0 && r.outputScale != 1 {
		out = b.Div(out, c.scalar(b, r.outputScale))
	}
	return out
}

// downsample is Downsample2D with use_conv: a 3×3 stride-2 convolution ("op" in old
// checkpoints is stored as "conv"). padding 0 pads one row and column at the end, as
// diffusers' F.pad(0, 1, 0, 1) does.
func (c *ctx) downsample(b *onnx.Builder, key, x string, ch, padding int) string {
	cb := b.Scope("conv")
	if padding == 0 {
		return c.convPads(cb, key+".conv", x, ch, ch, 3, 2, []int64{0, 0, 1, 1})
	}
	return c.conv(cb, key+".conv", x, ch, ch, 3, 2, padding)
}

// upsample is Upsample2D with use_conv: nearest ×2 (Resize), then a 3×3 convolution.
// When sizeOf is set the output takes the spatial size of that tensor, as diffusers
// forwards upsample_size for latents that are not a multiple of the overall factor;
// otherwise the scale is 2.
func (c *ctx) upsample(b *onnx.Builder, key, x, sizeOf string, ch int) string {
	attrs := []*onnxpb.AttributeProto{
		onnx.AString("coordinate_transformation_mode", "asymmetric"),
		onnx.AFloat("cubic_coeff_a", -0.75),
		onnx.AString("mode", "nearest"),
		onnx.AString("nearest_mode", "floor"),
	}
	var h string
	if sizeOf == "" {
		h = b.Op("Resize", []string{x, "", b.Floats([]int64{4}, []float32{1, 1, 2, 2})}, attrs...)
	} else {
		n := b.Slice(b.Shape(x), []int64{0}, []int64{2}, []int64{0})
		hw := b.Slice(b.Shape(sizeOf), []int64{2}, []int64{4}, []int64{0})
		h = b.Op("Resize", []string{x, "", "", b.Concat(0, n, hw)}, attrs...)
	}
	return c.conv(b.Scope("conv"), key+".conv", h, ch, ch, 3, 1, 1)
}
