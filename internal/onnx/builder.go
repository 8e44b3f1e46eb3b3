package onnx

import (
	"math"

	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// A Builder appends nodes to a graph under a scope, naming them as torch.onnx.export
// does: node "/scope/Op" (then "/scope/Op_1", …) with output "/scope/Op_output_0".
// Builders are cheap; Scope returns a child that shares the graph.
type Builder struct {
	G     *Graph
	Opset int64
	scope string
}

// NewBuilder returns a builder that adds to g at the root scope, emitting the forms of
// the given ai.onnx opset.
func NewBuilder(g *Graph, opset int64) *Builder { return &Builder{G: g, Opset: opset} }

// Scope returns a builder whose nodes are named under the child scope name.
func (b *Builder) Scope(name string) *Builder {
	return &Builder{G: b.G, Opset: b.Opset, scope: b.scope + "/" + name}
}

// ScopeName is the builder's scope, e.g. "/down_blocks.0/attentions.0".
func (b *Builder) ScopeName() string { return b.scope }

// Op adds a node with one output and returns the output's name.
func (b *Builder) Op(op string, inputs []string, attrs ...*onnxpb.AttributeProto) string {
	return b.OpN(op, inputs, 1, attrs...)[0]
}

// OpN adds a node with n outputs and returns their names.
func (b *Builder) OpN(op string, inputs []string, n int, attrs ...*onnxpb.AttributeProto) []string {
	name := b.G.FreshName(b.scope + "/" + op)
	outs := make([]string, n)
	for i := range outs {
		outs[i] = b.G.FreshName(name + "_output_" + itoa(i))
	}
	b.G.Add(&onnxpb.NodeProto{Name: name, OpType: op, Input: inputs, Output: outs, Attribute: attrs})
	return outs
}

// Const adds t as an initializer under a fresh name derived from its own name (or the
// scope) and returns that name.
func (b *Builder) Const(t *onnxpb.TensorProto) string {
	base := t.Name
	if base == "" {
		base = b.scope + "/Constant"
	}
	t.Name = b.G.FreshName(base)
	b.G.AddInitializer(t)
	return t.Name
}

// Floats adds a float32 constant of the given shape.
func (b *Builder) Floats(dims []int64, data []float32) string {
	return b.Const(TensorFloat32("", dims, data))
}

// Scalar adds a float32 scalar constant.
func (b *Builder) Scalar(v float32) string { return b.Floats(nil, []float32{v}) }

// Int64s adds a 1-D int64 constant.
func (b *Builder) Int64s(v ...int64) string {
	return b.Const(TensorInt64("", []int64{int64(len(v))}, v))
}

// ScalarInt64 adds an int64 scalar constant.
func (b *Builder) ScalarInt64(v int64) string { return b.Const(TensorInt64("", nil, []int64{v})) }

// Named adds an initializer under exactly the given name (a weight such as
// "down_blocks.0.resnets.0.conv1.weight") and returns it.
func (b *Builder) Named(t *onnxpb.TensorProto) string {
	b.G.index()
	b.G.names[t.Name] = true
	b.G.AddInitializer(t)
	return t.Name
}

// AInt is an integer attribute.
func AInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: v}
}

// AInts is an integer-list attribute.
func AInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

// AFloat is a float attribute.
func AFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: v}
}

// AFloats is a float-list attribute.
func AFloats(name string, v ...float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOATS, Floats: v}
}

// AString is a string attribute.
func AString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
}

// ATensor is a tensor attribute (as Constant's value).
func ATensor(name string, t *onnxpb.TensorProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_TENSOR, T: t}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + itoa(i%10)
}

// Inf is float32 +infinity, for masks.
var Inf = float32(math.Inf(1))
