package tome

import (
	"fmt"
	"regexp"
	"strconv"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// Token counts. An exported UNet rarely states the shape of a block's hidden states,
// so Patch works the token count N of each block out from the latent size and where
// the block sits in the UNet, as diffusers' UNet2DConditionModel lays it out:
//
//   - level 0 is the latent itself; every downsampler (a Conv with stride 2, kernel 3,
//     padding 1) halves the size rounding up: H_{l+1} = ceil(H_l / 2);
//   - a block in down_blocks.i sits at the level reached after the downsamplers of
//     down_blocks.0 … i-1; mid_block after all of them; a block in up_blocks.j at
//     that deepest level minus the upsamplers of up_blocks.0 … j-1 (diffusers
//     upsamples to the size of the matching skip connection, so level l has the same
//     size on the way up as on the way down);
//   - N = H_l · W_l.
//
// Where the graph does state a static N for a block input, that value is used.
// tomesd then derives the block's downsample from N alone (see [Downsample]).

var topScopeRE = regexp.MustCompile(`^/(down_blocks|up_blocks)\.(\d+)/|^/(mid_block)/`)

// unetLevels maps block scopes to their UNet level.
type unetLevels struct {
	downsamplers map[int]bool // down_blocks.i has a downsampler
	upsamplers   map[int]bool // up_blocks.j has an upsampler
	depth        int          // total number of downsamplers
}

// newUNetLevels reads the down/up sampler layout from the graph's scopes.
func newUNetLevels(g *onnx.Graph) unetLevels {
	l := unetLevels{downsamplers: map[int]bool{}, upsamplers: map[int]bool{}}
	sampler := regexp.MustCompile(`^/(down_blocks|up_blocks)\.(\d+)/(downsamplers|upsamplers)\.\d+$`)
	for _, s := range g.Scopes(2) {
		m := sampler.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[2])
		if m[1] == "down_blocks" && m[3] == "downsamplers" && !l.downsamplers[i] {
			l.downsamplers[i] = true
			l.depth++
		} else if m[1] == "up_blocks" && m[3] == "upsamplers" {
			l.upsamplers[i] = true
		}
	}
	return l
}

// level returns how many times the feature map of the block at scope was halved, and
// false when the scope is not under down_blocks, mid_block or up_blocks.
func (l unetLevels) level(scope string) (int, bool) {
	m := topScopeRE.FindStringSubmatch(scope + "/")
	if m == nil {
		return 0, false
	}
	if m[3] == "mid_block" {
		return l.depth, true
	}
	idx, _ := strconv.Atoi(m[2])
	level := 0
	if m[1] == "down_blocks" {
		for i := 0; i < idx; i++ {
			if l.downsamplers[i] {
				level++
			}
		}
		return level, true
	}
	level = l.depth
	for j := 0; j < idx; j++ {
		if l.upsamplers[j] {
			level--
		}
	}
	return max(level, 0), true
}

// levelSize halves H and W level times, rounding up like a stride-2 convolution.
func levelSize(H, W, level int) (int, int) {
	for range level {
		H, W = ceilDiv(H, 2), ceilDiv(W, 2)
	}
	return H, W
}

// sampleInput returns the UNet's latent input: the graph input named "sample", else
// its only rank-4 input.
func sampleInput(g *onnx.Graph) *onnxpb.ValueInfoProto {
	if v := g.Input("sample"); v != nil {
		return v
	}
	var found *onnxpb.ValueInfoProto
	for _, v := range g.P.Input {
		if d, ok := valueDims(v); ok && len(d) == 4 && g.Initializer(v.Name) == nil {
			if found != nil {
				return nil
			}
			found = v
		}
	}
	return found
}

// valueDims returns a value's stated dims (-1 where dynamic).
func valueDims(v *onnxpb.ValueInfoProto) ([]int64, bool) {
	tt := v.GetType().GetTensorType()
	if tt == nil || tt.Shape == nil {
		return nil, false
	}
	d := make([]int64, len(tt.Shape.Dim))
	for i, x := range tt.Shape.Dim {
		d[i] = -1
		if v, ok := x.Value.(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
			d[i] = v.DimValue
		}
	}
	return d, true
}

// setSpatialDims states H and W as the last two dims of a rank-4 value.
func setSpatialDims(v *onnxpb.ValueInfoProto, H, W int) {
	dims := v.GetType().GetTensorType().GetShape().GetDim()
	if len(dims) != 4 {
		return
	}
	dims[2].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(H)}
	dims[3].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(W)}
}

// A LatentError reports that Patch cannot tell the latent size it must plan for.
type LatentError struct{ Problem string }

// Error says what is missing and how to supply it.
func (e *LatentError) Error() string {
	return "tome: latent size: " + e.Problem
}

// resolveLatent returns the latent size to plan for: want when set, else the sample
// input's static spatial dims. restate says whether the sample input states another
// (or a dynamic) size: a patched model holds partitions planned for one latent size,
// so Patch then states that size on the input (and on rank-4 outputs of the same
// size), and ONNX Runtime refuses inputs of any other size.
func resolveLatent(g *onnx.Graph, want [2]int) (H, W int, restate bool, err error) {
	if want[0] < 0 || want[1] < 0 || (want[0] == 0) != (want[1] == 0) {
		return 0, 0, false, &LatentError{fmt.Sprintf("Latent %dx%d: give both sides, positive", want[0], want[1])}
	}
	s := sampleInput(g)
	var sh, sw int64 = -1, -1
	if s != nil {
		if d, ok := valueDims(s); ok && len(d) == 4 {
			sh, sw = d[2], d[3]
		}
	}
	if want[0] > 0 {
		restate = s != nil && (sh != int64(want[0]) || sw != int64(want[1]))
		return want[0], want[1], restate, nil
	}
	if s == nil {
		return 0, 0, false, &LatentError{"the model has no input named \"sample\" (nor a single rank-4 input); give the latent size (--latent HxW)"}
	}
	if sh <= 0 || sw <= 0 {
		return 0, 0, false, &LatentError{fmt.Sprintf("input %q has dynamic spatial dims; give the latent size (--latent HxW)", s.Name)}
	}
	return int(sh), int(sw), false, nil
}
