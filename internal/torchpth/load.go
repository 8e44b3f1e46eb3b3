package torchpth

import (
	"bytes"
	"errors"
	"fmt"
	"os"
)

// A StateDict is a loaded state_dict: its keys in file order and a tensor per key.
type StateDict struct {
	Keys    []string
	Tensors map[string]*Tensor
}

// Load reads the state_dict file at path (zip or legacy format).
func Load(path string) (*StateDict, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Decode(path, b)
}

// Decode reads a state_dict from the bytes of a .pth file; name is used in errors.
func Decode(name string, b []byte) (*StateDict, error) {
	obj, err := decodeObject(b, nil)
	var sd *StateDict
	if err == nil {
		sd, err = stateDict(obj)
	}
	return sd, named(err, name)
}

// decodeObject unpickles the object of a torch.save file (zip or legacy) with every
// storage's bytes in place; check vets the globals (nil: none).
func decodeObject(b []byte, check func(global) error) (any, error) {
	switch {
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return decodeZip(b, check)
	case len(b) >= 2 && b[0] == 0x80:
		return decodeLegacy(b, check)
	}
	return nil, errorf("not a torch.save file: %s", describe(b))
}

// named fills in the file name of a *FormatError that has none.
func named(err error, name string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.File == "" {
		fe.File = name
	}
	return err
}

// describe says what a file that is neither format looks like.
func describe(b []byte) string {
	if len(b) == 0 {
		return "the file is empty"
	}
	known := []struct{ magic, what string }{
		{"\x89PNG\r\n\x1a\n", "a PNG image"}, {"\xff\xd8\xff", "a JPEG image"}, {"GIF8", "a GIF image"},
		{"\x1f\x8b", "gzip data"}, {"PK", "a zip archive of an unknown kind"},
		{"\x08", "possibly an ONNX model"}, {"<", "text (HTML or XML?)"}, {"{", "JSON text"},
	}
	for _, k := range known {
		if bytes.HasPrefix(b, []byte(k.magic)) {
			return "it looks like " + k.what
		}
	}
	if len(b) > 262 && string(b[257:262]) == "ustar" {
		return "it is a tar archive (torch's pre-0.4 tar format is not supported)"
	}
	n := min(len(b), 8)
	return fmt.Sprintf("it starts with bytes % x, neither a zip archive nor a pickle", b[:n])
}

// loader holds what both formats share: storages by key and the reduce hook.
type loader struct {
	storages map[string]*storageRef
}

// persistentLoad resolves ('storage', torch.XStorage, key, location, numel[, view]).
func (l *loader) persistentLoad(pid any) (any, error) {
	t, ok := pid.(tuple)
	if !ok || len(t) < 5 || t[0] != "storage" {
		return nil, errorf("persistent id %s is not a torch storage reference", kind(pid))
	}
	g, ok := t[1].(global)
	dtype, known := storageTypes[g.name]
	if !ok || g.module != "torch" || !known {
		return nil, errorf("unsupported storage type %s", kind(t[1]))
	}
	key, ok1 := t[2].(string)
	numel, ok2 := t[4].(int64)
	if !ok1 || !ok2 || numel < 0 {
		return nil, errorf("malformed storage reference (key %s, numel %s)", kind(t[2]), kind(t[4]))
	}
	s, ok := l.storages[key]
	if !ok {
		s = &storageRef{dtype: dtype, key: key, numel: numel}
		l.storages[key] = s
	} else if s.dtype != dtype {
		return nil, errorf("storage %q referenced as both %s and %s", key, s.dtype, dtype)
	}
	if len(t) >= 6 && t[5] != nil { // legacy view: (view_key, offset, view_size)
		v, ok := t[5].(tuple)
		if !ok || len(v) != 3 {
			return nil, errorf("malformed storage view of %q", key)
		}
		vkey, ok1 := v[0].(string)
		off, ok2 := v[1].(int64)
		size, ok3 := v[2].(int64)
		if !ok1 || !ok2 || !ok3 || off < 0 || size < 0 || off+size > numel {
			return nil, errorf("malformed storage view of %q", key)
		}
		if view, ok := l.storages[vkey]; ok {
			return view, nil
		}
		view := &storageRef{dtype: dtype, key: vkey, numel: size, root: s, offset: off}
		l.storages[vkey] = view
		return view, nil
	}
	return s, nil
}

// reduce rebuilds tensors; every other global stays inert.
func (l *loader) reduce(g global, args tuple) (any, bool, error) {
	if g.module != "torch._utils" {
		return nil, false, nil
	}
	switch g.name {
	case "_rebuild_tensor", "_rebuild_tensor_v2":
		if len(args) < 4 {
			return nil, false, errorf("%s with %d arguments", g.name, len(args))
		}
		st, ok := args[0].(*storageRef)
		off, ok2 := args[1].(int64)
		size, ok3 := ints(args[2])
		stride, ok4 := ints(args[3])
		if !ok || !ok2 || !ok3 || !ok4 || len(size) != len(stride) || off < 0 {
			return nil, false, errorf("malformed %s arguments", g.name)
		}
		return &tensorRef{storage: st, offset: off, size: size, stride: stride}, true, nil
	case "_rebuild_parameter", "_rebuild_parameter_with_state":
		if len(args) < 1 {
			return nil, false, errorf("%s without arguments", g.name)
		}
		if t, ok := args[0].(*tensorRef); ok {
			return t, true, nil
		}
		return nil, false, errorf("%s of a %s", g.name, kind(args[0]))
	}
	return nil, false, nil
}

func ints(v any) ([]int64, bool) {
	t, ok := v.(tuple)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(t))
	for i, x := range t {
		n, ok := x.(int64)
		if !ok {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

// stateDict turns the unpickled top-level object into a StateDict once every storage
// has its bytes.
func stateDict(obj any) (*StateDict, error) {
	d, ok := obj.(*dict)
	if !ok {
		return nil, errorf("the file holds a %s, not a state_dict (a dict of tensors)", kind(obj))
	}
	sd := &StateDict{Tensors: make(map[string]*Tensor, len(d.keys))}
	for i, k := range d.keys {
		key, ok := k.(string)
		if !ok {
			return nil, errorf("state_dict key %d is a %s, not a str", i, kind(k))
		}
		tr, ok := d.vals[i].(*tensorRef)
		if !ok {
			return nil, errorf("state_dict value %q is a %s, not a tensor", key, kind(d.vals[i]))
		}
		t, err := tr.materialize()
		if err != nil {
			return nil, errorf("state_dict value %q: %v", key, err.(*FormatError).Problem)
		}
		sd.Keys = append(sd.Keys, key)
		sd.Tensors[key] = t
	}
	return sd, nil
}
