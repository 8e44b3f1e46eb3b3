package onnx

import "github.com/tomebench/tomebench/internal/onnx/onnxpb"

// Typed helpers for the operators tomebench emits. Each returns its output's name. Where
// an operator's form changed between opsets, the helper emits the form of b.Opset.

// Add is x + y (broadcasting).
func (b *Builder) Add(x, y string) string { return b.Op("Add", []string{x, y}) }

// Sub is x − y.
func (b *Builder) Sub(x, y string) string { return b.Op("Sub", []string{x, y}) }

// Mul is x · y (elementwise).
func (b *Builder) Mul(x, y string) string { return b.Op("Mul", []string{x, y}) }

// Div is x / y.
func (b *Builder) Div(x, y string) string { return b.Op("Div", []string{x, y}) }

// Pow is x^y.
func (b *Builder) Pow(x, y string) string { return b.Op("Pow", []string{x, y}) }

// MatMul is numpy's matmul.
func (b *Builder) MatMul(x, y string) string { return b.Op("MatMul", []string{x, y}) }

// Unary adds a one-input operator such as Sqrt, Exp, Erf, Sigmoid, Neg, Relu, Tanh.
func (b *Builder) Unary(op, x string) string { return b.Op(op, []string{x}) }

// Softmax over axis.
func (b *Builder) Softmax(x string, axis int64) string {
	return b.Op("Softmax", []string{x}, AInt("axis", axis))
}

// Transpose permutes axes.
func (b *Builder) Transpose(x string, perm ...int64) string {
	return b.Op("Transpose", []string{x}, AInts("perm", perm...))
}

// Reshape to a constant shape (0 copies a dimension, −1 infers one).
func (b *Builder) Reshape(x string, shape ...int64) string {
	return b.Op("Reshape", []string{x, b.Int64s(shape...)})
}

// ReshapeTo reshapes to a shape given as a value.
func (b *Builder) ReshapeTo(x, shape string) string { return b.Op("Reshape", []string{x, shape}) }

// Concat joins along axis.
func (b *Builder) Concat(axis int64, xs ...string) string {
	return b.Op("Concat", xs, AInt("axis", axis))
}

// Gather takes slices of x at indices along axis.
func (b *Builder) Gather(x, indices string, axis int64) string {
	return b.Op("Gather", []string{x, indices}, AInt("axis", axis))
}

// GatherElements is torch.gather.
func (b *Builder) GatherElements(x, indices string, axis int64) string {
	return b.Op("GatherElements", []string{x, indices}, AInt("axis", axis))
}

// ScatterElements is torch.scatter (reduction "none") or scatter_reduce with "add",
// "mul", "max", "min". A reduction needs opset ≥ 16 ("max"/"min" ≥ 18).
func (b *Builder) ScatterElements(data, indices, updates string, axis int64, reduction string) string {
	attrs := []*onnxpb.AttributeProto{AInt("axis", axis)}
	if reduction != "" && reduction != "none" {
		if b.Opset < 16 {
			panic("onnx: ScatterElements with reduction needs opset >= 16")
		}
		attrs = append(attrs, AString("reduction", reduction))
	}
	return b.Op("ScatterElements", []string{data, indices, updates}, attrs...)
}

// Reduce adds a reduction (ReduceMean, ReduceMax, ReduceSum, ReduceL2, …) over axes.
// The axes are an input from opset 13 for ReduceSum and from opset 18 for the others,
// an attribute before.
func (b *Builder) Reduce(op, x string, keepdims bool, axes ...int64) string {
	kd := AInt("keepdims", boolInt(keepdims))
	asInput := b.Opset >= 18 || (op == "ReduceSum" && b.Opset >= 13)
	if asInput {
		return b.Op(op, []string{x, b.Int64s(axes...)}, kd)
	}
	return b.Op(op, []string{x}, AInts("axes", axes...), kd)
}

// ArgMax along axis.
func (b *Builder) ArgMax(x string, axis int64, keepdims bool) string {
	return b.Op("ArgMax", []string{x}, AInt("axis", axis), AInt("keepdims", boolInt(keepdims)))
}

// TopK returns the k largest (or smallest) values along axis and their indices, sorted.
// k is an int64 value of shape [1].
func (b *Builder) TopK(x, k string, axis int64, largest bool) (values, indices string) {
	out := b.OpN("TopK", []string{x, k}, 2, AInt("axis", axis), AInt("largest", boolInt(largest)), AInt("sorted", 1))
	return out[0], out[1]
}

// Unsqueeze inserts axes (attribute before opset 13, input from 13).
func (b *Builder) Unsqueeze(x string, axes ...int64) string {
	if b.Opset >= 13 {
		return b.Op("Unsqueeze", []string{x, b.Int64s(axes...)})
	}
	return b.Op("Unsqueeze", []string{x}, AInts("axes", axes...))
}

// Squeeze removes axes (attribute before opset 13, input from 13).
func (b *Builder) Squeeze(x string, axes ...int64) string {
	if b.Opset >= 13 {
		return b.Op("Squeeze", []string{x, b.Int64s(axes...)})
	}
	return b.Op("Squeeze", []string{x}, AInts("axes", axes...))
}

// Slice takes x[starts:ends] along axes with step 1.
func (b *Builder) Slice(x string, starts, ends, axes []int64) string {
	return b.Op("Slice", []string{x, b.Int64s(starts...), b.Int64s(ends...), b.Int64s(axes...)})
}

// SliceV is Slice with starts and ends given as values.
func (b *Builder) SliceV(x, starts, ends string, axes []int64) string {
	return b.Op("Slice", []string{x, starts, ends, b.Int64s(axes...)})
}

// Split cuts x along axis into parts of the given sizes.
func (b *Builder) Split(x string, axis int64, sizes ...int64) []string {
	if b.Opset >= 13 {
		return b.OpN("Split", []string{x, b.Int64s(sizes...)}, len(sizes), AInt("axis", axis))
	}
	return b.OpN("Split", []string{x}, len(sizes), AInt("axis", axis), AInts("split", sizes...))
}

// Cast converts to element type to (e.g. Float, Int64).
func (b *Builder) Cast(x string, to int32) string {
	return b.Op("Cast", []string{x}, AInt("to", int64(to)))
}

// Shape returns x's shape as int64 [rank].
func (b *Builder) Shape(x string) string { return b.Op("Shape", []string{x}) }

// Expand broadcasts x to a shape value.
func (b *Builder) Expand(x, shape string) string { return b.Op("Expand", []string{x, shape}) }

// Conv is a 2-D convolution with square kernel padding pad, stride and groups; bias may
// be "".
func (b *Builder) Conv(x, w, bias string, kernel, pad, stride, group int64) string {
	in := []string{x, w}
	if bias != "" {
		in = append(in, bias)
	}
	return b.Op("Conv", in,
		AInts("dilations", 1, 1), AInt("group", group), AInts("kernel_shape", kernel, kernel),
		AInts("pads", pad, pad, pad, pad), AInts("strides", stride, stride))
}

// Gemm is alpha·x·wᵀ + bias when transB (torch's Linear on 2-D input).
func (b *Builder) Gemm(x, w, bias string, transB bool) string {
	return b.Op("Gemm", []string{x, w, bias}, AFloat("alpha", 1), AFloat("beta", 1), AInt("transB", boolInt(transB)))
}

// LayerNormalization over the last axis (opset ≥ 17).
func (b *Builder) LayerNormalization(x, scale, bias string, eps float32) string {
	if b.Opset < 17 {
		panic("onnx: LayerNormalization needs opset >= 17")
	}
	return b.Op("LayerNormalization", []string{x, scale, bias}, AInt("axis", -1), AFloat("epsilon", eps))
}

// Where is cond ? x : y.
func (b *Builder) Where(cond, x, y string) string { return b.Op("Where", []string{cond, x, y}) }

func boolInt(v bool) int64 {
	if v {
		return 1
	}
	return 0
}
