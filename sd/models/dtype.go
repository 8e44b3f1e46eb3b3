package models

import (
	"encoding/binary"
	"math"

	"github.com/tomebench/tomebench/internal/half"
	"github.com/tomebench/tomebench/internal/onnx"
)

// Element-type helpers: constants in the graph's float type, float32 islands in Float16
// graphs, and graph inputs and outputs in the IO type.

// floatBytes encodes v as little-endian float32 or float16.
func floatBytes(v []float32, f16 bool) []byte {
	if f16 {
		b := make([]byte, 2*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint16(b[2*i:], half.Float32ToF16(x))
		}
		return b
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// constant adds a float constant in the graph's element type.
func (c *ctx) constant(b *onnx.Builder, dims []int64, v []float32) string {
	if c.opt.Float16 {
		return b.Const(onnx.TensorFloat16("", dims, v))
	}
	return b.Floats(dims, v)
}

// scalar adds a float scalar constant in the graph's element type.
func (c *ctx) scalar(b *onnx.Builder, v float32) string { return c.constant(b, nil, []float32{v}) }

// toFloat32 casts x to float32 in a Float16 graph (no-op otherwise).
func (c *ctx) toFloat32(b *onnx.Builder, x string) string {
	if c.opt.Float16 {
		return b.Cast(x, onnx.Float)
	}
	return x
}

// fromFloat32 casts a float32 x back to the graph's element type.
func (c *ctx) fromFloat32(b *onnx.Builder, x string) string {
	if c.opt.Float16 {
		return b.Cast(x, onnx.Float16)
	}
	return x
}

// input declares a float graph input and returns the value to compute with (cast to
// the graph's element type when the IO type differs).
func (c *ctx) floatInput(name string, shape []int64, params ...string) string {
	c.g.AddInput(name, c.opt.ioElem(), shape, params...)
	if c.opt.ioElem() != c.opt.elem() {
		return c.root.Cast(name, c.opt.elem())
	}
	return name
}

// floatOutput makes x the graph output called name, casting to the IO type.
func (c *ctx) floatOutput(b *onnx.Builder, x, name string, shape []int64, params ...string) {
	if c.opt.ioElem() != c.opt.elem() {
		x = b.Cast(x, c.opt.ioElem())
	}
	c.rename(x, name)
	c.g.P.Output = append(c.g.P.Output, onnx.ValueInfo(name, c.opt.ioElem(), shape, params...))
}

// rename makes the node producing value x write name instead (x must have no other
// consumers yet, which holds for the last node of a builder).
func (c *ctx) rename(x, name string) {
	p := c.g.Producer(x)
	if p == nil {
		panic("models: output " + x + " has no producer")
	}
	for i, o := range p.Output {
		if o == x {
			p.Output[i] = name
		}
	}
	for _, n := range c.g.Nodes() {
		for i, in := range n.Input {
			if in == x {
				n.Input[i] = name
			}
		}
	}
	c.g.Invalidate()
}
