package onnx

import "github.com/tomebench/tomebench/internal/onnx/onnxpb"

// A Dim is one dimension of a value's shape: a number, a named parameter (Param set) or
// unknown (Value < 0 and no Param).
type Dim struct {
	Value int64
	Param string
}

// Shape returns the shape the graph states for a value (graph inputs, outputs,
// value_info, initializers), and false when it states none.
func (g *Graph) Shape(value string) ([]Dim, bool) {
	if t := g.Initializer(value); t != nil {
		dims := make([]Dim, len(t.Dims))
		for i, d := range t.Dims {
			dims[i] = Dim{Value: d}
		}
		return dims, true
	}
	for _, list := range [][]*onnxpb.ValueInfoProto{g.P.Input, g.P.Output, g.P.ValueInfo} {
		for _, v := range list {
			if v.Name == value {
				return valueShape(v)
			}
		}
	}
	return nil, false
}

// ElemType returns the element type the graph states for a value, or 0.
func (g *Graph) ElemType(value string) int32 {
	if t := g.Initializer(value); t != nil {
		return t.DataType
	}
	for _, list := range [][]*onnxpb.ValueInfoProto{g.P.Input, g.P.Output, g.P.ValueInfo} {
		for _, v := range list {
			if v.Name == value {
				if tt := v.GetType().GetTensorType(); tt != nil {
					return tt.ElemType
				}
			}
		}
	}
	return 0
}

func valueShape(v *onnxpb.ValueInfoProto) ([]Dim, bool) {
	tt := v.GetType().GetTensorType()
	if tt == nil || tt.Shape == nil {
		return nil, false
	}
	dims := make([]Dim, len(tt.Shape.Dim))
	for i, d := range tt.Shape.Dim {
		switch x := d.Value.(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			dims[i] = Dim{Value: x.DimValue}
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			dims[i] = Dim{Value: -1, Param: x.DimParam}
		default:
			dims[i] = Dim{Value: -1}
		}
	}
	return dims, true
}
