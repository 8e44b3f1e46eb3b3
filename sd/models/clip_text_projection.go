package models

import (
	"slices"
	"strconv"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/sd/diffusers"
)

// Outputs of SDXL's text encoders, named as optimum's SDXL export names them.
const (
	// TextEmbeds is CLIPTextModelWithProjection's text_embeds [batch, projection_dim]:
	// text_projection (no bias) of the pooled state (final-layer-normed, at argmax(ids)).
	TextEmbeds = "text_embeds"
	// TextHiddenStatesPrefix + k is hidden_states[k] [batch, sequence, hidden]: the
	// embeddings for k = 0, the output of encoder layer k-1 after that (before
	// final_layer_norm). SDXL conditions on hidden_states[-2], "hidden_states.<layers-1>".
	TextHiddenStatesPrefix = "hidden_states."
)

// IsCLIPWithProjection reports whether cfg is a CLIPTextModelWithProjection (SDXL's
// text_encoder_2), whose graph also outputs text_embeds.
func IsCLIPWithProjection(cfg *diffusers.CLIPTextConfig) bool {
	return slices.Contains(cfg.Architectures, "CLIPTextModelWithProjection")
}

// PenultimateHiddenState returns the output name of hidden_states[-2] for a text
// encoder of the given number of layers (what SDXL's pipeline conditions on).
func PenultimateHiddenState(layers int) string {
	return TextHiddenStatesPrefix + strconv.Itoa(layers-1)
}

// clipHiddenStates declares hidden_states.0 … hidden_states.<layers> as outputs (Identity
// nodes on the values hs, in layer order).
func (c *ctx) clipHiddenStates(b *onnx.Builder, hs []string, C int64) {
	for k, h := range hs {
		name := TextHiddenStatesPrefix + strconv.Itoa(k)
		c.floatOutput(b, b.Op("Identity", []string{h}), name, []int64{-1, -1, C}, "batch", "sequence")
	}
}

// clipProjection adds text_embeds = pooled · text_projection.weightᵀ.
func (c *ctx) clipProjection(b *onnx.Builder, pooled string, cfg *diffusers.CLIPTextConfig) {
	e := c.linear(b.Scope("text_projection"), "text_projection", pooled, cfg.HiddenSize, cfg.ProjectionDim, false)
	c.floatOutput(b, e, TextEmbeds, []int64{-1, int64(cfg.ProjectionDim)}, "batch")
}
