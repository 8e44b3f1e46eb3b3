package onnx

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// weightsModel builds y = Relu(x·W + B) with x [1, k], W [k, n] random.
//
//	x ──MatMul(W)──Add(B)──Relu── y
func weightsModel(t testing.TB, k, n int) *Model {
	m := NewModel("weights", 17)
	g := m.Graph()
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, k*n)
	for i := range w {
		w[i] = rng.Float32() - 0.5
	}
	bias := make([]float32, n)
	for i := range bias {
		bias[i] = rng.Float32()
	}
	g.AddInput("x", Float, []int64{1, int64(k)})
	b := NewBuilder(g, 17).Scope("lin")
	wn := b.Named(TensorFloat32("W", []int64{int64(k), int64(n)}, w))
	bn := b.Named(TensorFloat32("B", []int64{int64(n)}, bias))
	y := b.Unary("Relu", b.Add(b.MatMul("x", wn), bn))
	g.P.Output = append(g.P.Output, ValueInfo(y, Float, []int64{1, int64(n)}))
	if err := g.CheckTopological(); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBuilderNames(t *testing.T) {
	g := NewModel("g", 17).Graph()
	g.AddInput("x", Float, []int64{2, 3})
	b := NewBuilder(g, 17).Scope("down_blocks.0").Scope("attentions.0")
	a := b.Unary("Relu", "x")
	c := b.Unary("Relu", a)
	if a != "/down_blocks.0/attentions.0/Relu_output_0" || c != "/down_blocks.0/attentions.0/Relu_1_output_0" {
		t.Errorf("names %q, %q do not follow torch's scheme", a, c)
	}
	if got := len(g.InScope("/down_blocks.0/attentions.0")); got != 2 {
		t.Errorf("InScope found %d nodes, want 2", got)
	}
	if got := len(g.InScope("/down_blocks.0/attentions")); got != 0 {
		t.Errorf("InScope matched a partial scope part: %d nodes", got)
	}
	if p := g.Producer(c); p == nil || p.Name != "/down_blocks.0/attentions.0/Relu_1" {
		t.Errorf("Producer(%s) = %v", c, p)
	}
	if cs := g.Consumers(a); len(cs) != 1 || cs[0].Output[0] != c {
		t.Errorf("Consumers(%s) = %v", a, cs)
	}
	if s := g.Scopes(2); !reflect.DeepEqual(s, []string{"/down_blocks.0/attentions.0"}) {
		t.Errorf("Scopes(2) = %v", s)
	}
}

// TestRewrite inserts a node between two others, as a patcher does:
//
//	x ─A─ a ─B─ y      becomes      x ─A─ a ─N─ n ─B─ y
//
// with N appended at the end of the node list, then sorted back into place.
func TestRewrite(t *testing.T) {
	g := NewModel("g", 17).Graph()
	g.AddInput("x", Float, []int64{4})
	b := NewBuilder(g, 17)
	a := b.Unary("Neg", "x")
	y := b.Unary("Exp", a)
	g.P.Output = append(g.P.Output, ValueInfo(y, Float, []int64{4}))

	n := b.Scope("inserted").Unary("Sqrt", a)
	inserted := g.Producer(n)
	if got := g.ReplaceUses(a, n, inserted); got != 1 {
		t.Fatalf("ReplaceUses changed %d inputs, want 1", got)
	}
	if err := g.CheckTopological(); err == nil || !strings.Contains(err.Error(), "Exp") {
		t.Fatalf("CheckTopological = %v, want an error at Exp", err)
	}
	if err := g.TopoSort(); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, nd := range g.Nodes() {
		order = append(order, nd.OpType)
	}
	if !reflect.DeepEqual(order, []string{"Neg", "Sqrt", "Exp"}) {
		t.Errorf("order after TopoSort %v", order)
	}
	if err := g.CheckTopological(); err != nil {
		t.Error(err)
	}

	// A dangling node and an unused constant are cleaned up.
	b.Unary("Relu", "x")
	b.Int64s(1, 2)
	g.Cleanup()
	if len(g.Nodes()) != 3 || len(g.P.Initializer) != 0 {
		t.Errorf("Cleanup left %d nodes, %d initializers", len(g.Nodes()), len(g.P.Initializer))
	}

	// A cycle is reported, not looped on.
	g.Nodes()[0].Input[0] = y
	if err := g.TopoSort(); err == nil {
		t.Error("TopoSort accepted a cycle")
	}
}

func TestFreshNameAndShape(t *testing.T) {
	g := NewModel("g", 17).Graph()
	g.AddInput("sample", Float, []int64{-1, 4, 64, 64}, "batch")
	if n := g.FreshName("sample"); n != "sample_1" {
		t.Errorf("FreshName = %q", n)
	}
	if n := g.FreshName("sample"); n != "sample_2" {
		t.Errorf("FreshName = %q", n)
	}
	dims, ok := g.Shape("sample")
	if !ok || !reflect.DeepEqual(dims, []Dim{{-1, "batch"}, {4, ""}, {64, ""}, {64, ""}}) {
		t.Errorf("Shape = %v, %v", dims, ok)
	}
	if g.ElemType("sample") != Float {
		t.Error("ElemType")
	}
}

func TestReduceForms(t *testing.T) {
	for _, c := range []struct {
		op       string
		opset    int64
		asInputs bool
	}{
		{"ReduceMax", 17, false}, {"ReduceMax", 18, true},
		{"ReduceL2", 14, false}, {"ReduceSum", 13, true}, {"ReduceSum", 12, false},
	} {
		g := NewModel("g", c.opset).Graph()
		NewBuilder(g, c.opset).Reduce(c.op, "x", true, -1)
		n := g.Nodes()[0]
		if got := len(n.Input) == 2; got != c.asInputs || (Attr(n, "axes") == nil) == !c.asInputs {
			t.Errorf("%s at opset %d: axes as input = %v", c.op, c.opset, got)
		}
	}
}
