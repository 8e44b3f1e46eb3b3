package ort

import (
	"fmt"
	"slices"
	"strings"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// Run runs the model on the named inputs (every model input must be given)
// and returns the named outputs (all outputs when outputNames is empty).
// Input tensors are read in place, not copied. Float16 outputs are
// pre-allocated: their shape must be static in the model, or its dynamic
// dimensions must all take one value in this call's inputs (the usual
// dynamic batch); otherwise use RunWithShapes.
func (s *Session) Run(inputs map[string]*Tensor, outputNames []string) (map[string]*Tensor, error) {
	return s.RunWithShapes(inputs, outputNames, nil)
}

// RunWithShapes is Run with the shapes of some outputs given by the caller;
// those outputs are pre-allocated with that shape (required for float16
// outputs whose shape Run cannot work out).
func (s *Session) RunWithShapes(inputs map[string]*Tensor, outputNames []string, outputShapes map[string][]int64) (map[string]*Tensor, error) {
	if s.s == nil {
		return nil, fmt.Errorf("ort: Run on closed session %s", s.name)
	}
	if len(outputNames) == 0 {
		outputNames = names(s.outputs)
	}
	for _, n := range outputNames {
		if !slices.ContainsFunc(s.outputs, func(o IOInfo) bool { return o.Name == n }) {
			return nil, fmt.Errorf("ort: %s has no output %q (outputs: %s)", s.name, n, strings.Join(names(s.outputs), ", "))
		}
	}
	var values []onnxruntime.Value
	defer func() {
		for _, v := range values {
			if v != nil {
				v.Destroy()
			}
		}
	}()
	in, dynamic, err := s.inputValues(inputs)
	values = append(values, in...)
	if err != nil {
		return nil, err
	}
	out := make([]onnxruntime.Value, len(s.outputs))
	pre := make([]*Tensor, len(s.outputs))
	for i, o := range s.outputs {
		shape, ok := outputShapes[o.Name]
		if !ok && o.Static() {
			shape, ok = o.Shape, true
		}
		if !ok && o.DType == Float16 {
			if shape, ok = fillDynamic(o.Shape, dynamic); !ok {
				return nil, fmt.Errorf("ort: %s: float16 output %q has dynamic shape %v that cannot be worked out from the inputs; give it with RunWithShapes", s.name, o.Name, o.Shape)
			}
		}
		if !ok || o.DType == Undefined {
			continue // ONNX Runtime allocates it
		}
		t, v, err := newOutput(o.DType, shape)
		if err != nil {
			return nil, fmt.Errorf("ort: %s: output %q: %w", s.name, o.Name, err)
		}
		pre[i], out[i] = t, v
		values = append(values, v)
	}
	if err := s.s.Run(in, out); err != nil {
		for _, v := range out { // auto-allocated ones, if any came back
			if v != nil && !slices.Contains(values, v) {
				v.Destroy()
			}
		}
		return nil, fmt.Errorf("ort: running %s: %w", s.name, err)
	}
	result := make(map[string]*Tensor, len(outputNames))
	var firstErr error
	for i, o := range s.outputs {
		if pre[i] == nil {
			values = append(values, out[i]) // destroy what ORT allocated
		}
		if !slices.Contains(outputNames, o.Name) {
			continue
		}
		if pre[i] != nil {
			result[o.Name] = pre[i]
			continue
		}
		t, err := fromValue(out[i])
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("ort: %s: output %q (%s): %w", s.name, o.Name, o.ONNXType, err)
		}
		result[o.Name] = t
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return result, nil
}

// inputValues checks the inputs against the model and wraps them in model
// order. dynamic collects the values taken by the model's dynamic input
// dimensions.
func (s *Session) inputValues(inputs map[string]*Tensor) (values []onnxruntime.Value, dynamic map[int64]bool, err error) {
	for n := range inputs {
		if !slices.ContainsFunc(s.inputs, func(i IOInfo) bool { return i.Name == n }) {
			return nil, nil, fmt.Errorf("ort: %s has no input %q (inputs: %s)", s.name, n, strings.Join(names(s.inputs), ", "))
		}
	}
	dynamic = map[int64]bool{}
	values = make([]onnxruntime.Value, 0, len(s.inputs))
	for _, info := range s.inputs {
		t := inputs[info.Name]
		if t == nil {
			return values, nil, fmt.Errorf("ort: %s: input %q (%s %v) not given", s.name, info.Name, info.ONNXType, info.Shape)
		}
		if err := t.validate(); err != nil {
			return values, nil, fmt.Errorf("ort: %s: input %q: %w", s.name, info.Name, err)
		}
		if t.DType != info.DType {
			return values, nil, fmt.Errorf("ort: %s: input %q is %v, the model wants %s", s.name, info.Name, t.DType, info.ONNXType)
		}
		if len(t.Shape) != len(info.Shape) {
			return values, nil, fmt.Errorf("ort: %s: input %q has shape %v, the model wants %v", s.name, info.Name, t.Shape, info.Shape)
		}
		for i, d := range info.Shape {
			if d >= 0 && d != t.Shape[i] {
				return values, nil, fmt.Errorf("ort: %s: input %q has shape %v, the model wants %v", s.name, info.Name, t.Shape, info.Shape)
			}
			if d < 0 {
				dynamic[t.Shape[i]] = true
			}
		}
		v, err := t.toValue()
		if err != nil {
			return values, nil, fmt.Errorf("ort: %s: input %q: %w", s.name, info.Name, err)
		}
		values = append(values, v)
	}
	return values, dynamic, nil
}

// fillDynamic replaces the -1 dimensions of shape by the one value that the
// dynamic input dimensions took; it fails when they took several.
func fillDynamic(shape []int64, dynamic map[int64]bool) ([]int64, bool) {
	if len(dynamic) != 1 {
		return nil, false
	}
	var v int64
	for k := range dynamic {
		v = k
	}
	out := slices.Clone(shape)
	for i, d := range out {
		if d < 0 {
			out[i] = v
		}
	}
	return out, true
}
