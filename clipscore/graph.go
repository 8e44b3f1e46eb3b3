package clipscore

import (
	"math"
	"strconv"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
	"github.com/tomebench/tomebench/sd/models"
)

// Graph inputs and outputs of the two towers.
const (
	PixelValues  = "pixel_values" // vision input: float32 [batch, 3, image_size, image_size]
	ImageEmbeds  = "image_embeds" // vision output: [batch, projection_dim], get_image_features (unnormalised)
	InputIDs     = "input_ids"    // text input: int64 [batch, sequence ≤ max_position_embeddings]
	TextEmbeds   = "text_embeds"  // text output: [batch, projection_dim], get_text_features (unnormalised)
	PoolerOutput = "pooler_output"
)

const opset = 17

// BuildVision returns CLIPVisionModel + visual_projection (get_image_features of
// transformers v4.26.1) as an ONNX model:
//
//	h = conv_p×p(pixel_values) as [B, N, C], prepended with class_embedding, + position_embedding
//	h = pre_layrnorm(h); h = encoder layers (pre-LN, no mask)
//	pooler_output = post_layernorm(h[:, 0]); image_embeds = pooler_output · visual_projectionᵀ
func buildVision(cfg *Config, w *weights) (*onnx.Model, error) {
	v := &cfg.Vision
	C, P, S := v.HiddenSize, v.PatchSize, v.ImageSize
	n := v.Patches() * v.Patches()
	m := onnx.NewModel("clip_vision", opset)
	m.Proto.ProducerName = "tomebench"
	g := m.Graph()
	g.AddInput(PixelValues, onnx.Float, []int64{-1, 3, int64(S), int64(S)}, "batch")
	t := &tower{b: onnx.NewBuilder(g, opset), w: w}
	vm := t.b.Scope("vision_model")
	eb := vm.Scope("embeddings")
	patch := t.param("vision_model.embeddings.patch_embedding.weight", C, 3, P, P)
	h := eb.Scope("patch_embedding").Conv(PixelValues, patch, "", int64(P), 0, int64(P), 1) // [B, C, g, g]
	h = eb.Transpose(eb.Reshape(h, 0, int64(C), -1), 0, 2, 1)                               // [B, N, C]
	cls := t.param("vision_model.embeddings.class_embedding", C)
	batch := eb.Slice(eb.Shape(PixelValues), []int64{0}, []int64{1}, []int64{0})
	clsB := eb.Expand(eb.Reshape(cls, 1, 1, int64(C)), eb.Concat(0, batch, eb.Int64s(1, int64(C))))
	h = eb.Concat(1, clsB, h) // [B, N+1, C]
	h = eb.Add(h, t.param("vision_model.embeddings.position_embedding.weight", n+1, C))
	eps := float32(v.LayerNormEps)
	h = t.layerNorm(vm.Scope("pre_layrnorm"), "vision_model.pre_layrnorm", h, C, eps)
	enc := vm.Scope("encoder")
	for i := range v.NumHiddenLayers {
		name := "layers." + strconv.Itoa(i)
		h = t.encoderLayer(enc.Scope(name), "vision_model.encoder."+name, h, C, v.IntermediateSize, v.NumAttentionHeads, eps, v.HiddenAct)
	}
	pooled := vm.Gather(h, vm.ScalarInt64(0), 1) // [B, C]
	pooled = t.layerNorm(vm.Scope("post_layernorm"), "vision_model.post_layernorm", pooled, C, eps)
	t.output(pooled, PoolerOutput, C)
	e := t.linear(t.b.Scope("visual_projection"), "visual_projection", pooled, C, cfg.ProjectionDim, false)
	t.output(e, ImageEmbeds, cfg.ProjectionDim)
	if t.err != nil {
		return nil, t.err
	}
	g.Invalidate()
	return m, nil
}

// buildText returns CLIPTextModel + text_projection (get_text_features): the text tower
// is sd/models' CLIPTextModel graph (pooled at each row's largest id, as transformers
// v4.26.1 pools), and text_embeds = pooler_output · text_projectionᵀ is added here.
func buildText(cfg *Config, w *weights) (*onnx.Model, error) {
	m, err := models.Build(&cfg.Text, w, models.Options{Opset: opset, InputIDsInt64: true})
	if err != nil {
		return nil, err
	}
	g := m.Graph()
	t := &tower{b: onnx.NewBuilder(g, opset), w: w}
	e := t.linear(t.b.Scope("text_projection"), "text_projection", models.TextPoolerOutput, cfg.Text.HiddenSize, cfg.ProjectionDim, false)
	t.output(e, TextEmbeds, cfg.ProjectionDim)
	if t.err != nil {
		return nil, t.err
	}
	g.Invalidate()
	return m, nil
}

// tower builds nn layers from the state_dict, keeping the first error.
type tower struct {
	b   *onnx.Builder
	w   *weights
	err error
}

// param adds state_dict tensor key (of the given shape) as an initializer.
func (t *tower) param(key string, shape ...int) string {
	return t.paramT(key, false, shape...)
}

// paramT is param; with transpose a 2-D [out, in] weight is stored as [in, out] under
// key+".T" (for MatMul).
func (t *tower) paramT(key string, transpose bool, shape ...int) string {
	name := key
	if transpose {
		name += ".T"
	}
	if t.err != nil {
		return name
	}
	v, err := t.w.float32s(key, shape...)
	if err != nil {
		t.err = err
		return name
	}
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	if transpose {
		r, c := shape[0], shape[1]
		tv := make([]float32, len(v))
		for i := range r {
			for j := range c {
				tv[j*r+i] = v[i*c+j]
			}
		}
		v, dims = tv, []int64{int64(c), int64(r)}
	}
	return t.b.Named(onnx.TensorFloat32(name, dims, v))
}

// output exposes x as graph output name [batch, dim] through an Identity node.
func (t *tower) output(x, name string, dim int) {
	t.b.G.Add(&onnxpb.NodeProto{Name: "/" + name + "/Identity", OpType: "Identity", Input: []string{x}, Output: []string{name}})
	t.b.G.P.Output = append(t.b.G.P.Output, onnx.ValueInfo(name, onnx.Float, []int64{-1, int64(dim)}, "batch"))
}

// linear is nn.Linear: x · Wᵀ (+ b).
func (t *tower) linear(b *onnx.Builder, key, x string, in, out int, bias bool) string {
	y := b.MatMul(x, t.paramT(key+".weight", true, out, in))
	if bias {
		y = b.Add(y, t.param(key+".bias", out))
	}
	return y
}

// layerNorm is nn.LayerNorm over the last axis.
func (t *tower) layerNorm(b *onnx.Builder, key, x string, c int, eps float32) string {
	return b.LayerNormalization(x, t.param(key+".weight", c), t.param(key+".bias", c), eps)
}

// encoderLayer is CLIPEncoderLayer without a mask (the vision tower):
//
//	h += out_proj(softmax((q·d^−½) kᵀ) v) over heads, q, k, v = projections of layer_norm1(h)
//	h += fc2(act(fc1(layer_norm2(h))))
func (t *tower) encoderLayer(b *onnx.Builder, key, h string, C, inner, heads int, eps float32, act string) string {
	x := t.layerNorm(b.Scope("layer_norm1"), key+".layer_norm1", h, C, eps)
	a := b.Scope("self_attn")
	q := t.linear(a.Scope("q_proj"), key+".self_attn.q_proj", x, C, C, true)
	k := t.linear(a.Scope("k_proj"), key+".self_attn.k_proj", x, C, C, true)
	v := t.linear(a.Scope("v_proj"), key+".self_attn.v_proj", x, C, C, true)
	d, hh := int64(C/heads), int64(heads)
	q = a.Mul(q, a.Scalar(float32(1/math.Sqrt(float64(d)))))
	q = a.Transpose(a.Reshape(q, 0, 0, hh, d), 0, 2, 1, 3) // [B, h, N, d]
	k = a.Transpose(a.Reshape(k, 0, 0, hh, d), 0, 2, 3, 1) // [B, h, d, N]
	v = a.Transpose(a.Reshape(v, 0, 0, hh, d), 0, 2, 1, 3) // [B, h, N, d]
	o := a.MatMul(a.Softmax(a.MatMul(q, k), -1), v)
	o = a.Reshape(a.Transpose(o, 0, 2, 1, 3), 0, 0, int64(C))
	o = t.linear(a.Scope("out_proj"), key+".self_attn.out_proj", o, C, C, true)
	h = b.Add(h, o)

	x = t.layerNorm(b.Scope("layer_norm2"), key+".layer_norm2", h, C, eps)
	mb := b.Scope("mlp")
	x = t.linear(mb.Scope("fc1"), key+".mlp.fc1", x, C, inner, true)
	if act == "gelu" {
		s := mb.Scope("activation_fn")
		e := s.Unary("Erf", s.Div(x, s.Scalar(float32(math.Sqrt2))))
		x = s.Mul(s.Mul(x, s.Add(e, s.Scalar(1))), s.Scalar(0.5))
	} else {
		s := mb.Scope("activation_fn")
		x = s.Mul(x, s.Unary("Sigmoid", s.Mul(x, s.Scalar(1.702))))
	}
	x = t.linear(mb.Scope("fc2"), key+".mlp.fc2", x, inner, C, true)
	return b.Add(h, x)
}
