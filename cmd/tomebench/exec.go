package main

import (
	"flag"
	"fmt"
	"math"
	"sort"

	"github.com/tomebench/tomebench/internal/half"
	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/internal/ort"
)

var execCommand = &command{
	name: "exec",
	args: "MODEL.onnx",
	summary: "Run any ONNX model on inputs from .npy files and write its outputs as .npy files.\n" +
		"Inputs are converted to the type the model declares (float16 models take float32 .npy);\n" +
		"float16 outputs are written as float32. --expect compares an output with a reference.",
	run: runExec,
}

func runExec(e *env, fs *flag.FlagSet, args []string) error {
	var inputs, outputs, expects namedFiles
	fs.Var(&inputs, "input", "`NAME=FILE.npy`: a model input (repeat for each input)")
	fs.Var(&outputs, "output", "`NAME=FILE.npy`: write this output (repeatable; default: print all outputs' shapes)")
	fs.Var(&expects, "expect", "`NAME=FILE.npy`: fail unless this output is within --atol of the file (repeatable)")
	atol := fs.Float64("atol", 1e-5, "largest absolute difference --expect accepts")
	provider := fs.String("provider", "cpu", "execution provider: cpu or cuda")
	threads := fs.Int("threads", 0, "intra-op threads (0: ONNX Runtime's default)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one model file, got %d arguments", len(pos))
	}
	model := pos[0]
	if err := ort.Init(); err != nil {
		return err
	}
	sess, err := ort.NewSession(model, ort.SessionOptions{Provider: *provider, Threads: *threads})
	if err != nil {
		return fmt.Errorf("%s: %w", model, err)
	}
	defer sess.Close()

	declared := map[string]ort.IOInfo{}
	for _, in := range sess.Inputs() {
		declared[in.Name] = in
	}
	feeds := map[string]*ort.Tensor{}
	for _, in := range inputs {
		info, ok := declared[in.name]
		if !ok {
			return fmt.Errorf("%s has no input %q (inputs: %s)", model, in.name, ioNames(sess.Inputs()))
		}
		a, err := npy.ReadFile(in.file)
		if err != nil {
			return err
		}
		t, err := tensorFor(a, info)
		if err != nil {
			return fmt.Errorf("%s: %w", in.file, err)
		}
		feeds[in.name] = t
	}
	for _, in := range sess.Inputs() {
		if feeds[in.Name] == nil {
			return fmt.Errorf("%s needs input %q (%s %v): give --input %s=FILE.npy", model, in.Name, in.DType, in.Shape, in.Name)
		}
	}
	var names []string
	for _, o := range sess.Outputs() {
		names = append(names, o.Name)
	}
	res, err := sess.Run(feeds, names)
	if err != nil {
		return fmt.Errorf("%s: %w", model, err)
	}
	for _, o := range outputs {
		t, ok := res[o.name]
		if !ok {
			return fmt.Errorf("%s has no output %q (outputs: %s)", model, o.name, ioNames(sess.Outputs()))
		}
		if err := npy.WriteFile(o.file, arrayOf(t)); err != nil {
			return err
		}
	}
	if len(outputs) == 0 {
		sorted := append([]string(nil), names...)
		sort.Strings(sorted)
		for _, n := range sorted {
			fmt.Fprintf(e.stdout, "%s: %s %v\n", n, res[n].DType, res[n].Shape)
		}
	}
	for _, x := range expects {
		t, ok := res[x.name]
		if !ok {
			return fmt.Errorf("%s has no output %q", model, x.name)
		}
		want, err := npy.ReadFile(x.file)
		if err != nil {
			return err
		}
		d, err := maxAbsDiff(arrayOf(t), want)
		if err != nil {
			return fmt.Errorf("output %s vs %s: %w", x.name, x.file, err)
		}
		fmt.Fprintf(e.stdout, "%s: max abs diff %.3g vs %s\n", x.name, d, x.file)
		if !(d <= *atol) {
			return fmt.Errorf("output %s differs from %s by %.3g (over --atol %g)", x.name, x.file, d, *atol)
		}
	}
	return nil
}

func ioNames(infos []ort.IOInfo) string {
	s := ""
	for i, in := range infos {
		if i > 0 {
			s += ", "
		}
		s += in.Name
	}
	return s
}

// tensorFor converts an array to the element type the model declares for an input.
func tensorFor(a *npy.Array, info ort.IOInfo) (*ort.Tensor, error) {
	shape := make([]int64, len(a.Shape))
	for i, d := range a.Shape {
		shape[i] = int64(d)
	}
	if len(info.Shape) != len(shape) {
		return nil, fmt.Errorf("input %s wants rank %d %v, file has shape %v", info.Name, len(info.Shape), info.Shape, a.Shape)
	}
	for i, d := range info.Shape {
		if d >= 0 && d != shape[i] {
			return nil, fmt.Errorf("input %s wants shape %v, file has %v", info.Name, info.Shape, a.Shape)
		}
	}
	isFloat := a.DType == npy.Float32 || a.DType == npy.Float64
	switch info.DType {
	case ort.Float32:
		if !isFloat {
			return nil, fmt.Errorf("input %s is float, file holds %s", info.Name, a.DType)
		}
		return ort.NewFloat32(shape, a.Float32s()), nil
	case ort.Float16:
		if !isFloat {
			return nil, fmt.Errorf("input %s is float16, file holds %s", info.Name, a.DType)
		}
		return ort.NewFloat16(shape, half.Float32sToF16s(a.Float32s())), nil
	case ort.Int64, ort.Int32:
		if isFloat {
			return nil, fmt.Errorf("input %s is %s, file holds %s", info.Name, info.DType, a.DType)
		}
		v := a.Int64s()
		if info.DType == ort.Int64 {
			return ort.NewInt64(shape, v), nil
		}
		w := make([]int32, len(v))
		for i, x := range v {
			w[i] = int32(x)
		}
		return ort.NewInt32(shape, w), nil
	}
	return nil, fmt.Errorf("input %s has type %s, which exec cannot feed", info.Name, info.ONNXType)
}

// arrayOf converts an output tensor to an array (float16 becomes float32).
func arrayOf(t *ort.Tensor) *npy.Array {
	shape := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = int(d)
	}
	switch t.DType {
	case ort.Int64:
		return npy.NewInt64(shape, t.I64)
	case ort.Int32:
		return npy.NewInt32(shape, t.I32)
	}
	return npy.NewFloat32(shape, t.Float32s())
}

func maxAbsDiff(a, b *npy.Array) (float64, error) {
	if fmt.Sprint(a.Shape) != fmt.Sprint(b.Shape) {
		return 0, fmt.Errorf("shape %v vs %v", a.Shape, b.Shape)
	}
	x, y := a.Float64s(), b.Float64s()
	d := 0.0
	for i := range x {
		v := math.Abs(x[i] - y[i])
		if v > d || math.IsNaN(v) {
			d = v
		}
	}
	return d, nil
}
