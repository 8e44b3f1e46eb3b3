package models

import "github.com/tomebench/tomebench/internal/onnx"

// DefaultOpset is the ai.onnx operator set the builders emit unless told otherwise. At
// 17 and above LayerNorm is one LayerNormalization node; below it is decomposed as
// torch.onnx.export writes it at opset 14 (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt,
// Div, Mul, Add).
const DefaultOpset = 17

// MinOpset is the lowest operator set the builders support (Split and Unsqueeze take
// their sizes and axes as inputs from 13; torch's diffusers exports use 14).
const MinOpset = 14

// Options say how a graph is built. The zero value builds an fp32 graph at DefaultOpset
// with dynamic batch and spatial size.
type Options struct {
	// Opset is the ai.onnx operator set (0: DefaultOpset; at least MinOpset).
	Opset int64
	// Float16 stores weights as float16 and computes in float16, except where torch
	// computes in float32 too: the timestep embedding's sin/cos, GroupNorm statistics
	// (InstanceNormalization runs between Casts), decomposed LayerNorm, upcast
	// attention and the VAE's softmax.
	Float16 bool
	// Float32IO keeps float32 graph inputs and outputs in a Float16 graph (Casts at
	// the boundary). By default a Float16 graph takes and returns float16 activations,
	// as diffusers' own fp16 ONNX export does; the UNet timestep stays float32 either way.
	Float32IO bool
	// Height and Width fix the spatial size of the UNet's sample and the VAE decoder's
	// latent_sample, in latent pixels (64 for a 512×512 SD 1.5 image). 0 leaves the
	// dimension symbolic ("height", "width"). The batch is always symbolic.
	Height, Width int
	// TimestepInt64 makes the UNet's timestep input int64 (optimum's export) instead
	// of float32 (diffusers' export).
	TimestepInt64 bool
	// InputIDsInt64 makes the text encoder's input_ids int64 instead of int32.
	InputIDsInt64 bool
	// ExternalThreshold is the smallest weight, in bytes, that Write puts into the
	// external weights file (0: 1024). Build keeps every weight inline.
	ExternalThreshold int
	// FusedAttention builds the UNet's attention (softmax(QKᵀ/√d)V over heads, the
	// part between to_q/to_k/to_v and to_out) as one ONNX Runtime contrib
	// MultiHeadAttention node (domain com.microsoft) instead of Reshape, Transpose,
	// MatMul, Mul, Softmax, MatMul. Such a model runs on ONNX Runtime only. Attention
	// with upcast_attention keeps the plain form (its float32 upcast has no fused form).
	FusedAttention bool
	// HiddenStates makes a text encoder also output every layer's hidden state,
	// hidden_states.0 … hidden_states.<layers>, as optimum's SDXL export does (SDXL
	// conditions on the penultimate one). A CLIPTextModelWithProjection always has them.
	HiddenStates bool
}

func (o Options) opset() int64 {
	if o.Opset == 0 {
		return DefaultOpset
	}
	return o.Opset
}

// elem is the element type of activations and weights inside the graph.
func (o Options) elem() int32 {
	if o.Float16 {
		return onnx.Float16
	}
	return onnx.Float
}

// ioElem is the element type of float graph inputs and outputs.
func (o Options) ioElem() int32 {
	if o.Float16 && !o.Float32IO {
		return onnx.Float16
	}
	return onnx.Float
}
