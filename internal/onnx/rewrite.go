package onnx

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// ReplaceUses makes every consumer of old read new instead, except the nodes listed in
// except (typically the nodes that compute new from old). Graph outputs named old are
// not renamed; the caller decides about those.
func (g *Graph) ReplaceUses(old, new string, except ...*onnxpb.NodeProto) int {
	skip := map[*onnxpb.NodeProto]bool{}
	for _, n := range except {
		skip[n] = true
	}
	count := 0
	for _, n := range g.P.Node {
		if skip[n] {
			continue
		}
		for i, in := range n.Input {
			if in == old {
				n.Input[i] = new
				count++
			}
		}
	}
	g.Invalidate()
	return count
}

// Add appends nodes to the graph. Call TopoSort after a rewrite that adds nodes whose
// inputs are produced later in the stored order.
func (g *Graph) Add(nodes ...*onnxpb.NodeProto) {
	g.P.Node = append(g.P.Node, nodes...)
	if g.producer == nil {
		return
	}
	// Keep the indexes current instead of rebuilding them: builders add nodes one by one.
	for _, n := range nodes {
		g.indexNode(n)
	}
}

// AddInitializer adds a constant tensor.
func (g *Graph) AddInitializer(t *onnxpb.TensorProto) {
	g.P.Initializer = append(g.P.Initializer, t)
	if g.producer != nil {
		g.inits[t.Name] = t
		g.names[t.Name] = true
	}
}

// AddInput adds a graph input of the given element type and shape (a negative dimension
// or one named in params is dynamic).
func (g *Graph) AddInput(name string, elemType int32, shape []int64, params ...string) {
	g.P.Input = append(g.P.Input, ValueInfo(name, elemType, shape, params...))
	if g.names != nil {
		g.names[name] = true
	}
}

// ValueInfo describes a tensor value. Dimension i is symbolic when params[i] is set, and
// unknown when shape[i] < 0 and no param is given.
func ValueInfo(name string, elemType int32, shape []int64, params ...string) *onnxpb.ValueInfoProto {
	dims := make([]*onnxpb.TensorShapeProto_Dimension, len(shape))
	for i, d := range shape {
		dims[i] = &onnxpb.TensorShapeProto_Dimension{}
		switch {
		case i < len(params) && params[i] != "":
			dims[i].Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: params[i]}
		case d >= 0:
			dims[i].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}
		}
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: elemType, Shape: &onnxpb.TensorShapeProto{Dim: dims}},
	}}}
}

// Remove deletes nodes from the graph.
func (g *Graph) Remove(nodes ...*onnxpb.NodeProto) {
	drop := map[*onnxpb.NodeProto]bool{}
	for _, n := range nodes {
		drop[n] = true
	}
	kept := g.P.Node[:0]
	for _, n := range g.P.Node {
		if !drop[n] {
			kept = append(kept, n)
		}
	}
	g.P.Node = kept
	g.Invalidate()
}

// Cleanup removes nodes whose outputs nobody reads (transitively) and initializers no
// node reads; graph outputs are kept.
func (g *Graph) Cleanup() {
	for {
		g.Invalidate()
		g.index()
		var dead []*onnxpb.NodeProto
		for _, n := range g.P.Node {
			used := false
			for _, o := range n.Output {
				if o != "" && (len(g.consumers[o]) > 0 || g.IsGraphOutput(o)) {
					used = true
				}
			}
			if !used {
				dead = append(dead, n)
			}
		}
		if len(dead) == 0 {
			break
		}
		g.Remove(dead...)
	}
	kept := g.P.Initializer[:0]
	for _, t := range g.P.Initializer {
		if len(g.consumers[t.Name]) > 0 || g.IsGraphOutput(t.Name) {
			kept = append(kept, t)
		}
	}
	g.P.Initializer = kept
	g.Invalidate()
}

// A CycleError reports a graph whose nodes cannot be ordered.
type CycleError struct{ Node string }

func (e *CycleError) Error() string {
	return fmt.Sprintf("onnx: graph has a cycle or reads an undefined value at node %q", e.Node)
}

// TopoSort reorders the nodes so that each comes after the producers of its inputs,
// keeping the stored order wherever it is already valid (a stable Kahn sort).
func (g *Graph) TopoSort() error {
	g.index()
	avail := g.available()
	nodes := g.P.Node
	pending := make(map[*onnxpb.NodeProto]int, len(nodes))
	waiting := map[string][]*onnxpb.NodeProto{}
	for _, n := range nodes {
		c := 0
		for _, in := range uniq(n.Input) {
			if in != "" && !avail[in] {
				c++
				waiting[in] = append(waiting[in], n)
			}
		}
		pending[n] = c
	}
	pos := make(map[*onnxpb.NodeProto]int, len(nodes))
	for i, n := range nodes {
		pos[n] = i
	}
	// ready is kept as a min-heap on stored position, so the result is stable.
	ready := &nodeHeap{pos: pos}
	for _, n := range nodes {
		if pending[n] == 0 {
			ready.push(n)
		}
	}
	out := make([]*onnxpb.NodeProto, 0, len(nodes))
	for ready.len() > 0 {
		n := ready.pop()
		out = append(out, n)
		for _, o := range n.Output {
			for _, w := range waiting[o] {
				pending[w]--
				if pending[w] == 0 {
					ready.push(w)
				}
			}
			delete(waiting, o)
		}
	}
	if len(out) != len(nodes) {
		for _, n := range nodes {
			if pending[n] > 0 {
				return &CycleError{Node: n.Name}
			}
		}
	}
	g.P.Node = out
	g.Invalidate()
	return nil
}

// CheckTopological returns an error naming the first node that reads a value not yet
// defined (by a graph input, an initializer or an earlier node).
func (g *Graph) CheckTopological() error {
	avail := g.available()
	for _, n := range g.P.Node {
		for _, in := range n.Input {
			if in != "" && !avail[in] {
				return fmt.Errorf("onnx: node %q (%s) reads %q before it is defined", n.Name, n.OpType, in)
			}
		}
		for _, o := range n.Output {
			avail[o] = true
		}
	}
	for _, o := range g.P.Output {
		if !avail[o.Name] {
			return fmt.Errorf("onnx: graph output %q is never computed", o.Name)
		}
	}
	return nil
}

func (g *Graph) available() map[string]bool {
	avail := map[string]bool{}
	for _, v := range g.P.Input {
		avail[v.Name] = true
	}
	for _, t := range g.P.Initializer {
		avail[t.Name] = true
	}
	return avail
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

type nodeHeap struct {
	pos   map[*onnxpb.NodeProto]int
	items []*onnxpb.NodeProto
}

func (h *nodeHeap) len() int { return len(h.items) }

func (h *nodeHeap) less(i, j int) bool { return h.pos[h.items[i]] < h.pos[h.items[j]] }

func (h *nodeHeap) push(n *onnxpb.NodeProto) {
	h.items = append(h.items, n)
	for i := len(h.items) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *nodeHeap) pop() *onnxpb.NodeProto {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.items) && h.less(l, m) {
			m = l
		}
		if r < len(h.items) && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top
}
