package inception

import (
	"encoding/binary"
	"math"

	"github.com/tomebench/tomebench/internal/torchpth"
)

// FormulaWeights returns the deterministic state_dict that the test fixtures use in
// place of the real 95 MB weights (shared/fixtures/fid/README, section inception_det):
// every key of fid_inception_v3().state_dict(), in its order and shapes, with values
// from a formula. For key K with n values in C order:
//
//	seed = FNV-1a-64(K)
//	u_i  = (splitmix64(seed + i) >> 40) / 2^24          i = 0 … n−1, u ∈ [0, 1)
//	conv and fc weight:  (2u − 1)·sqrt(6/fan_in),  fan_in = prod(shape[1:])
//	bn weight, running_var:  0.5 + u
//	bn bias, running_mean:  (u − 0.5)·0.2
//	fc bias:  (u − 0.5)·0.1
//	num_batches_tracked:  int64 0, shape []
//
// each computed in float64 and rounded once to float32. These weights make the
// network's arithmetic testable; its features mean nothing.
func FormulaWeights() *torchpth.StateDict {
	sd := &torchpth.StateDict{Tensors: map[string]*torchpth.Tensor{}}
	add := func(key string, shape []int, value func(u float64) float64) {
		n := 1
		for _, s := range shape {
			n *= s
		}
		data := make([]byte, 4*n)
		seed := fnv1a64(key)
		for i := range n {
			u := float64(splitmix64(seed+uint64(i))>>40) / (1 << 24)
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(value(u))))
		}
		sd.Keys = append(sd.Keys, key)
		sd.Tensors[key] = &torchpth.Tensor{DType: torchpth.Float32, Shape: shape, Data: data}
	}
	heUniform := func(fanIn int) func(float64) float64 {
		scale := math.Sqrt(6 / float64(fanIn))
		return func(u float64) float64 { return (2*u - 1) * scale }
	}
	plusHalf := func(u float64) float64 { return 0.5 + u }
	centred := func(w float64) func(float64) float64 {
		return func(u float64) float64 { return (u - 0.5) * w }
	}
	for _, c := range architecture() {
		out := []int{c.Out}
		add(c.Name+".conv.weight", []int{c.Out, c.In, c.KH, c.KW}, heUniform(c.In*c.KH*c.KW))
		add(c.Name+".bn.weight", out, plusHalf)
		add(c.Name+".bn.bias", out, centred(0.2))
		add(c.Name+".bn.running_mean", out, centred(0.2))
		add(c.Name+".bn.running_var", out, plusHalf)
		key := c.Name + ".bn.num_batches_tracked"
		sd.Keys = append(sd.Keys, key)
		sd.Tensors[key] = &torchpth.Tensor{DType: torchpth.Int64, Shape: []int{}, Data: make([]byte, 8)}
	}
	add("fc.weight", []int{fcOut, fcIn}, heUniform(fcIn))
	add("fc.bias", []int{fcOut}, centred(0.1))
	return sd
}

// fnv1a64 is the 64-bit FNV-1a hash of s's bytes.
func fnv1a64(s string) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 0x100000001b3
	}
	return h
}

// splitmix64 is one output of Vigna's SplitMix64 generator whose state is x.
func splitmix64(x uint64) uint64 {
	z := x + 0x9E3779B97F4A7C15
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}
