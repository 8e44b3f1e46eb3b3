package models

import (
	"math"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/ort/orttest"
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
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	s, err := ort.NewSessionFromBytes(b, ort.SessionOptions{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	res, err := s.RunWithShapes(in, outs, shapes)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readNPY(t *testing.T, path string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func f32Tensor(a *npy.Array) *ort.Tensor {
	shape := make([]int64, len(a.Shape))
	for i, d := range a.Shape {
		shape[i] = int64(d)
	}
	return ort.NewFloat32(shape, a.Float32s())
}

func f16Tensor(a *npy.Array) *ort.Tensor {
	t := f32Tensor(a)
	return ort.NewFloat16(t.Shape, ort.Float32sToFloat16s(t.F32))
}

// maxAbsDiff returns max |a−b| (NaN counts as infinite).
func maxAbsDiff(t *testing.T, a, b []float32) float64 {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("lengths differ: %d vs %d", len(a), len(b))
	}
	var m float64
	for i := range a {
		d := math.Abs(float64(a[i]) - float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		m = max(m, d)
	}
	return m
}
