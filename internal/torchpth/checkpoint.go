package torchpth

import (
	"fmt"
	"os"
)

// A GlobalError reports a pickle that names a global (a Python callable or class) that
// LoadCheckpoint does not accept. Nothing is ever called; the file is refused because a
// model checkpoint has no reason to name it, and Python's torch.load would import and
// call it (os.system, builtins.eval, ...).
type GlobalError struct {
	File   string
	Global string // "module.name"
}

func (e *GlobalError) Error() string {
	return fmt.Sprintf("torchpth: %s: refused: the pickle names the global %s, which is neither a tensor rebuild, "+
		"a storage type nor a container; loading it with torch.load would run it. Re-save the weights as "+
		"safetensors from a trusted copy", e.File, e.Global)
}

// checkpointGlobals are the globals LoadCheckpoint accepts: torch's tensor rebuilds, the
// storage classes named by persistent ids, and OrderedDict. Every other global is
// refused, including the ones torch.load(weights_only=True) would also refuse.
var checkpointGlobals = map[string]bool{
	"collections.OrderedDict":                    true,
	"torch._utils._rebuild_tensor":               true,
	"torch._utils._rebuild_tensor_v2":            true,
	"torch._utils._rebuild_parameter":            true,
	"torch._utils._rebuild_parameter_with_state": true,
}

func checkGlobal(g global) error {
	if checkpointGlobals[g.module+"."+g.name] {
		return nil
	}
	if _, ok := storageTypes[g.name]; ok && g.module == "torch" {
		return nil
	}
	return &GlobalError{Global: g.module + "." + g.name}
}

// LoadCheckpoint reads a model checkpoint written by torch.save (an SD ".ckpt": zip or
// legacy format) and returns its state_dict: the value under "state_dict" when the
// top-level dict has one (Lightning checkpoints), else the top-level dict itself.
// Entries of that dict that are not tensors (step counters) are skipped; other
// top-level entries are not looked at.
//
// Unlike Load, it refuses any pickle that names a global other than the tensor
// rebuilds, torch's storage classes and collections.OrderedDict, with a *GlobalError
// naming it, so a checkpoint that would run code under torch.load is never accepted.
func LoadCheckpoint(path string) (*StateDict, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return DecodeCheckpoint(path, b)
}

// DecodeCheckpoint is LoadCheckpoint on bytes; name is used in errors.
func DecodeCheckpoint(name string, b []byte) (*StateDict, error) {
	obj, err := decodeObject(b, checkGlobal)
	if err != nil {
		if ge, ok := err.(*GlobalError); ok {
			ge.File = name
			return nil, ge
		}
		return nil, named(err, name)
	}
	top, ok := obj.(*dict)
	if !ok {
		return nil, named(errorf("the file holds a %s, not a checkpoint dict", kind(obj)), name)
	}
	if i, ok := top.index["state_dict"]; ok {
		inner, ok := top.vals[i].(*dict)
		if !ok {
			return nil, named(errorf("\"state_dict\" is a %s, not a dict", kind(top.vals[i])), name)
		}
		top = inner
	}
	sd := &StateDict{Tensors: make(map[string]*Tensor, len(top.keys))}
	for i, k := range top.keys {
		key, ok := k.(string)
		if !ok {
			return nil, named(errorf("state_dict key %d is a %s, not a str", i, kind(k)), name)
		}
		tr, ok := top.vals[i].(*tensorRef)
		if !ok {
			continue
		}
		t, err := tr.materialize()
		if err != nil {
			return nil, named(errorf("state_dict value %q: %v", key, err.(*FormatError).Problem), name)
		}
		sd.Keys = append(sd.Keys, key)
		sd.Tensors[key] = t
	}
	if len(sd.Keys) == 0 {
		return nil, named(errorf("no tensors in the state_dict"), name)
	}
	return sd, nil
}
