package models

import (
	"math"

	"github.com/tomebench/tomebench/internal/onnx"
)

// The torch.nn layers the models are made of, emitted as torch.onnx.export writes them,
// each under its module's scope (b is the module's builder; key its state_dict prefix).

// linear is nn.Linear on the last axis: MatMul by the transposed weight (stored under
// key+".weight.T"), then Add(bias, ·) as the exporter orders it.
func (c *ctx) linear(b *onnx.Builder, key, x string, in, out int, bias bool) string {
	w := c.param(key+".weight", []int{out, in}, InitWeight, in, transposed)
	y := b.MatMul(x, w)
	if bias {
		bv := c.param(key+".bias", []int{out}, InitBias, in, asIs)
		y = b.Add(bv, y)
	}
	return y
}

// conv is nn.Conv2d with a square kernel, symmetric padding pad and bias.
func (c *ctx) conv(b *onnx.Builder, key, x string, in, out, kernel, stride, pad int) string {
	fan := in * kernel * kernel
	w := c.param(key+".weight", []int{out, in, kernel, kernel}, InitWeight, fan, asIs)
	bv := c.param(key+".bias", []int{out}, InitBias, fan, asIs)
	return b.Conv(x, w, bv, int64(kernel), int64(pad), int64(stride), 1)
}

// convPads is nn.Conv2d with explicit pads [top, left, bottom, right] (Downsample2D's
// F.pad(0,1,0,1) when padding is 0).
func (c *ctx) convPads(b *onnx.Builder, key, x string, in, out, kernel, stride int, pads []int64) string {
	fan := in * kernel * kernel
	w := c.param(key+".weight", []int{out, in, kernel, kernel}, InitWeight, fan, asIs)
	bv := c.param(key+".bias", []int{out}, InitBias, fan, asIs)
	k := int64(kernel)
	return b.Op("Conv", []string{x, w, bv}, onnx.AInts("dilations", 1, 1), onnx.AInt("group", 1),
		onnx.AInts("kernel_shape", k, k), onnx.AInts("pads", pads...), onnx.AInts("strides", int64(stride), int64(stride)))
}

// groupNorm is nn.GroupNorm on [B, C, ...] as torch exports it: Reshape to [B, G, -1],
// InstanceNormalization (unit scale, zero shift), Reshape back, Mul by the weight and
// Add the bias (both [C,1,1]). In a Float16 graph the normalisation runs in float32.
func (c *ctx) groupNorm(b *onnx.Builder, key, x string, channels, groups int, eps float32, rank int) string {
	ch := int64(channels)
	dims := []int64{ch}
	for i := 2; i < rank; i++ {
		dims = append(dims, 1)
	}
	w := c.param(key+".weight", []int{channels}, InitNormWeight, 0, asIs, dims...)
	bias := c.param(key+".bias", []int{channels}, InitNormBias, 0, asIs, dims...)
	h := b.Reshape(c.toFloat32(b, x), 0, int64(groups), -1)
	ones := make([]float32, groups)
	for i := range ones {
		ones[i] = 1
	}
	h = b.Op("InstanceNormalization", []string{h, b.Floats([]int64{int64(groups)}, ones),
		b.Floats([]int64{int64(groups)}, make([]float32, groups))}, onnx.AFloat("epsilon", eps))
	h = b.ReshapeTo(c.fromFloat32(b, h), b.Shape(x))
	return b.Add(b.Mul(h, w), bias)
}

// layerNorm is nn.LayerNorm over the last axis: one LayerNormalization node from opset
// 17, else torch's opset-14 decomposition (computed in float32 in a Float16 graph).
func (c *ctx) layerNorm(b *onnx.Builder, key, x string, channels int, eps float32) string {
	w := c.param(key+".weight", []int{channels}, InitNormWeight, 0, asIs)
	bias := c.param(key+".bias", []int{channels}, InitNormBias, 0, asIs)
	if b.Opset >= 17 {
		return b.LayerNormalization(x, w, bias, eps)
	}
	h := c.toFloat32(b, x)
	mean := b.Reduce("ReduceMean", h, true, -1)
	d := b.Sub(h, mean)
	v := b.Reduce("ReduceMean", b.Pow(d, b.Scalar(2)), true, -1)
	h = b.Div(d, b.Unary("Sqrt", b.Add(v, b.Scalar(eps))))
	h = c.fromFloat32(b, h)
	return b.Add(b.Mul(h, w), bias)
}

// silu is x·sigmoid(x) (nn.SiLU / F.silu at opsets without a SiLU op).
func (c *ctx) silu(b *onnx.Builder, x string) string {
	return b.Mul(x, b.Unary("Sigmoid", x))
}

// gelu is the exact (erf) GELU as torch exports it: x·(erf(x/√2)+1)·0.5.
func (c *ctx) gelu(b *onnx.Builder, x string) string {
	e := b.Unary("Erf", b.Div(x, c.scalar(b, float32(math.Sqrt2))))
	return b.Mul(b.Mul(x, b.Add(e, c.scalar(b, 1))), c.scalar(b, 0.5))
}

// quickGELU is CLIP's x·sigmoid(1.702·x).
func (c *ctx) quickGELU(b *onnx.Builder, x string) string {
	return b.Mul(x, b.Unary("Sigmoid", b.Mul(x, c.scalar(b, 1.702))))
}

// attention is softmax(q·kᵀ·scale)·v over heads: q [B, N, C], k and v [B, M, C] →
// [B, N, C]. Heads are split with constant Reshapes ([0, 0, heads, d]), so the token
// counts stay free (ToMe changes N). With upcast the scores and softmax are computed in
// float32 (diffusers' upcast_attention / upcast_softmax); a qScaled attention (CLIP)
// multiplies q by the scale before the product instead of scaling the scores.
func (c *ctx) attention(b *onnx.Builder, q, k, v string, heads, channels int, upcast, qScaled bool) string {
	d := int64(channels / heads)
	h := int64(heads)
	scale := float32(1 / math.Sqrt(float64(d)))
	if qScaled {
		q = b.Mul(q, c.scalar(b, scale))
	}
	q = b.Transpose(b.Reshape(q, 0, 0, h, d), 0, 2, 1, 3) // [B, h, N, d]
	k = b.Transpose(b.Reshape(k, 0, 0, h, d), 0, 2, 3, 1) // [B, h, d, M]
	v = b.Transpose(b.Reshape(v, 0, 0, h, d), 0, 2, 1, 3) // [B, h, M, d]
	if upcast {
		q, k = c.toFloat32(b, q), c.toFloat32(b, k)
	}
	s := b.MatMul(q, k)
	if !qScaled {
		if upcast {
			s = b.Mul(s, b.Scalar(scale))
		} else {
			s = b.Mul(s, c.scalar(b, scale))
		}
	}
	return c.attend(b, s, v, channels, upcast)
}

// attend finishes attention from scores s [B, h, N, M] (float32 when upcast): softmax,
// product with v, heads merged back to [B, N, C].
func (c *ctx) attend(b *onnx.Builder, s, v string, channels int, upcast bool) string {
	p := b.Softmax(s, -1)
	if upcast {
		p = c.fromFloat32(b, p)
	}
	o := b.MatMul(p, v) // [B, h, N, d]
	return b.Reshape(b.Transpose(o, 0, 2, 1, 3), 0, 0, int64(channels))
}
