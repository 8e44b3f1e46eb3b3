package diffusers

import (
	"encoding/json"
	"fmt"
)

// An IntList is a config value that diffusers accepts as either one int (meaning "the
// same for every block") or a list with one int per block. JSON null leaves it empty.
type IntList []int

// UnmarshalJSON accepts an int, a list of ints or null.
func (l *IntList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	var one int
	if err := json.Unmarshal(b, &one); err == nil {
		*l = IntList{one}
		return nil
	}
	var many []int
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want an int or a list of ints, got %s", b)
	}
	*l = many
	return nil
}

// Per expands l to n values: a single value is repeated. It reports false if l has
// neither 1 nor n values.
func (l IntList) Per(n int) ([]int, bool) {
	switch len(l) {
	case 1:
		out := make([]int, n)
		for i := range out {
			out[i] = l[0]
		}
		return out, true
	case n:
		return append([]int(nil), l...), true
	}
	return nil, false
}

// A BoolList is a config value given as one bool or one bool per block.
type BoolList []bool

// UnmarshalJSON accepts a bool, a list of bools or null.
func (l *BoolList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	var one bool
	if err := json.Unmarshal(b, &one); err == nil {
		*l = BoolList{one}
		return nil
	}
	var many []bool
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a bool or a list of bools, got %s", b)
	}
	*l = many
	return nil
}

// Per expands l to n values like IntList.Per; an empty list means false everywhere.
func (l BoolList) Per(n int) ([]bool, bool) {
	switch len(l) {
	case 0:
		return make([]bool, n), true
	case 1:
		out := make([]bool, n)
		for i := range out {
			out[i] = l[0]
		}
		return out, true
	case n:
		return append([]bool(nil), l...), true
	}
	return nil, false
}
