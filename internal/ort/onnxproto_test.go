package ort

import (
	"encoding/binary"
	"math"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
)

// This file writes tiny ONNX models byte by byte with protowire, so that the
// session tests do not depend on internal/onnx. Field numbers are those of
// onnx.proto (ModelProto, GraphProto, NodeProto, ValueInfoProto, TensorProto).

// ONNX TensorProto.DataType values used by the tests.
const (
	onnxFloat   = 1
	onnxInt32   = 6
	onnxInt64   = 7
	onnxFloat16 = 10
)

func pbBytes(b []byte, field protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func pbString(b []byte, field protowire.Number, s string) []byte {
	return pbBytes(b, field, []byte(s))
}

func pbVarint(b []byte, field protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// valueInfo encodes a tensor ValueInfoProto; a dim < 0 becomes the symbolic
// dimension "d<position>".
func valueInfo(name string, elem int64, dims ...int64) []byte {
	var shape []byte
	for i, d := range dims {
		var dim []byte
		if d < 0 {
			dim = pbString(dim, 2, "d"+strconv.Itoa(i))
		} else {
			dim = pbVarint(dim, 1, d)
		}
		shape = pbBytes(shape, 1, dim)
	}
	tensor := pbVarint(nil, 1, elem)
	tensor = pbBytes(tensor, 2, shape)
	typ := pbBytes(nil, 1, tensor)
	vi := pbString(nil, 1, name)
	return pbBytes(vi, 2, typ)
}

// node encodes a NodeProto; intAttrs are INT attributes.
func node(op string, inputs, outputs []string, intAttrs map[string]int64) []byte {
	var n []byte
	for _, in := range inputs {
		n = pbString(n, 1, in)
	}
	for _, out := range outputs {
		n = pbString(n, 2, out)
	}
	n = pbString(n, 3, op+"_0")
	n = pbString(n, 4, op)
	for k, v := range intAttrs {
		a := pbString(nil, 1, k)
		a = pbVarint(a, 3, v)
		a = pbVarint(a, 20, 2) // AttributeProto.INT
		n = pbBytes(n, 5, a)
	}
	return n
}

// floatInitializer encodes a float TensorProto; with location != "" the data
// is external: stored in that file (relative to the model) at offset 0.
func floatInitializer(name string, dims []int64, values []float32, location string) (tensor, raw []byte) {
	raw = make([]byte, 4*len(values))
	for i, v := range values {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	var packed []byte
	for _, d := range dims {
		packed = protowire.AppendVarint(packed, uint64(d))
	}
	t := pbBytes(nil, 1, packed)
	t = pbVarint(t, 2, onnxFloat)
	t = pbString(t, 8, name)
	if location == "" {
		return pbBytes(t, 9, raw), raw
	}
	for _, kv := range [][2]string{{"location", location}, {"offset", "0"}, {"length", strconv.Itoa(len(raw))}} {
		e := pbString(nil, 1, kv[0])
		e = pbString(e, 2, kv[1])
		t = pbBytes(t, 13, e)
	}
	return pbVarint(t, 14, 1), raw // data_location = EXTERNAL
}

// model encodes a ModelProto (IR 8, default-domain opset 17) around a graph
// made of the given encoded nodes, initializers, inputs and outputs.
func model(nodes, initializers, inputs, outputs [][]byte) []byte {
	var g []byte
	for _, n := range nodes {
		g = pbBytes(g, 1, n)
	}
	g = pbString(g, 2, "test")
	for _, t := range initializers {
		g = pbBytes(g, 5, t)
	}
	for _, vi := range inputs {
		g = pbBytes(g, 11, vi)
	}
	for _, vi := range outputs {
		g = pbBytes(g, 12, vi)
	}
	m := pbVarint(nil, 1, 8)
	m = pbString(m, 2, "tomebench-ort-test")
	m = pbBytes(m, 7, g)
	opset := pbString(nil, 1, "")
	opset = pbVarint(opset, 2, 17)
	return pbBytes(m, 8, opset)
}

// castModel returns a model y = Cast(x, to=float16), z = x + 1 (float32),
// with x and both outputs of shape dims (negative dims are symbolic).
func castModel(dims ...int64) []byte {
	one, _ := floatInitializer("one", nil, []float32{1}, "")
	return model(
		[][]byte{
			node("Cast", []string{"x"}, []string{"y"}, map[string]int64{"to": onnxFloat16}),
			node("Add", []string{"x", "one"}, []string{"z"}, nil),
		},
		[][]byte{one},
		[][]byte{valueInfo("x", onnxFloat, dims...)},
		[][]byte{valueInfo("y", onnxFloat16, dims...), valueInfo("z", onnxFloat, dims...)},
	)
}

// externalModel returns a model y = x + w with w [2,3] stored in the
// external file location, and the bytes that file must hold.
func externalModel(w []float32, location string) (modelBytes, weights []byte) {
	init, raw := floatInitializer("w", []int64{2, 3}, w, location)
	return model(
		[][]byte{node("Add", []string{"x", "w"}, []string{"y"}, nil)},
		[][]byte{init},
		[][]byte{valueInfo("x", onnxFloat, 2, 3)},
		[][]byte{valueInfo("y", onnxFloat, 2, 3)},
	), raw
}

// intModel returns a model y = Cast(x int64, to=int32), z = x + x (int64),
// all of shape [n].
func intModel(n int64) []byte {
	return model(
		[][]byte{
			node("Cast", []string{"x"}, []string{"y"}, map[string]int64{"to": onnxInt32}),
			node("Add", []string{"x", "x"}, []string{"z"}, nil),
		},
		nil,
		[][]byte{valueInfo("x", onnxInt64, n)},
		[][]byte{valueInfo("y", onnxInt32, n), valueInfo("z", onnxInt64, n)},
	)
}
