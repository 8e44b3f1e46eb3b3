package diffusers

import "errors"

// An Error reports a problem with a model folder or file: which path and what is wrong.
type Error struct {
	Path string
	Msg  string
	Err  error // underlying cause, if any
}

// Error formats the problem as "diffusers: path: message[: cause]".
func (e *Error) Error() string {
	s := "diffusers: " + e.Path + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// ErrNoSafetensors is wrapped by the error for a component folder whose weights exist only
// as PyTorch pickles (.bin, .ckpt, .pt).
var ErrNoSafetensors = errors.New("safetensors weights required")

// ErrNotCached is wrapped by Resolve's error when a repo id is not in the local cache.
var ErrNotCached = errors.New("not in the local Hugging Face cache")
