package tome

import (
	"fmt"
	"sort"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// PatchOpset is the ai.onnx opset the ToMe subgraph needs: ScatterND with
// reduction="add" (and ScatterElements with a reduction) exist from opset 16.
// Models below it are raised to it, after raiseOpset's check.
const PatchOpset = 16

// An opChange is one ai.onnx operator whose schema got a new version: the version,
// and why the new version means the same for existing nodes (or, with unsafe set,
// when it does not). Taken from the ONNX Changelog (docs/Changelog.md, versions 14-16)
// and torch.onnx's symbolic_opset14/15/16 notes.
type opChange struct {
	op      string
	version int64
	same    string                           // why existing nodes keep their meaning
	unsafe  func(n *onnxpb.NodeProto) string // non-nil: returns why n would change meaning ("" if it would not)
}

// opChanges lists every operator updated in opsets 14, 15 and 16. Operators that are
// new in those opsets cannot occur in an older model and are not listed.
var opChanges = []opChange{
	{op: "Add", version: 14, same: "adds uint8/int8/uint16/int16/bfloat16 types"},
	{op: "Sub", version: 14, same: "adds uint8/int8/uint16/int16/bfloat16 types"},
	{op: "Mul", version: 14, same: "adds uint8/int8/uint16/int16/bfloat16 types"},
	{op: "Div", version: 14, same: "adds uint8/int8/uint16/int16/bfloat16 types"},
	{op: "BatchNormalization", version: 14, same: "adds training_mode (default 0: inference, the old meaning)"},
	{op: "CumSum", version: 14, same: "adds bfloat16"},
	{op: "GRU", version: 14, same: "adds layout (default 0: the old layout)"},
	{op: "LSTM", version: 14, same: "adds layout (default 0: the old layout)"},
	{op: "RNN", version: 14, same: "adds layout (default 0: the old layout)"},
	{op: "Identity", version: 14, same: "adds sequence types"},
	{op: "Relu", version: 14, same: "adds integer types"},
	{op: "Reshape", version: 14, same: "adds allowzero (default 0: the old meaning of 0 dims)"},
	{op: "BatchNormalization", version: 15, same: "separate type constraints for scale/bias and mean/var"},
	{op: "Pow", version: 15, same: "adds bfloat16 exponents"},
	{op: "Shape", version: 15, same: "adds start/end (default: the whole shape, the old meaning)"},
	{op: "GreaterOrEqual", version: 16, same: "adds bfloat16"},
	{op: "LessOrEqual", version: 16, same: "adds bfloat16"},
	{op: "Identity", version: 16, same: "adds optional types"},
	{op: "If", version: 16, same: "adds optional types (bodies are checked as nodes)"},
	{op: "Loop", version: 16, same: "adds optional types (bodies are checked as nodes)"},
	{op: "Scan", version: 16, same: "adds bfloat16 (bodies are checked as nodes)"},
	{op: "LeakyRelu", version: 16, same: "adds bfloat16"},
	{op: "PRelu", version: 16, same: "adds bfloat16"},
	{op: "ScatterElements", version: 16, same: "adds reduction (default none, the old meaning)"},
	{op: "ScatterND", version: 16, same: "adds reduction (default none, the old meaning)"},
	{op: "Where", version: 16, same: "adds bfloat16"},
	{op: "RoiAlign", version: 16, unsafe: func(n *onnxpb.NodeProto) string {
		if onnx.Attr(n, "coordinate_transformation_mode") != nil {
			return ""
		}
		return "RoiAlign-16 adds coordinate_transformation_mode whose default (half_pixel) differs from RoiAlign-10 (output_half_pixel)"
	}},
}

// An OpsetError reports a model whose opset cannot be raised to PatchOpset without
// changing what some node computes.
type OpsetError struct {
	From, To int64
	Node     string // the offending node, "" when the whole range is unsupported
	Problem  string
}

// Error names the opsets, the node and the reason.
func (e *OpsetError) Error() string {
	s := fmt.Sprintf("tome: cannot raise the model's opset %d to %d", e.From, e.To)
	if e.Node != "" {
		s += ": node " + e.Node
	}
	return s + ": " + e.Problem
}

// checkOpsetRaise checks that raising m's ai.onnx opset from its current value to to
// leaves every node's meaning as it is, including nodes in If/Loop/Scan bodies. It
// returns the op types present in m whose schema changed in between (each judged
// safe), sorted. Models below opset 13 are refused: 13 changed the meaning of
// Softmax, ReduceSum, Split, Squeeze, Unsqueeze and more.
func checkOpsetRaise(m *onnx.Model, to int64) ([]string, error) {
	from := m.Opset()
	if from >= to {
		return nil, nil
	}
	if from < 13 {
		return nil, &OpsetError{From: from, To: to, Problem: "opset 13 changed the meaning of several operators (Softmax, ReduceSum, Split, …); export the model at opset 14 or later"}
	}
	changed := map[string]bool{}
	var err error
	walkNodes(m.Proto.Graph, func(n *onnxpb.NodeProto) {
		if err != nil || (n.Domain != "" && n.Domain != "ai.onnx") {
			return
		}
		for _, c := range opChanges {
			if c.op != n.OpType || c.version <= from || c.version > to {
				continue
			}
			if c.unsafe != nil {
				if why := c.unsafe(n); why != "" {
					err = &OpsetError{From: from, To: to, Node: n.Name, Problem: why}
					return
				}
			}
			changed[n.OpType] = true
		}
	})
	if err != nil {
		return nil, err
	}
	ops := make([]string, 0, len(changed))
	for op := range changed {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops, nil
}

// raiseOpset sets m's ai.onnx opset to to (after checkOpsetRaise) and its IR version
// to at least 8, the IR version of opsets 15-16.
func raiseOpset(m *onnx.Model, to int64) {
	if m.Opset() < to {
		m.SetOpset(to)
	}
	if m.Proto.IrVersion < 8 {
		m.Proto.IrVersion = 8
	}
}

// walkNodes calls f for every node of g and of the graphs in its nodes' attributes.
func walkNodes(g *onnxpb.GraphProto, f func(*onnxpb.NodeProto)) {
	for _, n := range g.Node {
		f(n)
		for _, a := range n.Attribute {
			if a.G != nil {
				walkNodes(a.G, f)
			}
			for _, sg := range a.Graphs {
				walkNodes(sg, f)
			}
		}
	}
}
