package todo

import (
	"fmt"
	"math"
)

// SourceIndex returns, for each of out positions along an axis of in positions, the
// input position F.interpolate(size=out, mode) copies, computed as PyTorch does in
// float32 with s = float32(in)/float32(out):
//
//	nearest-exact: src = min(floor((dst + 0.5)·s), in−1)
//	nearest:       src = min(floor(dst·s), in−1)
//
// It panics on an unknown mode or non-positive sizes.
func SourceIndex(in, out int, mode string) []int {
	if in <= 0 || out <= 0 {
		panic(fmt.Sprintf("todo: SourceIndex(%d, %d): sizes must be positive", in, out))
	}
	s := float32(in) / float32(out)
	idx := make([]int, out)
	for d := range idx {
		var v float32
		switch mode {
		case NearestExact:
			v = float32(float32(d)+0.5) * s
		case Nearest:
			v = float32(d) * s
		default:
			panic(fmt.Sprintf("todo: SourceIndex: unknown mode %q", mode))
		}
		idx[d] = min(int(math.Floor(float64(v))), in-1)
	}
	return idx
}

// KeptTokens returns the row-major token ids (of a curH×curW grid) that the
// downsampled newH×newW grid holds, in row-major order of the new grid: the Gather
// that makes keys and values.
func KeptTokens(curH, curW, newH, newW int, mode string) []int {
	rows, cols := SourceIndex(curH, newH, mode), SourceIndex(curW, newW, mode)
	out := make([]int, 0, newH*newW)
	for _, r := range rows {
		for _, c := range cols {
			out = append(out, r*curW+c)
		}
	}
	return out
}

// NewGrid returns the downsampled grid int(cur/f) per side (the A1111 port's rule;
// equal to upstream's cur // f for integer f).
func NewGrid(curH, curW int, f float64) (int, int) {
	return int(float64(curH) / f), int(float64(curW) / f)
}

// Downsample is the reference on plain tensors: it returns y' [B, len(kept), C] from
// y [B, N, C] (row-major) by copying the kept tokens.
func Downsample(y []float32, B, N, C int, kept []int) []float32 {
	if len(y) != B*N*C {
		panic(fmt.Sprintf("todo: Downsample: len(y) = %d, want %d·%d·%d", len(y), B, N, C))
	}
	out := make([]float32, 0, B*len(kept)*C)
	for b := range B {
		for _, t := range kept {
			out = append(out, y[(b*N+t)*C:(b*N+t+1)*C]...)
		}
	}
	return out
}
