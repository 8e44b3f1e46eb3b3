package agentsd

import (
	"path/filepath"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/tome"
)

// TestAgentAttentionCalls runs the agent attention subgraph alone, with the tiny
// UNet's attn1 weights, on the merged tokens X and agents A the reference recorded
// for each agent call of run agentsd_r40_s44_a95_norand (…_callNN_attn1_x / _agent),
// and compares attn1's output (after to_out) with …_callNN_attn1_out. The manifest's
// float64 restatement of the formula matched these to 1.5e-7.
func TestAgentAttentionCalls(t *testing.T) {
	orttest.Require(t)
	cases := []struct {
		call  string
		block string
		tol   float64
	}{
		{"call00", "down_blocks.0.attentions.0.transformer_blocks.0", 1e-5},
		{"call08", "up_blocks.3.attentions.0.transformer_blocks.0", 1e-5},
		{"call09", "up_blocks.3.attentions.1.transformer_blocks.0", 1e-5},
	}
	um := loadUNet(t)
	sites, err := tome.FindSites(um, [2]int{})
	if err != nil {
		t.Fatal(err)
	}
	ug := um.Graph()
	o := Phases(DefaultOptions())[0]
	for _, c := range cases {
		t.Run(c.call, func(t *testing.T) {
			var site tome.Site
			for _, s := range sites.Blocks {
				if s.Name == c.block {
					site = s
				}
			}
			at, err := findAttn(um, ug, site)
			if err != nil {
				t.Fatal(err)
			}
			weight := func(producer string) string { // the weight initializer of the MatMul making value producer
				return ug.Producer(producer).Input[1]
			}
			toOut := at.toOut[0]
			bias := ug.Consumers(toOut.Output[0])[0]
			if toOut.OpType != "MatMul" || bias.OpType != "Add" {
				t.Fatalf("to_out.0 is %s → %s, want MatMul → Add", toOut.OpType, bias.OpType)
			}
			biasName := bias.Input[0]
			if ug.Initializer(biasName) == nil {
				biasName = bias.Input[1]
			}

			// X, A → q, k, v (to_q/k/v weights) → agent attention → to_out.
			m := onnx.NewModel("agent_attention", 17)
			g := m.Graph()
			g.AddInput("x", onnx.Float, []int64{2, -1, int64(at.dim)})
			g.AddInput("agent", onnx.Float, []int64{2, -1, int64(at.dim)})
			b := onnx.NewBuilder(g, 17)
			init := map[string]string{}
			for _, name := range []string{weight(at.q), weight(at.k), weight(at.v), toOut.Input[1], biasName} {
				if _, ok := init[name]; !ok {
					init[name] = b.Named(ug.Initializer(name))
				}
			}
			sub := attnSite{q: b.MatMul("x", init[weight(at.q)]), k: b.MatMul("x", init[weight(at.k)]), v: b.MatMul("x", init[weight(at.v)]),
				wq: init[weight(at.q)], heads: at.heads, dim: at.dim}
			out := emitAgentAttention(b, sub, "agent", o)
			y := b.Add(b.MatMul(out, init[toOut.Input[1]]), init[biasName])
			g.P.Output = append(g.P.Output, onnx.ValueInfo(y, onnx.Float, []int64{2, -1, int64(at.dim)}))

			prefix := filepath.Join(fixtureDir, "agentsd_r40_s44_a95_norand_"+c.call+"_attn1_")
			x := testutil.ReadNPY(t, prefix+"x.npy")
			a := testutil.ReadNPY(t, prefix+"agent.npy")
			s := orttest.NewSession(t, m, ort.SessionOptions{})
			defer s.Close()
			res, err := s.Run(map[string]*ort.Tensor{
				"x":     ort.NewFloat32(testutil.Shape64(x.Shape), x.Float32s()),
				"agent": ort.NewFloat32(testutil.Shape64(a.Shape), a.Float32s()),
			}, []string{y})
			if err != nil {
				t.Fatal(err)
			}
			d := testutil.MaxAbsDiff(res[y].Float32s(), testutil.ReadNPY(t, prefix+"out.npy").Float32s())
			t.Logf("%s (%s, %d heads, X %v, agents %v): max abs diff %.3g", c.call, c.block, at.heads, x.Shape, a.Shape, d)
			if !(d <= c.tol) {
				t.Errorf("max abs diff %.3g > %g", d, c.tol)
			}
		})
	}
}
