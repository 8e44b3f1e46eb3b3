package models

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// Text encoder graph inputs and outputs, as diffusers' ONNX export names them.
const (
	TextInputIDs        = "input_ids"         // [batch, sequence] int32 (or int64)
	TextLastHiddenState = "last_hidden_state" // [batch, sequence, hidden_size]
	TextPoolerOutput    = "pooler_output"     // [batch, hidden_size]
)

func checkCLIP(cfg *diffusers.CLIPTextConfig) error {
	if cfg.HiddenAct != "quick_gelu" && cfg.HiddenAct != "gelu" {
		return fmt.Errorf("models: text encoder config: hidden_act %q is not supported (quick_gelu or gelu)", cfg.HiddenAct)
	}
	return nil
}

// clipText builds transformers' CLIPTextModel.forward (v4.26): token + position
// embeddings, pre-LN encoder layers with causal self-attention, final_layer_norm;
// pooler_output is the hidden state at each row's largest id (the first
// <|endoftext|>). The sequence length is dynamic up to max_position_embeddings.
func (c *ctx) clipText(cfg *diffusers.CLIPTextConfig) {
	b := c.root
	C, P := int64(cfg.HiddenSize), int64(cfg.MaxPositionEmbeddings)
	idType := int32(onnx.Int32)
	if c.opt.InputIDsInt64 {
		idType = onnx.Int64
	}
	c.g.AddInput(TextInputIDs, idType, []int64{-1, -1}, "batch", "sequence")
	ids := TextInputIDs
	if idType != onnx.Int64 {
		ids = b.Cast(ids, onnx.Int64)
	}
	tm := b.Scope("text_model")
	eb := tm.Scope("embeddings")
	tok := c.param("text_model.embeddings.token_embedding.weight", []int{cfg.VocabSize, cfg.HiddenSize}, InitEmbedding, 0, asIs)
	pos := c.param("text_model.embeddings.position_embedding.weight", []int{cfg.MaxPositionEmbeddings, cfg.HiddenSize}, InitEmbedding, 0, asIs)
	seq := eb.Slice(eb.Shape(ids), []int64{1}, []int64{2}, []int64{0}) // [1] = sequence length
	h := eb.Scope("token_embedding").Gather(tok, ids, 0)
	h = eb.Add(h, eb.Scope("position_embedding").SliceV(pos, eb.Int64s(0), seq, []int64{0}))

	// Causal mask [1, 1, S, S]: 0 on and below the diagonal, the dtype's lowest value above.
	lowest := float32(-3.4028234663852886e38)
	if c.opt.Float16 {
		lowest = -65504
	}
	mask := make([]float32, P*P)
	for i := int64(0); i < P; i++ {
		for j := i + 1; j < P; j++ {
			mask[i*P+j] = lowest
		}
	}
	zero := tm.Int64s(0, 0)
	m := tm.SliceV(c.constant(tm, []int64{1, 1, P, P}, mask), zero, tm.Concat(0, seq, seq), []int64{2, 3})

	enc := tm.Scope("encoder")
	hs := []string{h}
	for i := 0; i < cfg.NumHiddenLayers; i++ {
		n := "layers." + strconv.Itoa(i)
		h = c.clipLayer(enc.Scope(n), "text_model.encoder."+n, h, m, cfg)
		hs = append(hs, h)
	}
	if c.opt.HiddenStates || IsCLIPWithProjection(cfg) {
		c.clipHiddenStates(tm, hs, C) // SDXL conditions on hidden_states[-2]
	}
	h = c.layerNorm(tm.Scope("final_layer_norm"), "text_model.final_layer_norm", h, cfg.HiddenSize, float32(cfg.LayerNormEps))
	c.floatOutput(tm, h, TextLastHiddenState, []int64{-1, -1, C}, "batch", "sequence")

	// pooler_output = h[arange(B), argmax(ids)].
	at := tm.Unsqueeze(tm.ArgMax(ids, -1, false), 1, 2) // [B, 1, 1]
	at = tm.Expand(at, tm.Int64s(1, 1, C))
	pooled := tm.Squeeze(tm.GatherElements(TextLastHiddenState, at, 1), 1)
	c.rename(pooled, TextPoolerOutput)
	c.g.P.Output = append(c.g.P.Output, onnx.ValueInfo(TextPoolerOutput, c.opt.ioElem(), []int64{-1, C}, "batch"))
	if IsCLIPWithProjection(cfg) {
		p := TextPoolerOutput
		if c.opt.ioElem() != c.opt.elem() {
			p = b.Cast(p, c.opt.elem())
		}
		c.clipProjection(b, p, cfg)
	}
}

// clipLayer is CLIPEncoderLayer: h += self_attn(layer_norm1(h)); h += mlp(layer_norm2(h)).
func (c *ctx) clipLayer(b *onnx.Builder, key, h, mask string, cfg *diffusers.CLIPTextConfig) string {
	C := cfg.HiddenSize
	eps := float32(cfg.LayerNormEps)
	r := h
	x := c.layerNorm(b.Scope("layer_norm1"), key+".layer_norm1", h, C, eps)
	a := b.Scope("self_attn")
	q := c.linear(a.Scope("q_proj"), key+".self_attn.q_proj", x, C, C, true)
	k := c.linear(a.Scope("k_proj"), key+".self_attn.k_proj", x, C, C, true)
	v := c.linear(a.Scope("v_proj"), key+".self_attn.v_proj", x, C, C, true)
	d := int64(C / cfg.NumAttentionHeads)
	hh := int64(cfg.NumAttentionHeads)
	scale := c.scalar(a, float32(1/math.Sqrt(float64(d))))
	q = a.Transpose(a.Reshape(a.Mul(q, scale), 0, 0, hh, d), 0, 2, 1, 3)
	k = a.Transpose(a.Reshape(k, 0, 0, hh, d), 0, 2, 3, 1)
	v = a.Transpose(a.Reshape(v, 0, 0, hh, d), 0, 2, 1, 3)
	s := a.Add(a.MatMul(q, k), mask)
	o := c.attend(a, s, v, C, false)
	o = c.linear(a.Scope("out_proj"), key+".self_attn.out_proj", o, C, C, true)
	h = b.Add(r, o)

	r = h
	x = c.layerNorm(b.Scope("layer_norm2"), key+".layer_norm2", h, C, eps)
	mb := b.Scope("mlp")
	x = c.linear(mb.Scope("fc1"), key+".mlp.fc1", x, C, cfg.IntermediateSize, true)
	if cfg.HiddenAct == "gelu" {
		x = c.gelu(mb.Scope("activation_fn"), x)
	} else {
		x = c.quickGELU(mb.Scope("activation_fn"), x)
	}
	x = c.linear(mb.Scope("fc2"), key+".mlp.fc2", x, cfg.IntermediateSize, C, true)
	return b.Add(r, x)
}
