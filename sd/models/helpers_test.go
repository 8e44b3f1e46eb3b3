package models

import (
	"testing"

	"github.com/tomebench/tomebench/internal/half"
	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/internal/testutil"
)

const fixtures = "../../../shared/fixtures"

// runModel runs m (inline weights) on the CPU and returns the named outputs.
func runModel(t *testing.T, m *onnx.Model, in map[string]*ort.Tensor, outs ...string) map[string]*ort.Tensor {
	t.Helper()
	return runModelShapes(t, m, in, nil, outs...)
}

// runModelShapes is runModel with the shapes of float16 outputs given (onnxruntime_go
// needs them pre-allocated).
func runModelShapes(t *testing.T, m *onnx.Model, in map[string]*ort.Tensor, shapes map[string][]int64, outs ...string) map[string]*ort.Tensor {
	t.Helper()
	orttest.Require(t)
	s := orttest.NewSession(t, m, ort.SessionOptions{Threads: 2})
	defer s.Close()
	res, err := s.RunWithShapes(in, outs, shapes)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func f32Tensor(a *npy.Array) *ort.Tensor {
	return ort.NewFloat32(testutil.Shape64(a.Shape), a.Float32s())
}

func f16Tensor(a *npy.Array) *ort.Tensor {
	t := f32Tensor(a)
	return ort.NewFloat16(t.Shape, half.Float32sToF16s(t.F32))
}

// maxAbsDiff is testutil.MaxAbsDiff (NaN counts as infinite) that stops the test when
// the lengths differ.
func maxAbsDiff(t *testing.T, a, b []float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("lengths differ: %d vs %d", len(a), len(b))
	}
	return testutil.MaxAbsDiff(a, b)
}
