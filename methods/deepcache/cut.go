package deepcache

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/onnx/onnxpb"
)

// FeatureName is the full graph's extra output and the partial graph's extra input:
// the cached feature [B, C, h', w'], always float32 (a float16 UNet casts it), so that
// a caller can hold it without knowing its shape in advance.
const FeatureName = "deepcache_feature"

// A Boundary says where a branch cuts a UNet.
type Boundary struct {
	// Layer and Block are the helper's cache_layer_id and cache_block_id.
	Layer, Block int
	// UpBlock is the up block (diffusers' index, up_blocks.<UpBlock>) whose resnets
	// from Resnet on are recomputed on partial calls.
	UpBlock, Resnet int
	// Concat is the node joining the cached tensor and the skip connection in front of
	// up_blocks.<UpBlock>.resnets.<Resnet>; Value is the cached tensor (its first
	// input) in the original graph.
	Concat, Value string
}

// A Report says what Cut found and made.
type Report struct {
	Boundary Boundary
	// FullNodes and PartialNodes are the node counts of the two graphs.
	FullNodes, PartialNodes int
	// PartialModules are the modules the partial graph still computes (see
	// moduleScopes), e.g. "conv_in", "up_blocks.3.resnets.1".
	PartialModules []string
}

// coreInputs are the UNet inputs a partial graph keeps even when its remaining nodes
// do not read them, so the pipeline can feed both graphs alike.
var coreInputs = []string{"sample", "latent_model_input", "timestep", "t", "timesteps", "encoder_hidden_states", "context"}

var (
	upBlockRE = regexp.MustCompile(`^/up_blocks\.([0-9]+)/`)
	upResRE   = regexp.MustCompile(`^/up_blocks\.([0-9]+)/resnets\.([0-9]+)/`)
)

// Cut returns DeepCache's two graphs for a UNet: full (m with FeatureName as an extra
// output) and partial (FeatureName as an input in place of the cached tensor, the rest
// pruned), for the helper's branch. m is not changed; both results keep m's external
// weights (m.Dir). A branch beyond the UNet's up blocks, or a graph whose up blocks
// cannot be recognised by their scope names, is an error.
func Cut(m *onnx.Model, branch int) (full, partial *onnx.Model, rep Report, err error) {
	if branch < 0 {
		return nil, nil, rep, fmt.Errorf("deepcache: branch %d: want >= 0", branch)
	}
	b, err := findBoundary(m.Graph(), branch)
	if err != nil {
		return nil, nil, rep, err
	}
	rep.Boundary = b
	dt := featureType(m)

	full = cloneModel(m)
	g := full.Graph()
	if dt == onnx.Float {
		g.Add(&onnxpb.NodeProto{Name: "/deepcache/Identity", OpType: "Identity", Input: []string{b.Value}, Output: []string{FeatureName}})
	} else {
		g.Add(&onnxpb.NodeProto{Name: "/deepcache/Cast", OpType: "Cast", Input: []string{b.Value}, Output: []string{FeatureName}, Attribute: []*onnxpb.AttributeProto{onnx.AInt("to", int64(onnx.Float))}})
	}
	g.P.Output = append(g.P.Output, onnx.ValueInfo(FeatureName, onnx.Float, []int64{-1, -1, -1, -1}))
	if err := g.TopoSort(); err != nil {
		return nil, nil, rep, fmt.Errorf("deepcache: full graph: %w", err)
	}
	rep.FullNodes = len(g.P.Node)

	partial = cloneModel(m)
	g = partial.Graph()
	batch := ""
	for _, in := range g.P.Input {
		if slices.Contains(coreInputs[:2], in.Name) {
			if d, ok := g.Shape(in.Name); ok && len(d) > 0 {
				batch = d[0].Param
			}
		}
	}
	g.AddInput(FeatureName, onnx.Float, []int64{-1, -1, -1, -1}, batch, "deepcache_channels", "deepcache_height", "deepcache_width")
	feature := FeatureName
	if dt != onnx.Float {
		feature = g.FreshName("/deepcache/Cast_output_0")
		g.Add(&onnxpb.NodeProto{Name: "/deepcache/Cast", OpType: "Cast", Input: []string{FeatureName}, Output: []string{feature}, Attribute: []*onnxpb.AttributeProto{onnx.AInt("to", int64(dt))}})
	}
	g.ReplaceUses(b.Value, feature)
	g.Cleanup()
	pruneInputs(g)
	pruneValueInfo(g)
	if err := g.TopoSort(); err != nil {
		return nil, nil, rep, fmt.Errorf("deepcache: partial graph: %w", err)
	}
	rep.PartialNodes = len(g.P.Node)
	rep.PartialModules = moduleScopes(g)
	return full, partial, rep, nil
}

// findBoundary locates the Concat in front of the first recomputed up resnet.
func findBoundary(g *onnx.Graph, branch int) (Boundary, error) {
	nUp := 0
	nRes := map[int]int{}
	for _, n := range g.Nodes() {
		if s := upBlockRE.FindStringSubmatch(n.Name); s != nil {
			k, _ := strconv.Atoi(s[1])
			nUp = max(nUp, k+1)
		}
		if s := upResRE.FindStringSubmatch(n.Name); s != nil {
			k, _ := strconv.Atoi(s[1])
			j, _ := strconv.Atoi(s[2])
			nRes[k] = max(nRes[k], j+1)
		}
	}
	b := Boundary{Layer: branch % LayersPerBlock, Block: branch / LayersPerBlock}
	if nUp == 0 {
		return b, fmt.Errorf("deepcache: no /up_blocks.<k>/ scopes in the graph: cannot find DeepCache's boundary")
	}
	if b.Block >= nUp {
		return b, fmt.Errorf("deepcache: branch %d is block %d, layer %d; the UNet has %d up blocks (branches 0-%d)", branch, b.Block, b.Layer, nUp, LayersPerBlock*nUp-1)
	}
	b.UpBlock = nUp - 1 - b.Block
	res := nRes[b.UpBlock]
	if res == 0 {
		return b, fmt.Errorf("deepcache: up_blocks.%d has no resnets scopes", b.UpBlock)
	}
	b.Resnet = max(0, res-1-b.Layer)
	scope := fmt.Sprintf("/up_blocks.%d/resnets.%d", b.UpBlock, b.Resnet)
	var concats []*onnxpb.NodeProto
	for _, n := range g.InScope(scope) {
		for _, in := range n.Input {
			p := g.Producer(in)
			if p != nil && p.OpType == "Concat" && !onnx.InScope(p.Name, scope) && !slices.Contains(concats, p) {
				concats = append(concats, p)
			}
		}
	}
	if len(concats) != 1 || len(concats[0].Input) != 2 {
		return b, fmt.Errorf("deepcache: want one two-input Concat (hidden, skip) feeding %s, found %d", scope, len(concats))
	}
	b.Concat, b.Value = concats[0].Name, concats[0].Input[0]
	return b, nil
}

// featureType is the element type of the UNet's activations: that of its first output.
func featureType(m *onnx.Model) int32 {
	g := m.Graph()
	if len(g.P.Output) > 0 {
		if t := g.ElemType(g.P.Output[0].Name); t != 0 {
			return t
		}
	}
	return onnx.Float
}

func cloneModel(m *onnx.Model) *onnx.Model {
	return &onnx.Model{Proto: proto.Clone(m.Proto).(*onnxpb.ModelProto), Dir: m.Dir}
}

// pruneInputs drops graph inputs no node reads any more (ToMe partitions of blocks cut
// away), keeping the UNet's three inputs and FeatureName.
func pruneInputs(g *onnx.Graph) {
	kept := g.P.Input[:0]
	for _, in := range g.P.Input {
		if in.Name == FeatureName || slices.Contains(coreInputs, in.Name) || len(g.Consumers(in.Name)) > 0 {
			kept = append(kept, in)
		}
	}
	g.P.Input = kept
	g.Invalidate()
}

// pruneValueInfo drops value_info entries of values no longer in the graph.
func pruneValueInfo(g *onnx.Graph) {
	live := map[string]bool{}
	for _, n := range g.P.Node {
		for _, o := range n.Output {
			live[o] = true
		}
	}
	kept := g.P.ValueInfo[:0]
	for _, v := range g.P.ValueInfo {
		if live[v.Name] {
			kept = append(kept, v)
		}
	}
	g.P.ValueInfo = kept
}

// moduleScopes lists the modules a graph computes, as module paths: two levels inside
// the blocks ("up_blocks.3.resnets.1", "up_blocks.3" for the block's own Concat), one
// elsewhere ("conv_in", "time_embedding"). Constants and unscoped nodes are left out.
func moduleScopes(g *onnx.Graph) []string {
	seen := map[string]bool{}
	for _, n := range g.Nodes() {
		parts := strings.Split(strings.TrimPrefix(n.Name, "/"), "/")
		mod := parts[:len(parts)-1] // the last part names the op
		if len(mod) == 0 || n.OpType == "Constant" {
			continue
		}
		depth := 1
		if len(mod) >= 2 && (strings.HasPrefix(mod[0], "down_blocks.") || strings.HasPrefix(mod[0], "up_blocks.") || mod[0] == "mid_block") {
			depth = 2
		}
		seen[strings.Join(mod[:depth], ".")] = true
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
