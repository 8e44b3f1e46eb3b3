package tome

import "fmt"

// A Tensor is a row-major float32 tensor of shape [B, N, C]: batch, tokens,
// channels. Data[(b*N+n)*C+c] is channel c of token n of batch element b.
type Tensor struct {
	B, N, C int
	Data    []float32
}

// NewTensor returns a [B, N, C] tensor over data, or over fresh zeros when data is
// nil. It panics when a size is negative or len(data) is not B*N*C.
func NewTensor(B, N, C int, data []float32) Tensor {
	if B < 0 || N < 0 || C < 0 {
		panic(fmt.Sprintf("tome: NewTensor: negative shape [%d, %d, %d]", B, N, C))
	}
	if data == nil {
		data = make([]float32, B*N*C)
	}
	if len(data) != B*N*C {
		panic(fmt.Sprintf("tome: NewTensor: %d values for shape [%d, %d, %d]", len(data), B, N, C))
	}
	return Tensor{B: B, N: N, C: C, Data: data}
}

// Row returns token n of batch element b, [C], sharing memory with t.
func (t Tensor) Row(b, n int) []float32 {
	i := (b*t.N + n) * t.C
	return t.Data[i : i+t.C : i+t.C]
}
