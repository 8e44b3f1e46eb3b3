package tome

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

// TestPatchBlockMatchesReference patches one-block graphs of the shapes real exports
// take and checks ORT's output against the block computed in Go with the reference
// matching (BipartiteSoftMatching, Merge, Unmerge) on the same partition. Expected
// values: testUNet.forward; tolerance covers float32 vs float64 sums.
func TestPatchBlockMatchesReference(t *testing.T) {
	orttest.Require(t)
	all := func(o Options) Options { o.MergeCrossAttn, o.MergeMLP = true, true; return o }
	norand := func(o Options) Options { o.UseRand = false; return o }
	def := DefaultOptions()
	cases := []struct {
		name string
		u    testUNet
		o    Options
		B    int
		tol  float64
	}{
		{"opset14_conv_2heads_norand", testUNet{opset: 14, H: 8, W: 8, Cin: 4, C: 16, heads: 2, ctxLen: 7, ctxDim: 12, ff: 32}, norand(def), 2, 2e-5},
		{"opset14_conv_2heads_rand_shape_hints", testUNet{opset: 14, H: 8, W: 8, Cin: 4, C: 16, heads: 2, ctxLen: 7, ctxDim: 12, ff: 32, shapeHints: true, staticLatent: true}, def, 2, 2e-5},
		{"opset17_layernorm_linear_5heads_all", testUNet{opset: 17, linear: true, H: 8, W: 12, Cin: 4, C: 40, heads: 5, ctxLen: 5, ctxDim: 24, ff: 64}, all(def), 2, 2e-5},
		{"opset17_nondivisible_s42_r90", testUNet{opset: 17, linear: true, H: 7, W: 10, Cin: 3, C: 24, heads: 3, ctxLen: 5, ctxDim: 8, ff: 48},
			func() Options { o := all(def); o.SX, o.SY, o.Ratio = 4, 2, 0.9; return o }(), 2, 2e-5},
		{"opset14_odd_batch_rand_is_topleft", testUNet{opset: 14, H: 6, W: 6, Cin: 4, C: 16, heads: 4, ctxLen: 3, ctxDim: 8, ff: 16}, def, 3, 2e-5},
		{"opset14_ratio_all_src", testUNet{opset: 14, H: 6, W: 8, Cin: 4, C: 16, heads: 1, ctxLen: 3, ctxDim: 8, ff: 16},
			func() Options { o := def; o.Ratio = 1; return o }(), 2, 2e-5}, // r = Ns: no src stays unmerged
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.u
			m := u.build(uint64(100 + i))
			rep, err := Patch(m, PatchOptions{Options: tc.o, Latent: [2]int{u.H, u.W}})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Patched != 1 {
				t.Fatalf("patched %d blocks, want 1 (%+v)", rep.Patched, rep.Blocks)
			}
			if d, _ := valueDims(m.Graph().Input("sample")); d[2] != int64(u.H) || d[3] != int64(u.W) {
				t.Errorf("sample input stated as %v after patching for a %dx%d latent", d, u.H, u.W)
			}
			if vi := m.Proto.Graph.ValueInfo; u.shapeHints && (len(vi) != 1 || onnx.InScope(vi[0].Name, "/down_blocks.0/attentions.0/transformer_blocks.0/attn1")) {
				t.Errorf("value_info after patching: %v; want only the block input's (attn1's q now has N-r tokens)", vi)
			}
			rng := rand.New(rand.NewPCG(uint64(i), 7))
			N := u.H * u.W
			sample := randFloats(rng, tc.B*u.Cin*N)
			ctx := randFloats(rng, tc.B*u.ctxLen*u.ctxDim)
			feeds := map[string]*ort.Tensor{
				"sample":                ort.NewFloat32([]int64{int64(tc.B), int64(u.Cin), int64(u.H), int64(u.W)}, sample),
				"encoder_hidden_states": ort.NewFloat32([]int64{int64(tc.B), int64(u.ctxLen), int64(u.ctxDim)}, ctx),
			}
			randIdx := TopLeft(u.H, u.W, tc.o.SX, tc.o.SY)
			if tc.o.UseRand {
				in := rep.RandInputs[0]
				draw := in.Draw(NewPartitioner(uint64(i), true))
				feeds[in.Name] = ort.NewInt64(in.Shape(), draw)
				if tc.o.UseRandFor(tc.B) {
					randIdx = draw
				}
			}
			got := runModel(t, m, feeds)

			// The reference: the same block in Go, merged with the reference matching
			// computed on the block input x (ToMe's metric).
			part, err := NewPartition(u.H, u.W, tc.o.SX, tc.o.SY, randIdx)
			if err != nil {
				t.Fatal(err)
			}
			metric := u.tokens(sample, tc.B)
			match := BipartiteSoftMatching(metric, part, NumMerged(N, tc.o.Ratio, len(part.Src)))
			if match.R != rep.Blocks[0].R {
				t.Fatalf("reference r = %d, patch r = %d", match.R, rep.Blocks[0].R)
			}
			want := u.forward(sample, ctx, tc.B, match, tc.o)
			unpatched := u.forward(sample, ctx, tc.B, nil, tc.o)
			d := testutil.MaxAbsDiff(got, want.Data)
			t.Logf("max abs diff vs reference %.3g (vs unpatched %.3g), r = %d of N = %d", d, testutil.MaxAbsDiff(got, unpatched.Data), match.R, N)
			if !(d <= tc.tol) {
				t.Errorf("max abs diff %.3g > %g", d, tc.tol)
			}
			if testutil.MaxAbsDiff(want.Data, unpatched.Data) < 1e-3 {
				t.Errorf("merging changed the block output by < 1e-3: the case tests nothing")
			}
		})
	}
}

func randFloats(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func runModel(t *testing.T, m *onnx.Model, feeds map[string]*ort.Tensor) []float32 {
	t.Helper()
	s := orttest.NewSession(t, m, ort.SessionOptions{Threads: 1})
	defer s.Close()
	out, err := s.Run(feeds, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out {
		return v.Float32s()
	}
	t.Fatal("no output")
	return nil
}

// TestPatchErrors: models Patch must refuse, each with its typed error, leaving the
// model unchanged.
func TestPatchErrors(t *testing.T) {
	base := testUNet{opset: 14, H: 8, W: 8, Cin: 4, C: 16, heads: 2, ctxLen: 3, ctxDim: 8, ff: 16}
	cases := []struct {
		name   string
		edit   func(*testUNet, *onnx.Model)
		latent [2]int
		check  func(error) bool
	}{
		{"dynamic latent without --latent", nil, [2]int{}, func(err error) bool { var e *LatentError; return errors.As(err, &e) }},
		{"fixed token shape in attn1", func(u *testUNet, m *onnx.Model) { u.fixedTokenShape = true; *m = *u.build(1) }, [2]int{8, 8},
			func(err error) bool { var e *FindError; return errors.As(err, &e) }},
		{"opset 12", func(u *testUNet, m *onnx.Model) { m.SetOpset(12) }, [2]int{8, 8},
			func(err error) bool { var e *OpsetError; return errors.As(err, &e) }},
		{"RoiAlign without coordinate mode", func(u *testUNet, m *onnx.Model) {
			m.Graph().Add(&onnxpb.NodeProto{Name: "/roi/RoiAlign", OpType: "RoiAlign", Input: []string{"sample", "r", "i"}, Output: []string{"roi_out"}})
		}, [2]int{8, 8}, func(err error) bool { var e *OpsetError; return errors.As(err, &e) && e.Node == "/roi/RoiAlign" }},
		{"attn1 output read twice", func(u *testUNet, m *onnx.Model) {
			g := m.Graph()
			out := g.InScope("/down_blocks.0/attentions.0/transformer_blocks.0/attn1/to_out.0")
			v := out[len(out)-1].Output[0]
			g.Add(&onnxpb.NodeProto{Name: "/extra/Relu", OpType: "Relu", Input: []string{v}, Output: []string{"extra"}})
		}, [2]int{8, 8}, func(err error) bool { var e *FindError; return errors.As(err, &e) }},
		{"patched twice", func(u *testUNet, m *onnx.Model) {
			if _, err := Patch(m, PatchOptions{Options: DefaultOptions(), Latent: [2]int{8, 8}}); err != nil {
				panic(err)
			}
		}, [2]int{8, 8}, func(err error) bool { var e *FindError; return errors.As(err, &e) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u := base
			m := u.build(1)
			if tc.edit != nil {
				tc.edit(&u, m)
			}
			before, _ := m.Marshal()
			_, err := Patch(m, PatchOptions{Options: DefaultOptions(), Latent: tc.latent})
			if err == nil || !tc.check(err) {
				t.Fatalf("got error %v (%T)", err, err)
			}
			t.Logf("error: %v", err)
			if after, _ := m.Marshal(); !bytes.Equal(before, after) {
				t.Error("a refused patch changed the model")
			}
		})
	}
}

// TestInspectTinyUNet checks the blocks, token counts and decisions Inspect reports
// for the tiny UNet at max_downsample 1 (golden manifest: three 32x32 blocks merged).
func TestInspectTinyUNet(t *testing.T) {
	m, err := onnx.Load(unetDir + "/onnx/model.onnx")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Inspect(m, PatchOptions{Options: DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	wantN := map[string]int{ // from the layout: 32x32 latent, downsamplers in down_blocks 0-2
		"down_blocks.0": 1024, "down_blocks.1": 256, "down_blocks.2": 64, "mid_block": 16,
		"up_blocks.1": 64, "up_blocks.2": 256, "up_blocks.3": 1024,
	}
	var patched []string
	for _, b := range rep.Blocks {
		top := b.Name[:len(b.Name)-len(".attentions.0.transformer_blocks.0")]
		if b.Name == "mid_block.attentions.0.transformer_blocks.0" {
			top = "mid_block"
		}
		if b.N != wantN[top] {
			t.Errorf("%s: N = %d, want %d", b.Name, b.N, wantN[top])
		}
		if !slices.Equal(b.Layers, []string{"attn1", "attn2", "ff"}) {
			t.Errorf("%s: layers %v", b.Name, b.Layers)
		}
		if b.Patched {
			patched = append(patched, b.Name)
		}
	}
	want := []string{"down_blocks.0.attentions.0.transformer_blocks.0", "up_blocks.3.attentions.0.transformer_blocks.0", "up_blocks.3.attentions.1.transformer_blocks.0"}
	if !slices.Equal(patched, want) || len(rep.RandInputs) != 3 || rep.RandInputs[2].Name != "tome_rand_idx_2" {
		t.Fatalf("patched %v, rand inputs %v; want %v and 3 inputs", patched, rep.RandInputs, want)
	}
	// One UNet call's draws: a [16, 16] rand_idx per patched 32x32 block, in [0, 4).
	draws := rep.Draws(NewPartitioner(1, true))
	for _, in := range rep.RandInputs {
		d := draws[in.Name]
		if !slices.Equal(in.Shape(), []int64{16, 16}) || len(d) != 256 || slices.Min(d) < 0 || slices.Max(d) > 3 {
			t.Errorf("%s: shape %v, draw of %d values in [%d, %d]", in.Name, in.Shape(), len(d), slices.Min(d), slices.Max(d))
		}
	}
}
