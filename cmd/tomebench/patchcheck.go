package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/methods"
)

// fusedOps are the contrib ops ONNX Runtime's transformer optimiser (and optimum's
// -O2..-O4) fuses a UNet's attention and norms into; the block structure the patchers
// look for (norm1 → attn1 → Add, softmax(QKᵀ)V over explicit MatMuls) is gone in them.
var fusedOps = []string{"Attention", "MultiHeadAttention", "PackedAttention", "SkipLayerNormalization", "SkipGroupNorm",
	"GroupNorm", "BiasSplitGelu", "BiasAdd", "BiasGelu", "FastGelu", "NhwcConv"}

// checkPatchable refuses models that a patch would get wrong: a model patched already
// (a tomebench.patch record, or ToMe's tome_rand_idx inputs without one) and a graph
// fused by ONNX Runtime's optimiser.
//
// Why refuse rather than re-patch from the original: a patch rewrites the blocks in
// place (merge/unmerge around attention, extra inputs) and the graph does not keep the
// original subgraphs, so "un-patching" would be a second, reverse rewrite that no test
// could hold to the export; patching the unpatched file is exact and costs seconds.
func checkPatchable(path string, m *onnx.Model) error {
	rec, patched, err := methods.ReadRecord(m)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	g := m.Proto.GetGraph()
	if !patched {
		for _, in := range g.GetInput() {
			if strings.HasPrefix(in.GetName(), "tome_rand_idx_") {
				patched, rec = true, methods.Record{Method: "tome (input " + in.GetName() + ")"}
				break
			}
		}
	}
	if patched {
		return fmt.Errorf("%s is already patched (%s); patching it again would stack merges on merged blocks. "+
			"Patch the original, unpatched UNet instead: the model.onnx that `tomebench convert` (or optimum's export) wrote, "+
			"or re-convert the diffusers folder or checkpoint; `tomebench inspect %s` shows the patch it carries", path, rec, path)
	}
	var found []string
	for _, n := range g.GetNode() {
		if (n.GetDomain() == "com.microsoft" || n.GetDomain() == "") && slices.Contains(fusedOps, n.GetOpType()) && !slices.Contains(found, n.GetOpType()) {
			if n.GetDomain() == "" && n.GetOpType() == "GroupNorm" {
				continue
			}
			found = append(found, n.GetOpType())
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("%s was fused by ONNX Runtime's optimiser (contrib ops %s): its attention blocks no longer have the "+
			"MatMul/Softmax structure the patch rewrites. Patch the unoptimised export instead — `optimum-cli export onnx` "+
			"without --optimize (or the diffusers script's model.onnx before onnxruntime.transformers.optimizer), or "+
			"`tomebench convert` with --attention plain — and let ONNX Runtime optimise the patched model when it loads it",
			path, strings.Join(found, ", "))
	}
	return nil
}

// patchOutPath returns where patch writes: out itself, or out/model.onnx when out is a
// folder (an existing one, or a path ending in a separator); the folder is created.
func patchOutPath(out string) (string, error) {
	if st, err := os.Stat(out); (err == nil && st.IsDir()) || strings.HasSuffix(out, string(os.PathSeparator)) || strings.HasSuffix(out, "/") {
		out = filepath.Join(out, "model.onnx")
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("creating the output folder: %w", err)
	}
	return out, nil
}
