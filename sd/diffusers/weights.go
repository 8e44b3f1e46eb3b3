package diffusers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tomebench/tomebench/internal/safetensors"
)

// Options select among the weight files of a folder.
type Options struct {
	// Variant picks "<base>.<variant>.safetensors" files, e.g. "fp16" for the half-precision
	// copies that many Hub repos carry beside the full ones. Empty: the plain files. As in
	// diffusers, a requested variant that is missing is an error, not a silent fallback.
	Variant string
}

// weightBases are the file stems diffusers (models) and transformers (text encoders) use.
var weightBases = []string{"diffusion_pytorch_model", "model"}

// Weights is the state_dict of one model component, read from one safetensors file or
// from the shards a .safetensors.index.json lists. It is safe for concurrent readers.
type Weights struct {
	dir   string
	files []*safetensors.File
	where map[string]*safetensors.File // state_dict key -> file
	names []string
}

// weightCandidates lists the single-file and index names to look for, in order.
func weightCandidates(variant string) (single, index []string) {
	for _, b := range weightBases {
		if variant == "" {
			single = append(single, b+".safetensors")
			index = append(index, b+".safetensors.index.json")
		} else {
			single = append(single, b+"."+variant+".safetensors")
			index = append(index, b+".safetensors.index."+variant+".json", b+"."+variant+".safetensors.index.json")
		}
	}
	return single, index
}

// OpenWeights finds and opens the weights in dir: a single safetensors file, else a
// sharded set through its index (see Options for variants). A folder with only PyTorch
// pickles gives an error wrapping ErrNoSafetensors.
func OpenWeights(dir string, opt Options) (*Weights, error) {
	single, index := weightCandidates(opt.Variant)
	for _, name := range single {
		p := filepath.Join(dir, name)
		if isFile(p) {
			f, err := safetensors.Open(p)
			if err != nil {
				return nil, &Error{Path: p, Msg: "bad weights file", Err: err}
			}
			w := &Weights{dir: dir, files: []*safetensors.File{f}, where: map[string]*safetensors.File{}}
			for _, n := range f.Names() {
				w.where[n] = f
			}
			w.names = f.Names()
			return w, nil
		}
	}
	for _, name := range index {
		p := filepath.Join(dir, name)
		if isFile(p) {
			return openSharded(dir, p)
		}
	}
	return nil, missingWeights(dir, opt, append(single, index...))
}

// missingWeights explains why no weights were found in dir.
func missingWeights(dir string, opt Options, tried []string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return &Error{Path: dir, Msg: "cannot read component folder", Err: err}
	}
	var pickles, others []string
	for _, e := range ents {
		n := e.Name()
		switch ext := filepath.Ext(n); {
		case ext == ".bin" || ext == ".ckpt" || ext == ".pt" || ext == ".pth":
			pickles = append(pickles, n)
		case strings.HasSuffix(n, ".safetensors") || strings.HasSuffix(n, ".index.json"):
			others = append(others, n)
		}
	}
	if len(others) > 0 {
		what := "variant " + fmt.Sprintf("%q", opt.Variant)
		if opt.Variant == "" {
			what = "the plain (non-variant) files"
		}
		return &Error{Path: dir, Msg: fmt.Sprintf("no weights for %s: looked for %s, found %s",
			what, strings.Join(tried, ", "), strings.Join(others, ", "))}
	}
	if len(pickles) > 0 {
		return &Error{Path: dir, Msg: fmt.Sprintf("only PyTorch pickle weights (%s); convert them to safetensors "+
			"(e.g. load in diffusers and save_pretrained(..., safe_serialization=True))", strings.Join(pickles, ", ")),
			Err: ErrNoSafetensors}
	}
	return &Error{Path: dir, Msg: "no weights file: looked for " + strings.Join(tried, ", ")}
}

// openSharded opens the shards named by the weight_map of the index file at p.
func openSharded(dir, p string) (*Weights, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, &Error{Path: p, Msg: "cannot read index", Err: err}
	}
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, &Error{Path: p, Msg: "bad index JSON", Err: err}
	}
	if len(idx.WeightMap) == 0 {
		return nil, &Error{Path: p, Msg: "index has no weight_map"}
	}
	w := &Weights{dir: dir, where: map[string]*safetensors.File{}}
	shards := map[string]*safetensors.File{}
	fail := func(err error) (*Weights, error) {
		w.Close()
		return nil, err
	}
	keys := make([]string, 0, len(idx.WeightMap))
	for k := range idx.WeightMap {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		shard := idx.WeightMap[key]
		if shard == "" || filepath.Base(shard) != shard {
			return fail(&Error{Path: p, Msg: fmt.Sprintf("weight_map[%q] = %q is not a file name in the folder", key, shard)})
		}
		f, ok := shards[shard]
		if !ok {
			sp := filepath.Join(dir, shard)
			if f, err = safetensors.Open(sp); err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return fail(&Error{Path: p, Msg: fmt.Sprintf("shard %s is missing", shard)})
				}
				return fail(&Error{Path: sp, Msg: "bad weights shard", Err: err})
			}
			shards[shard] = f
			w.files = append(w.files, f)
		}
		if _, ok := f.Tensor(key); !ok {
			return fail(&Error{Path: f.Path(), Msg: fmt.Sprintf("tensor %q listed in %s is not in this shard", key, filepath.Base(p))})
		}
		w.where[key] = f
		w.names = append(w.names, key)
	}
	sort.Slice(w.files, func(i, j int) bool { return w.files[i].Path() < w.files[j].Path() })
	return w, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// Dir returns the component folder the weights came from.
func (w *Weights) Dir() string { return w.dir }

// Files returns the paths of the safetensors files in use, sorted.
func (w *Weights) Files() []string {
	out := make([]string, len(w.files))
	for i, f := range w.files {
		out[i] = f.Path()
	}
	return out
}

// Names returns the state_dict keys, sorted. The slice must not be modified.
func (w *Weights) Names() []string { return w.names }

// Len returns the number of tensors.
func (w *Weights) Len() int { return len(w.names) }

// Tensor returns the raw tensor stored under the state_dict key name (its bytes alias the
// mapped file: valid until Close).
func (w *Weights) Tensor(name string) (safetensors.TensorInfo, bool) {
	f, ok := w.where[name]
	if !ok {
		return safetensors.TensorInfo{}, false
	}
	return f.Tensor(name)
}

// Float32 returns the tensor under name converted to float32 (from F32, F16, BF16 or
// F64) and its shape. A missing key gives an error wrapping safetensors.ErrNotFound.
func (w *Weights) Float32(name string) ([]float32, []int, error) {
	f, ok := w.where[name]
	if !ok {
		return nil, nil, fmt.Errorf("diffusers: %s: state_dict key %q: %w", w.dir, name, safetensors.ErrNotFound)
	}
	return f.Float32(name)
}

// Close unmaps every file.
func (w *Weights) Close() error {
	var first error
	for _, f := range w.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
