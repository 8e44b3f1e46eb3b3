package models

import (
	"github.com/tomebench/tomebench/internal/onnx"
)

// MSDomain is the operator domain of ONNX Runtime's contrib operators, which
// Options.FusedAttention uses.
const MSDomain = "com.microsoft"

// fusedAttention is softmax(Q·Kᵀ/√d)·V over heads as one ONNX Runtime contrib
// MultiHeadAttention node (com.microsoft, since version 1):
//
//	query [B, N, C], key [B, M, C], value [B, M, C] → [B, N, C]
//	num_heads = heads; scale left at its default 1/√(C/heads), diffusers' scale
//
// the same function as attention(b, q, k, v, heads, C, false, false). ONNX
// Runtime's CPU and CUDA providers both implement it (float32; CUDA also float16).
func (c *ctx) fusedAttention(b *onnx.Builder, q, k, v string, heads int) string {
	out := b.Op("MultiHeadAttention", []string{q, k, v}, onnx.AInt("num_heads", int64(heads)))
	b.G.Producer(out).Domain = MSDomain
	return out
}
