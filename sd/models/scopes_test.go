package models

import (
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
)

// moduleScopes returns the distinct scopes (node names without the op part) of the
// nodes that compute, leaving out shape bookkeeping and constants.
func moduleScopes(g *onnx.Graph) []string {
	skip := map[string]bool{"Constant": true, "Shape": true, "Gather": true, "Unsqueeze": true, "Concat": true,
		"Cast": true, "ConstantOfShape": true, "Slice": true, "Expand": true, "Equal": true, "Where": true, "Div": true}
	seen := map[string]bool{}
	for _, n := range g.Nodes() {
		if skip[n.OpType] {
			continue
		}
		if s := n.Name[:strings.LastIndex(n.Name, "/")]; s != "" { // root: timestep bookkeeping
			seen[s] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// TestScopesMatchExport checks that the built tiny UNet has the module scopes of torch's
// export of the same model (unet/tiny-sd15/onnx/model.onnx, torch 1.13, opset 14), so
// that anything finding nodes by scope treats both alike.
func TestScopesMatchExport(t *testing.T) {
	exp, err := onnx.Load(filepath.Join(fixtures, "unet/tiny-sd15/onnx/model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, w := loadTinyUNet(t)
	m, err := Build(cfg, w, Options{Opset: 14, Height: 32, Width: 32})
	if err != nil {
		t.Fatal(err)
	}
	want, got := moduleScopes(exp.Graph()), moduleScopes(m.Graph())
	var missing, extra []string
	for _, s := range want {
		if !slices.Contains(got, s) {
			missing = append(missing, s)
		}
	}
	for _, s := range got {
		if !slices.Contains(want, s) {
			extra = append(extra, s)
		}
	}
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("scopes differ from the export\nmissing: %v\nextra: %v", missing, extra)
	}
	// Every MatMul of a Linear layer reads a weight named <state_dict key>.T.
	for _, n := range m.Graph().ByOp("MatMul") {
		if w := n.Input[1]; strings.HasSuffix(n.Name, "/MatMul") && strings.Contains(n.Name, "to_") && !strings.HasSuffix(w, ".weight.T") {
			t.Errorf("%s reads %s", n.Name, w)
		}
	}
}
