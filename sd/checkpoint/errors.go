package checkpoint

// An Error reports a checkpoint (or architecture file) that cannot be used: which file
// and what is wrong.
type Error struct {
	Path string
	Msg  string
	Err  error
}

// Error formats the problem as "checkpoint: path: message[: cause]".
func (e *Error) Error() string {
	s := "checkpoint: " + e.Path + ": " + e.Msg
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
