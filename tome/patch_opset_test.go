package tome

import (
	"errors"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// TestCheckOpsetRaise: which ops are reported as checked, and which models are
// refused, when raising to PatchOpset. Expected values: the ONNX Changelog, versions
// 14-16 (see opChanges).
func TestCheckOpsetRaise(t *testing.T) {
	node := func(op string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{Name: "/" + op, OpType: op, Attribute: attrs}
	}
	roiBody := &onnxpb.GraphProto{Node: []*onnxpb.NodeProto{node("RoiAlign")}}
	cases := []struct {
		name  string
		opset int64
		nodes []*onnxpb.NodeProto
		want  []string
		bad   string // node named in the *OpsetError, "-" for a refusal of the whole range
	}{
		{"tiny-sd15 ops at 14", 14, []*onnxpb.NodeProto{node("Add"), node("Pow"), node("Shape"), node("Where"), node("Softmax")}, []string{"Pow", "Shape", "Where"}, ""},
		{"opset 13 includes 14's changes", 13, []*onnxpb.NodeProto{node("Add"), node("Reshape"), node("MatMul")}, []string{"Add", "Reshape"}, ""},
		{"already 16", 16, []*onnxpb.NodeProto{node("RoiAlign")}, nil, ""},
		{"other domains are not ai.onnx", 14, []*onnxpb.NodeProto{{Name: "/ms", OpType: "Where", Domain: "com.microsoft"}}, []string{}, ""},
		{"RoiAlign with explicit mode", 14, []*onnxpb.NodeProto{node("RoiAlign", onnx.AString("coordinate_transformation_mode", "output_half_pixel"))}, []string{"RoiAlign"}, ""},
		{"RoiAlign default mode changes", 15, []*onnxpb.NodeProto{node("RoiAlign")}, nil, "/RoiAlign"},
		{"RoiAlign inside an If body", 14, []*onnxpb.NodeProto{{Name: "/If", OpType: "If", Attribute: []*onnxpb.AttributeProto{{Name: "then_branch", Type: onnxpb.AttributeProto_GRAPH, G: roiBody}}}}, nil, "/RoiAlign"},
		{"opset 11", 11, []*onnxpb.NodeProto{node("Add")}, nil, "-"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := onnx.NewModel("ops", tc.opset)
			m.Proto.Graph.Node = tc.nodes
			got, err := checkOpsetRaise(m, PatchOpset)
			var oe *OpsetError
			switch {
			case tc.bad == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.bad != "" && !errors.As(err, &oe):
				t.Fatalf("got %v, want an *OpsetError", err)
			case tc.bad == "-" && oe.Node != "", tc.bad != "-" && tc.bad != "" && oe.Node != tc.bad:
				t.Fatalf("error names node %q, want %q: %v", oe.Node, tc.bad, err)
			}
			if tc.bad == "" && !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("checked %v, want %v", got, tc.want)
			}
		})
	}
}
