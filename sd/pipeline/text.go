package pipeline

import (
	"errors"
	"fmt"

	"github.com/tomebench/tomebench/internal/ort"
)

// A textEncoder is the CLIP text model: input_ids [B, L] (int32 or int64) to
// last_hidden_state [B, L, D], the prompt embeddings SD 1.x/2.x condition on.
type textEncoder struct {
	s    *ort.Session
	path string
	ids  ort.IOInfo
	out  ort.IOInfo
}

func newTextEncoder(s *ort.Session, path string) (*textEncoder, error) {
	te := &textEncoder{s: s, path: path}
	in := s.Inputs()
	ids, ok := findIO(in, "input_ids")
	if !ok || len(in) != 1 {
		return nil, &FolderError{Path: path, Msg: "text encoder must take exactly one input, input_ids; its inputs are " + ioNames(in)}
	}
	if ids.DType != ort.Int32 && ids.DType != ort.Int64 {
		return nil, &FolderError{Path: path, Msg: fmt.Sprintf("text encoder input input_ids is %s; want int32 or int64", typeName(ids))}
	}
	if err := checkRank(path, "text encoder input", ids, 2); err != nil {
		return nil, err
	}
	outs := s.Outputs()
	if te.out, ok = findIO(outs, "last_hidden_state"); !ok && len(outs) > 0 {
		te.out = outs[0]
	}
	if te.out.Name == "" {
		return nil, &FolderError{Path: path, Msg: "text encoder has no outputs"}
	}
	if err := checkFloat(path, "text encoder output", te.out); err != nil {
		return nil, err
	}
	if err := checkRank(path, "text encoder output", te.out, 3); err != nil {
		return nil, err
	}
	te.ids = ids
	return te, nil
}

// seqLen returns the token count the model fixes, or def.
func (te *textEncoder) seqLen(def int) int {
	if d := staticDim(te.ids.Shape, 1); d > 0 {
		return int(d)
	}
	return def
}

// encode returns the embeddings [len(ids), L, D] of the token rows ids, as float32. dim
// is the embedding width when known (needed to pre-allocate a float16 output of dynamic
// shape), else 0.
func (te *textEncoder) encode(ids [][]int64, dim int) ([]float32, error) {
	if len(ids) == 0 {
		return nil, errors.New("pipeline: text encoder: no token rows (no texts to encode)")
	}
	L := len(ids[0])
	flat := make([]int64, 0, len(ids)*L)
	for _, r := range ids {
		flat = append(flat, r...)
	}
	feeds := map[string]*ort.Tensor{te.ids.Name: intTensor(te.ids.DType, []int64{int64(len(ids)), int64(L)}, flat)}
	if d := staticDim(te.out.Shape, 2); d > 0 {
		dim = int(d)
	}
	// ONNX Runtime needs float16 outputs pre-allocated, the pooled output too.
	shapes := map[string][]int64{}
	for _, o := range te.s.Outputs() {
		switch {
		case o.DType != ort.Float16 || dim <= 0:
		case len(o.Shape) == 3:
			shapes[o.Name] = []int64{int64(len(ids)), int64(L), int64(dim)}
		case len(o.Shape) == 2:
			shapes[o.Name] = []int64{int64(len(ids)), int64(dim)}
		}
	}
	out, err := te.s.RunWithShapes(feeds, []string{te.out.Name}, shapes)
	if err != nil {
		return nil, fmt.Errorf("pipeline: text encoder %s: %w", te.path, err)
	}
	return out[te.out.Name].Float32s(), nil
}
