package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tomebench/tomebench/internal/safetensors"
	"github.com/tomebench/tomebench/internal/torchpth"
)

// A File is an opened single-file checkpoint: its tensors by LDM key.
type File struct {
	Path    string
	keys    []string
	tensors map[string]safetensors.TensorInfo
	st      *safetensors.File // nil for a .ckpt
	// EMA reports that the UNet's weights were taken from its "model_ema." copy;
	// EMAKeys counts the keys starting with "model_ema" (EMA copies, decay,
	// num_updates), which decide, as in diffusers, whether the file has EMA weights.
	EMA     bool
	EMAKeys int
}

// torchDTypes maps torch element types to safetensors' names.
var torchDTypes = map[torchpth.DType]safetensors.DType{
	torchpth.Float32: safetensors.F32, torchpth.Float16: safetensors.F16, torchpth.BFloat16: safetensors.BF16,
	torchpth.Float64: safetensors.F64, torchpth.Int64: safetensors.I64, torchpth.Int32: safetensors.I32,
	torchpth.Int16: safetensors.I16, torchpth.Int8: safetensors.I8, torchpth.Uint8: safetensors.U8, torchpth.Bool: safetensors.Bool,
}

// Open reads the checkpoint at path: ".safetensors" (mapped, not copied), or a
// torch.save file (".ckpt", ".pt", ".pth", ".bin") read without running any of its
// pickle (see torchpth.LoadCheckpoint). With useEMA, when the file has more than 100
// "model_ema*" keys, every UNet tensor is replaced by its EMA copy
// ("model_ema.<key after "model." without dots>"), as diffusers v0.19.3's
// convert_ldm_unet_checkpoint(extract_ema=True) does; a missing copy is an *Error.
// Load passes useEMA = !Options.NoEMA (see Options.NoEMA for why EMA is the default).
func Open(path string, useEMA bool) (*File, error) {
	f := &File{Path: path, tensors: map[string]safetensors.TensorInfo{}}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".safetensors":
		st, err := safetensors.Open(path)
		if err != nil {
			return nil, &Error{Path: path, Msg: "unreadable safetensors checkpoint (truncated or not safetensors?)", Err: err}
		}
		f.st = st
		for _, k := range st.Names() {
			t, _ := st.Tensor(k)
			f.tensors[k] = t
		}
	case ".ckpt", ".pt", ".pth", ".bin":
		sd, err := torchpth.LoadCheckpoint(path)
		if err != nil {
			if os.IsNotExist(err) {
				return nil, &Error{Path: path, Msg: "no such file"}
			}
			return nil, &Error{Path: path, Msg: "unreadable torch checkpoint", Err: err}
		}
		for _, k := range sd.Keys {
			t := sd.Tensors[k]
			dt, ok := torchDTypes[t.DType]
			if !ok {
				return nil, &Error{Path: path, Msg: fmt.Sprintf("tensor %q has unsupported dtype %s", k, t.DType)}
			}
			f.tensors[k] = safetensors.TensorInfo{DType: dt, Shape: t.Shape, Bytes: t.Data}
		}
	default:
		return nil, &Error{Path: path, Msg: fmt.Sprintf("unknown checkpoint extension %q (want .safetensors or .ckpt)", ext)}
	}
	for k := range f.tensors {
		f.keys = append(f.keys, k)
	}
	slices.Sort(f.keys)
	for _, k := range f.keys {
		if strings.HasPrefix(k, "model_ema") {
			f.EMAKeys++
		}
	}
	if useEMA {
		if err := f.applyEMA(); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// emaThreshold is diffusers' test for a checkpoint with EMA weights: more than 100
// keys starting with "model_ema".
const emaThreshold = 100

// emaKey is diffusers' name of the EMA copy of UNet key k ("model.diffusion_model.X"):
// "model_ema." followed by k without "model." and with its dots removed
// ("model_ema.diffusion_modelinput_blocks00weight").
func emaKey(k string) string {
	return "model_ema." + strings.ReplaceAll(strings.TrimPrefix(k, "model."), ".", "")
}

// applyEMA replaces every model.diffusion_model.* tensor by its EMA copy when the file
// has more than 100 model_ema.* keys, as diffusers v0.19.3's convert_ldm_unet_checkpoint
// does with extract_ema=True. A UNet key without its EMA copy is an error there
// (checkpoint.pop raises KeyError) and here: half-EMA weights would be neither model.
func (f *File) applyEMA() error {
	if f.EMAKeys <= emaThreshold {
		return nil
	}
	repl := map[string]safetensors.TensorInfo{}
	var missing []string
	for _, k := range f.keys {
		if !strings.HasPrefix(k, unetPrefix) {
			continue
		}
		t, ok := f.tensors[emaKey(k)]
		if !ok {
			missing = append(missing, k)
			continue
		}
		repl[k] = t
	}
	if len(missing) > 0 {
		return &Error{Path: f.Path, Msg: fmt.Sprintf("the checkpoint has %d model_ema.* (EMA) tensors but no EMA copy of %d UNet tensors (first: %s, want %s); "+
			"--no-ema uses the training weights", f.EMAKeys, len(missing), missing[0], emaKey(missing[0]))}
	}
	for k, t := range repl {
		f.tensors[k] = t
	}
	f.EMA = len(repl) > 0
	return nil
}

// WeightsUsed says which UNet weights were taken, for the user: the EMA copy, the
// training weights (with or without an EMA copy in the file), and how to get the other.
func (f *File) WeightsUsed() string {
	switch {
	case f.EMA:
		return fmt.Sprintf("EMA weights (model_ema.*, %d tensors in the file) replace model.diffusion_model.*, as diffusers' converter with --extract_ema; --no-ema takes the training weights", f.EMAKeys)
	case f.EMAKeys > emaThreshold:
		return fmt.Sprintf("training (non-EMA) weights model.diffusion_model.*, as --no-ema asks; the file also has EMA weights (%d model_ema.* tensors), used without --no-ema", f.EMAKeys)
	default:
		return "model.diffusion_model.* (the file has no separate EMA weights)"
	}
}

// Keys returns the tensor keys, sorted.
func (f *File) Keys() []string { return f.keys }

// Tensor returns the tensor stored under the LDM key.
func (f *File) Tensor(key string) (safetensors.TensorInfo, bool) {
	t, ok := f.tensors[key]
	return t, ok
}

// Close releases the file.
func (f *File) Close() error {
	if f.st != nil {
		return f.st.Close()
	}
	return nil
}

// hasPrefix reports whether any key starts with p.
func (f *File) hasPrefix(p string) bool {
	for _, k := range f.keys {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// Dtypes counts the tensors per element type (for reports).
func (f *File) Dtypes() map[safetensors.DType]int {
	m := map[safetensors.DType]int{}
	for _, t := range f.tensors {
		m[t.DType]++
	}
	return m
}
