package torchpth

import "fmt"

// A FormatError reports a file that is not a readable torch state_dict: truncated,
// foreign (a PNG, a zip without data.pkl), or using something this reader does not
// support. File is the path given to Load, or the name given to Decode.
type FormatError struct {
	File    string
	Problem string
}

func (e *FormatError) Error() string {
	if e.File == "" {
		return "torchpth: " + e.Problem
	}
	return "torchpth: " + e.File + ": " + e.Problem
}

// errorf makes a FormatError without a file name; Decode fills it in.
func errorf(format string, a ...any) error {
	return &FormatError{Problem: fmt.Sprintf(format, a...)}
}
