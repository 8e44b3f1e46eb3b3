package safetensors

import (
	"math/rand"
	"testing"
)

// benchConvert measures ToFloat32 on 4M random values stored as d.
func benchConvert(b *testing.B, d DType) {
	rng := rand.New(rand.NewSource(1))
	v := make([]float32, 1<<22)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	var t Tensor
	switch d {
	case F32:
		t = NewF32("x", []int{len(v)}, v)
	case F16:
		t = NewF16("x", []int{len(v)}, v)
	case BF16:
		t = NewBF16("x", []int{len(v)}, v)
	}
	b.SetBytes(int64(len(t.Data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := ToFloat32(d, t.Data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToFloat32F32(b *testing.B)  { benchConvert(b, F32) }
func BenchmarkToFloat32F16(b *testing.B)  { benchConvert(b, F16) }
func BenchmarkToFloat32BF16(b *testing.B) { benchConvert(b, BF16) }
