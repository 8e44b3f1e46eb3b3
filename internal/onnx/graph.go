package onnx

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// A Graph is an editable view of a GraphProto. Nodes, values and initializers stay in the
// proto; the Graph keeps indexes over them (who produces and who consumes each value),
// rebuilt lazily after an edit made through its methods. Edit the proto directly only
// with a call to Invalidate afterwards.
type Graph struct {
	P *onnxpb.GraphProto

	producer  map[string]*onnxpb.NodeProto
	consumers map[string][]*onnxpb.NodeProto
	inits     map[string]*onnxpb.TensorProto
	names     map[string]bool // every node and value name in use
	counter   map[string]int
}

// NewGraph wraps p.
func NewGraph(p *onnxpb.GraphProto) *Graph { return &Graph{P: p} }

// Invalidate drops the indexes after the proto was edited directly.
func (g *Graph) Invalidate() { g.producer = nil }

func (g *Graph) index() {
	if g.producer != nil {
		return
	}
	g.producer = map[string]*onnxpb.NodeProto{}
	g.consumers = map[string][]*onnxpb.NodeProto{}
	g.inits = map[string]*onnxpb.TensorProto{}
	if g.names == nil {
		g.names = map[string]bool{}
	}
	for _, t := range g.P.Initializer {
		g.inits[t.Name] = t
		g.names[t.Name] = true
	}
	for _, v := range g.P.Input {
		g.names[v.Name] = true
	}
	for _, n := range g.P.Node {
		g.indexNode(n)
	}
}

// indexNode adds n to the indexes: its name and outputs as used names, n as the
// producer of its outputs and a consumer of its inputs.
func (g *Graph) indexNode(n *onnxpb.NodeProto) {
	g.names[n.Name] = true
	for _, o := range n.Output {
		if o != "" {
			g.producer[o] = n
			g.names[o] = true
		}
	}
	for _, in := range n.Input {
		if in != "" && !contains(g.consumers[in], n) {
			g.consumers[in] = append(g.consumers[in], n)
		}
	}
}

func contains(ns []*onnxpb.NodeProto, n *onnxpb.NodeProto) bool {
	for _, m := range ns {
		if m == n {
			return true
		}
	}
	return false
}

// Nodes returns the graph's nodes in their stored order.
func (g *Graph) Nodes() []*onnxpb.NodeProto { return g.P.Node }

// Find returns the nodes for which keep is true, in stored order.
func (g *Graph) Find(keep func(*onnxpb.NodeProto) bool) []*onnxpb.NodeProto {
	var out []*onnxpb.NodeProto
	for _, n := range g.P.Node {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

// ByOp returns the nodes of the given op type.
func (g *Graph) ByOp(op string) []*onnxpb.NodeProto {
	return g.Find(func(n *onnxpb.NodeProto) bool { return n.OpType == op })
}

// ByName returns the node with that name, or nil.
func (g *Graph) ByName(name string) *onnxpb.NodeProto {
	for _, n := range g.P.Node {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// InScope returns the nodes whose name lies under the scope prefix, e.g.
// "/down_blocks.0/attentions.0/transformer_blocks.0/attn1" matches
// "/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_q/MatMul" but not
// ".../attn10/...".
func (g *Graph) InScope(scope string) []*onnxpb.NodeProto {
	scope = strings.TrimSuffix(scope, "/")
	return g.Find(func(n *onnxpb.NodeProto) bool { return InScope(n.Name, scope) })
}

// InScope reports whether name lies under scope (a "/"-separated prefix).
func InScope(name, scope string) bool {
	return name == scope || strings.HasPrefix(name, scope+"/")
}

// Producer returns the node that outputs value, or nil for graph inputs, initializers
// and unknown names.
func (g *Graph) Producer(value string) *onnxpb.NodeProto {
	g.index()
	return g.producer[value]
}

// Consumers returns the nodes that read value, in stored order.
func (g *Graph) Consumers(value string) []*onnxpb.NodeProto {
	g.index()
	return g.consumers[value]
}

// Initializer returns the initializer called name, or nil.
func (g *Graph) Initializer(name string) *onnxpb.TensorProto {
	g.index()
	return g.inits[name]
}

// IsGraphOutput reports whether value is one of the graph's outputs.
func (g *Graph) IsGraphOutput(value string) bool {
	for _, o := range g.P.Output {
		if o.Name == value {
			return true
		}
	}
	return false
}

// Input returns the graph input called name, or nil.
func (g *Graph) Input(name string) *onnxpb.ValueInfoProto {
	for _, v := range g.P.Input {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Attr returns a node's attribute by name, or nil.
func Attr(n *onnxpb.NodeProto, name string) *onnxpb.AttributeProto {
	for _, a := range n.Attribute {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// AttrInt returns an integer attribute, or def when absent.
func AttrInt(n *onnxpb.NodeProto, name string, def int64) int64 {
	if a := Attr(n, name); a != nil {
		return a.I
	}
	return def
}

// AttrInts returns an integer-list attribute, or nil when absent.
func AttrInts(n *onnxpb.NodeProto, name string) []int64 {
	if a := Attr(n, name); a != nil {
		return a.Ints
	}
	return nil
}

// FreshName returns a name starting with base that no node or value uses yet, and
// reserves it.
func (g *Graph) FreshName(base string) string {
	g.index()
	if g.counter == nil {
		g.counter = map[string]int{}
	}
	name := base
	for g.names[name] {
		g.counter[base]++
		name = fmt.Sprintf("%s_%d", base, g.counter[base])
	}
	g.names[name] = true
	return name
}

// Scopes returns the distinct scope prefixes of the given depth (number of "/"-separated
// parts) found among node names, sorted, e.g. depth 3 on a UNet gives
// "/down_blocks.0/attentions.0/transformer_blocks.0".
func (g *Graph) Scopes(depth int) []string {
	seen := map[string]bool{}
	for _, n := range g.P.Node {
		parts := strings.Split(strings.TrimPrefix(n.Name, "/"), "/")
		if len(parts) <= depth {
			continue
		}
		seen["/"+strings.Join(parts[:depth], "/")] = true
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
