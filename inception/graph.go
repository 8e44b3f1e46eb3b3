package inception

import (
	"fmt"
	"math"
	"strings"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
	"github.com/tomebench/tomebench/internal/torchpth"
)

// Dims are the feature sizes pytorch-fid offers (its --dims), one per output block:
// 64 (first max pool), 192 (second max pool), 768 (Mixed_6e, the aux-classifier
// input) and 2048 (pool3, the final average pool — the FID standard).
var Dims = []int{64, 192, 768, 2048}

// blockOf maps a feature size to its block index (pytorch-fid's BLOCK_INDEX_BY_DIM).
func blockOf(dims int) (int, bool) {
	for i, d := range Dims {
		if d == dims {
			return i, true
		}
	}
	return 0, false
}

// Input is the graph input: float32 images [B, 3, H, W] with values in [0, 1] (TF.ToTensor
// of an RGB image), any H and W.
const Input = "images"

// FeatureOutput is the graph output holding the dims-d features [B, dims], spatially
// averaged where the block's map is larger than 1×1 (what pytorch-fid's get_activations
// returns).
func FeatureOutput(dims int) string { return fmt.Sprintf("features_%d", dims) }

// Graph outputs added by Options.Intermediate: the network input after resizing and
// scaling, [B, 3, 299, 299], and block i's raw output map (BlockOutput(i)).
const ResizedOutput = "input_299"

// BlockOutput names block i's raw output map (with Options.Intermediate).
func BlockOutput(i int) string { return fmt.Sprintf("block%d", i) }

// Options configure Build.
type Options struct {
	// Dims lists the feature sizes to output (each one of Dims); empty means {2048}.
	Dims []int
	// KeepBatchNorm keeps BatchNormalization nodes instead of folding each BatchNorm
	// into its convolution (folding is done in float64 and rounded once).
	KeepBatchNorm bool
	// Intermediate adds ResizedOutput and the raw block maps as outputs (for tests).
	Intermediate bool
}

// A WeightsError reports a state_dict that is not pytorch-fid's FID Inception: a key
// missing, unexpected, or of the wrong shape or type.
type WeightsError struct {
	Key, Problem string
}

func (e *WeightsError) Error() string {
	return "inception: weights: " + e.Key + ": " + e.Problem
}

// opset is the ai.onnx opset of the built graph.
const opset = 17

// Build returns pytorch-fid's FID InceptionV3 (InceptionV3 with use_fid_inception) as an
// ONNX model over the state_dict sd — the real pt_inception-2015-12-05-6726825d.pth
// or FormulaWeights. Inside the graph the input is resized to 299×299 (Resize linear,
// half_pixel, no antialiasing = F.interpolate bilinear, align_corners=False) and
// scaled to 2x−1; the network runs only as far as the last block needed.
func Build(sd *torchpth.StateDict, opts Options) (*onnx.Model, error) {
	dims := opts.Dims
	if len(dims) == 0 {
		dims = []int{2048}
	}
	last := 0
	want := map[int]int{} // block → dims
	for _, d := range dims {
		i, ok := blockOf(d)
		if !ok {
			panic(fmt.Sprintf("inception: dims %d is not one of %v", d, Dims))
		}
		want[i] = d
		last = max(last, i)
	}
	if err := checkWeights(sd); err != nil {
		return nil, err
	}
	m := onnx.NewModel("pytorch_fid_inception_v3", opset)
	g := m.Graph()
	g.AddInput(Input, onnx.Float, []int64{-1, 3, -1, -1}, "batch", "", "height", "width")
	n := &net{b: onnx.NewBuilder(g, opset), sd: sd, fold: !opts.KeepBatchNorm, specs: map[string]convSpec{}}
	for _, c := range architecture() {
		n.specs[c.Name] = c
	}
	x := n.preprocess(Input)
	if opts.Intermediate {
		n.output(x, ResizedOutput, []int64{-1, 3, 299, 299})
	}
	blocks := []func(string) string{n.block0, n.block1, n.block2, n.block3}
	for i := 0; i <= last; i++ {
		x = blocks[i](x)
		if opts.Intermediate {
			n.output(x, BlockOutput(i), []int64{-1, -1, -1, -1})
		}
		if d, ok := want[i]; ok {
			b := n.b.Scope(FeatureOutput(d))
			f := x
			if i < 3 { // block 3 ends in its own global average pool
				f = b.Op("GlobalAveragePool", []string{f})
			}
			n.output(b.Op("Flatten", []string{f}, onnx.AInt("axis", 1)), FeatureOutput(d), []int64{-1, int64(d)})
		}
	}
	g.Invalidate()
	return m, nil
}

// net builds the network's nodes.
type net struct {
	b     *onnx.Builder
	sd    *torchpth.StateDict
	fold  bool
	specs map[string]convSpec
}

// output exposes value v as the graph output name (through an Identity node).
func (n *net) output(v, name string, shape []int64) {
	n.b.G.Add(&onnxpb.NodeProto{Name: "/" + name + "/Identity", OpType: "Identity", Input: []string{v}, Output: []string{name}})
	n.b.G.P.Output = append(n.b.G.P.Output, onnx.ValueInfo(name, onnx.Float, shape, "batch"))
}

// preprocess is pytorch-fid's resize_input and normalize_input.
func (n *net) preprocess(x string) string {
	b := n.b.Scope("preprocess")
	shape := b.Shape(x)
	bc := b.Slice(shape, []int64{0}, []int64{2}, []int64{0})
	sizes := b.Concat(0, bc, b.Int64s(299, 299))
	r := b.Op("Resize", []string{x, "", "", sizes},
		onnx.AString("mode", "linear"), onnx.AString("coordinate_transformation_mode", "half_pixel"))
	return b.Sub(b.Mul(r, b.Scalar(2)), b.Scalar(1))
}

// basicConv is BasicConv2d: conv (no bias) → BatchNorm(eps 0.001) → ReLU.
func (n *net) basicConv(name, x string) string {
	c := n.specs[name]
	b := n.b.Scope(strings.ReplaceAll(name, ".", "/"))
	w := n.sd.Tensors[name+".conv.weight"].Float32s()
	gamma := n.sd.Tensors[name+".bn.weight"].Float32s()
	beta := n.sd.Tensors[name+".bn.bias"].Float32s()
	mean := n.sd.Tensors[name+".bn.running_mean"].Float32s()
	varc := n.sd.Tensors[name+".bn.running_var"].Float32s()
	wdims := []int64{int64(c.Out), int64(c.In), int64(c.KH), int64(c.KW)}
	attrs := []*onnxpb.AttributeProto{
		onnx.AInts("dilations", 1, 1), onnx.AInt("group", 1), onnx.AInts("kernel_shape", int64(c.KH), int64(c.KW)),
		onnx.AInts("pads", int64(c.PH), int64(c.PW), int64(c.PH), int64(c.PW)), onnx.AInts("strides", int64(c.Stride), int64(c.Stride)),
	}
	var y string
	if n.fold {
		per := len(w) / c.Out
		fw := make([]float32, len(w))
		fb := make([]float32, c.Out)
		for o := range c.Out {
			s := float64(gamma[o]) / math.Sqrt(float64(varc[o])+bnEps)
			for k := range per {
				fw[o*per+k] = float32(float64(w[o*per+k]) * s)
			}
			fb[o] = float32(float64(beta[o]) - float64(mean[o])*s)
		}
		wn := b.Named(onnx.TensorFloat32(name+".folded.weight", wdims, fw))
		bn := b.Named(onnx.TensorFloat32(name+".folded.bias", []int64{int64(c.Out)}, fb))
		y = b.Scope("conv").Op("Conv", []string{x, wn, bn}, attrs...)
	} else {
		wn := b.Named(onnx.TensorFloat32(name+".conv.weight", wdims, w))
		y = b.Scope("conv").Op("Conv", []string{x, wn}, attrs...)
		ch := []int64{int64(c.Out)}
		y = b.Scope("bn").Op("BatchNormalization", []string{y,
			b.Named(onnx.TensorFloat32(name+".bn.weight", ch, gamma)),
			b.Named(onnx.TensorFloat32(name+".bn.bias", ch, beta)),
			b.Named(onnx.TensorFloat32(name+".bn.running_mean", ch, mean)),
			b.Named(onnx.TensorFloat32(name+".bn.running_var", ch, varc)),
		}, onnx.AFloat("epsilon", bnEps))
	}
	return b.Op("Relu", []string{y})
}
