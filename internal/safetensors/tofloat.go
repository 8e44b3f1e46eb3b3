package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/tomebench/tomebench/internal/half"
)

// ToFloat32 converts little-endian raw data of type d to float32 (F64 is rounded to
// nearest; F16 and BF16 are exact, see package internal/half). It fails with
// ErrNotFloat for non-floating types and when len(raw) is not a multiple of the element
// size.
func ToFloat32(d DType, raw []byte) ([]float32, error) {
	if !d.IsFloat() {
		return nil, ErrNotFloat
	}
	size := d.Size()
	if len(raw)%size != 0 {
		return nil, fmt.Errorf("%d bytes are not a whole number of %d-byte elements", len(raw), size)
	}
	out := make([]float32, len(raw)/size)
	switch d {
	case F32:
		for i := range out {
			b := raw[4*i : 4*i+4 : 4*i+4]
			out[i] = math.Float32frombits(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
		}
	case F64:
		for i := range out {
			out[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
		}
	case F16:
		half.DecodeF16(out, raw)
	case BF16:
		for i := range out {
			b := raw[2*i : 2*i+2 : 2*i+2]
			out[i] = math.Float32frombits(uint32(b[0])<<16 | uint32(b[1])<<24)
		}
	}
	return out, nil
}
