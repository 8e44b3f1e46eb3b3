package deepcache

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
	"github.com/tomebench/tomebench/sd/pipeline"
)

// units lists the modules a partial graph computes, named as the manifest names the
// helper's units: the helper wraps conv_in, time_embedding, conv_out and the blocks'
// resnets/attentions/samplers, so time_proj, conv_norm_out, conv_act and the blocks'
// own ops (their Concats) are left out. So is SiLU(temb) under
// down_blocks.0.resnets.0/nonlinearity_1: torch's exporter computes it once for all
// resnets and names it after the first (sd/models does the same), so it belongs to
// the time embedding here.
func units(g *onnx.Graph) []string {
	seen := map[string]bool{}
	for _, n := range g.Nodes() {
		parts := strings.Split(strings.TrimPrefix(n.Name, "/"), "/")
		mod := parts[:len(parts)-1]
		switch {
		case len(mod) == 0 || n.OpType == "Constant":
		case mod[0] == "time_proj" || mod[0] == "conv_norm_out" || mod[0] == "conv_act":
		case len(mod) >= 3 && mod[2] == "nonlinearity_1" && slices.ContainsFunc(n.Input, func(v string) bool { return strings.HasPrefix(v, "/time_embedding/") }):
		case strings.HasPrefix(mod[0], "down_blocks.") || strings.HasPrefix(mod[0], "up_blocks.") || mod[0] == "mid_block":
			if len(mod) >= 2 {
				seen[mod[0]+"."+mod[1]] = true
			}
		default:
			seen[mod[0]] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// TestCutModules checks what the partial graph computes against the reference: the
// helper's branch 0 (manifest runs.deepcache_i3_b0, computed_units of a partial call)
// and the DeepCache paper code's default (checks.paper_code, equal to the helper's
// branch 1), on an exported graph and on one built by sd/models.
func TestCutModules(t *testing.T) {
	orttest.Require(t)
	man := readManifest(t)
	cases := []struct {
		branch int
		want   []string
	}{
		{0, man.Runs["deepcache_i3_b0"].Calls[1].ComputedUnits},
		{1, man.Checks.PaperCode.Info.Paper.Units},
	}
	for _, f := range []struct {
		name string
		open func(*testing.T) *pipeline.Pipeline
	}{{"onnx-export", openONNXFolder}, {"sd-models", openDiffusersFolder}} {
		p := f.open(t)
		m, err := p.LoadUNetModel()
		if err != nil {
			t.Fatal(err)
		}
		before := len(m.Proto.Graph.Node)
		for _, c := range cases {
			full, partial, rep, err := Cut(m, c.branch)
			if err != nil {
				t.Fatalf("%s branch %d: %v", f.name, c.branch, err)
			}
			want := slices.Sorted(slices.Values(c.want))
			if got := units(partial.Graph()); !slices.Equal(got, want) {
				t.Errorf("%s branch %d: partial computes %v, want %v", f.name, c.branch, got, want)
			}
			if len(m.Proto.Graph.Node) != before {
				t.Errorf("%s: Cut changed its input graph", f.name)
			}
			for _, g := range []*onnx.Graph{full.Graph(), partial.Graph()} {
				if err := g.CheckTopological(); err != nil {
					t.Errorf("%s branch %d: %v", f.name, c.branch, err)
				}
			}
			t.Logf("%s branch %d: cut at %s (%s), %d -> %d nodes", f.name, c.branch, rep.Boundary.Concat, rep.Boundary.Value, rep.FullNodes, rep.PartialNodes)
		}
	}
}

// TestPartialEqualsFull checks the cut for every branch of the tiny UNet by a
// property: a partial call fed the feature of a full call on the same input gives the
// full call's output (the cached part is then exactly what the full graph computed).
func TestPartialEqualsFull(t *testing.T) {
	orttest.Require(t)
	for _, f := range []struct {
		name string
		open func(*testing.T) *pipeline.Pipeline
	}{{"onnx-export", openONNXFolder}, {"sd-models", openDiffusersFolder}} {
		p := f.open(t)
		// The feeds of the second call of a short baseline run (t = 801).
		var feeds map[string]*ort.Tensor
		req := pipeline.Request{Prompts: []string{"a tench"}, Height: 64, Width: 64, Steps: 2, GuidanceScale: 7.5, Seed: 1,
			BeforeUNet: func(step int, ts float64, in map[string]*ort.Tensor) error {
				if step == 1 {
					feeds = in
				}
				return nil
			}}
		if _, err := p.Generate(t.Context(), req); err != nil {
			t.Fatal(err)
		}
		for branch := 0; branch < 12; branch++ {
			m, err := Prepare(t.Context(), p, Options{Interval: 3, Branch: branch}, 64, 64)
			if err != nil {
				t.Fatalf("%s branch %d: %v", f.name, branch, err)
			}
			outName := m.Full.Session.Outputs()[0].Name
			full, err := m.Full.Session.Run(feeds, nil)
			if err != nil {
				t.Fatal(err)
			}
			pf := map[string]*ort.Tensor{FeatureName: full[FeatureName]}
			for k, v := range feeds {
				pf[k] = v
			}
			part, err := m.Partial.Session.Run(pf, []string{outName})
			if err != nil {
				t.Fatal(err)
			}
			d := testutil.MaxAbsDiff(part[outName].Float32s(), full[outName].Float32s())
			b := m.Report.Boundary
			t.Logf("%s branch %d (layer %d, block %d): up_blocks.%d.resnets.%d on %v; %d of %d nodes; |partial - full| %.3g",
				f.name, branch, b.Layer, b.Block, b.UpBlock, b.Resnet, full[FeatureName].Shape, m.Report.PartialNodes, m.Report.FullNodes, d)
			// Same kernels on the same values: equal up to ORT's fusion choices.
			if d > 1e-5 {
				t.Errorf("%s branch %d: partial(feature of full) differs from full by %.3g", f.name, branch, d)
			}
			m.Close()
		}
		if _, err := Prepare(t.Context(), p, Options{Interval: 3, Branch: 12}, 64, 64); err == nil {
			t.Errorf("%s: branch 12 of a 4-block UNet prepared; want an error", f.name)
		}
	}
}

// TestCutErrors checks graphs Cut cannot cut.
func TestCutErrors(t *testing.T) {
	m := onnx.NewModel("empty", 17)
	if _, _, _, err := Cut(m, 0); err == nil || !strings.Contains(err.Error(), "up_blocks") {
		t.Errorf("graph without up blocks: %v", err)
	}
	if _, _, _, err := Cut(m, -1); err == nil {
		t.Errorf("branch -1: no error")
	}
}
