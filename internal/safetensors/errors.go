package safetensors

import "errors"

// A FormatError reports a malformed safetensors file: what is wrong and in which file.
type FormatError struct {
	File string // the path given to Open, or the name given to FromBytes
	Msg  string
}

// Error formats the problem as "safetensors: file: message".
func (e *FormatError) Error() string {
	if e.File == "" {
		return "safetensors: " + e.Msg
	}
	return "safetensors: " + e.File + ": " + e.Msg
}

// ErrNotFound is wrapped by errors for a tensor name the file does not hold.
var ErrNotFound = errors.New("no such tensor")

// ErrNotFloat is wrapped by Float32's error for a tensor that is not F32, F64, F16 or BF16.
var ErrNotFloat = errors.New("not a floating-point tensor")
