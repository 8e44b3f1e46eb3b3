package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// editModel loads the model at path (replacing a symlink by the edited copy), applies
// edit to its graph and saves it in place.
func editModel(t *testing.T, path string, edit func(m *onnx.Model, g *onnx.Graph)) {
	t.Helper()
	m, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	g := m.Graph()
	edit(m, g)
	g.Invalidate()
	if err := g.TopoSort(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := m.Save(path, onnx.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
}

// dropInput removes the graph input name (its uses must be rewired by the caller).
func dropInput(g *onnx.Graph, name string) {
	g.P.Input = slices.DeleteFunc(g.P.Input, func(v *onnxpb.ValueInfoProto) bool { return v.Name == name })
	g.Invalidate()
}

// retypeInput makes graph input name take elem with shape (params name dynamic dims),
// converting it to float or int32 (to) with a Cast where the graph read it; expandLike,
// when set, broadcasts the result to [batch of expandLike] (for scalar timesteps).
func retypeInput(m *onnx.Model, g *onnx.Graph, name string, elem int32, shape []int64, params []string, to int32, expandLike string) {
	dropInput(g, name)
	b := onnx.NewBuilder(g, m.Opset()).Scope("variant")
	fresh := name + "_variant"
	v := b.Cast(fresh, to)
	if expandLike != "" {
		batch := b.Slice(b.Shape(expandLike), []int64{0}, []int64{1}, []int64{0})
		v = b.Expand(v, batch)
	}
	g.ReplaceUses(name, v)
	g.ReplaceUses(fresh, name)
	g.AddInput(name, elem, shape, params...)
}

// TestExporterVariants runs the golden generation on exports that differ as exporters
// do: optimum's int64 input_ids, and UNets whose timestep is an int64 scalar (like the
// 0-dim tensor diffusers passes), int64 [B], or float [1]. Every variant must still
// match diffusers within 1e-4.
func TestExporterVariants(t *testing.T) {
	orttest.Require(t)
	cases := []struct {
		name     string
		elem     int32
		shape    []int64
		params   []string
		expand   bool
		idsInt64 bool
	}{
		{"int64 scalar timestep, int64 input_ids", onnx.Int64, []int64{}, nil, true, true},
		{"int64 [B] timestep", onnx.Int64, []int64{-1}, []string{"batch"}, false, false},
		{"float [1] timestep", onnx.Float, []int64{1}, nil, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fixtureONNXFolder(t)
			editModel(t, filepath.Join(dir, "unet", "model.onnx"), func(m *onnx.Model, g *onnx.Graph) {
				like := ""
				if c.expand {
					like = "sample"
				}
				retypeInput(m, g, "timestep", c.elem, c.shape, c.params, onnx.Float, like)
			})
			if c.idsInt64 {
				editModel(t, filepath.Join(dir, "text_encoder", "model.onnx"), func(m *onnx.Model, g *onnx.Graph) {
					retypeInput(m, g, "input_ids", onnx.Int64, []int64{-1, -1}, []string{"batch", "sequence"}, onnx.Int32, "")
				})
			}
			p, err := Open(dir, Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if want := ort.Int64; c.idsInt64 && p.text.ids.DType != want {
				t.Fatalf("text encoder input_ids is %v, want %v", p.text.ids.DType, want)
			}
			if got := p.base.timestep; len(got.Shape) != len(c.shape) {
				t.Fatalf("timestep input %v, want shape %v", got, c.shape)
			}
			checkGolden(t, runGolden(t, p))
		})
	}
}

// TestTimestepTensor checks the timestep feed for each declared type and shape.
func TestTimestepTensor(t *testing.T) {
	cases := []struct {
		io    ort.IOInfo
		shape []int64
		want  []float32
	}{
		{ort.IOInfo{DType: ort.Float32, Shape: []int64{-1}}, []int64{4}, []float32{801.5, 801.5, 801.5, 801.5}},
		{ort.IOInfo{DType: ort.Float32, Shape: nil}, []int64{}, []float32{801.5}}, // rank not stated
		{ort.IOInfo{DType: ort.Float32, Shape: []int64{1}}, []int64{1}, []float32{801.5}},
		{ort.IOInfo{DType: ort.Float16, Shape: []int64{-1}}, []int64{4}, []float32{801.5, 801.5, 801.5, 801.5}},
		// Integers truncate, as numpy's astype(int64) in diffusers' ONNX pipeline.
		{ort.IOInfo{DType: ort.Int64, Shape: []int64{}}, []int64{}, []float32{801}},
		{ort.IOInfo{DType: ort.Int32, Shape: []int64{-1}}, []int64{4}, []float32{801, 801, 801, 801}},
	}
	for _, c := range cases {
		u := &UNet{timestep: c.io}
		got := u.timestepTensor(801.5, 4)
		if got.DType != c.io.DType || !slices.Equal(got.Shape, c.shape) || !slices.Equal(got.Float32s(), c.want) {
			t.Errorf("%v %v: got %v %v %v, want %v %v", c.io.DType, c.io.Shape, got.DType, got.Shape, got.Float32s(), c.shape, c.want)
		}
	}
}
