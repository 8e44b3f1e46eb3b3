package ort

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tomebench/tomebench/internal/half"
	"github.com/tomebench/tomebench/internal/testutil"
)

// requireORT is orttest.Require (which imports this package, so cannot be
// used from its internal tests).
func requireORT(t testing.TB) {
	t.Helper()
	if err := Init(); err != nil {
		t.Fatalf("this test needs ONNX Runtime: %v\n\tinstall: %s", err, InstallCommand)
	}
}

const unetDir = "../../../shared/fixtures/unet/tiny-sd15"

func readNpy(t *testing.T, name string) *Tensor {
	t.Helper()
	a := testutil.ReadNPY(t, filepath.Join(unetDir, "golden", name+".npy"))
	return NewFloat32(testutil.Shape64(a.Shape), a.Float32s())
}

// TestUNetGolden runs the exported tiny SD 1.5 UNet on the golden inputs and
// compares with torch's output out_unpatched.npy (fixture README: ORT
// reproduces torch to 2.7e-6).
func TestUNetGolden(t *testing.T) {
	requireORT(t)
	modelPath := filepath.Join(unetDir, "onnx", "model.onnx")
	modelBytes, err := os.ReadFile(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	inputs := map[string]*Tensor{
		"sample":                readNpy(t, "sample"),
		"timestep":              readNpy(t, "timestep"),
		"encoder_hidden_states": readNpy(t, "encoder_hidden_states"),
	}
	want := readNpy(t, "out_unpatched")
	cases := []struct {
		name string
		open func() (*Session, error)
		tol  float64
	}{
		{"from path", func() (*Session, error) { return NewSession(modelPath, SessionOptions{}) }, 1e-5},
		{"from bytes, 1 thread, no optimisation", func() (*Session, error) {
			return NewSessionFromBytes(modelBytes, SessionOptions{Threads: 1, InterOpThreads: 1, OptLevel: OptDisable, Provider: ProviderCPU})
		}, 1e-5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := c.open()
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			in := s.Inputs()
			wantIn := []IOInfo{
				{Name: "sample", DType: Float32, Shape: []int64{-1, 4, 32, 32}},
				{Name: "timestep", DType: Float32, Shape: []int64{-1}},
				{Name: "encoder_hidden_states", DType: Float32, Shape: []int64{-1, 77, 32}},
			}
			for i := range wantIn { // shapes from the fixture README
				if i >= len(in) || in[i].Name != wantIn[i].Name || in[i].DType != wantIn[i].DType || !slices.Equal(in[i].Shape, wantIn[i].Shape) {
					t.Fatalf("Inputs() = %+v, want %+v", in, wantIn)
				}
			}
			if out := s.Outputs(); len(out) != 1 || out[0].Name != "out_sample" {
				t.Fatalf("Outputs() = %+v, want one named out_sample", out)
			}
			got, err := s.Run(inputs, []string{"out_sample"})
			if err != nil {
				t.Fatal(err)
			}
			o := got["out_sample"]
			if !slices.Equal(o.Shape, want.Shape) {
				t.Fatalf("shape %v, want %v", o.Shape, want.Shape)
			}
			if d := testutil.MaxAbsDiff(o.F32, want.F32); d > c.tol {
				t.Fatalf("max |ORT - torch| = %.3g, want <= %g", d, c.tol)
			} else {
				t.Logf("max |ORT - torch| = %.3g", d)
			}
		})
	}
}

// TestFloat16Outputs runs a Cast to float16 (pre-allocated output) with a
// static shape, a dynamic batch worked out from the inputs, and a caller
// given shape. ORT's Cast rounds to nearest even, so its bits must equal
// half.Float32ToF16's; z = x + 1 comes back auto-allocated.
func TestFloat16Outputs(t *testing.T) {
	requireORT(t)
	x := []float32{0, 1, -2, 0.1, 65504, 65520, 1 + 1.0/2048, 1 + 3.0/2048, 1.0 / (1 << 25), 1.5 / (1 << 25), 3e-5, -7.25}
	cases := []struct {
		name   string
		model  []byte
		shape  []int64
		shapes map[string][]int64
	}{
		{"static", castModel(4, 3), []int64{4, 3}, nil},
		{"dynamic batch from inputs", castModel(-1, 3), []int64{4, 3}, nil},
		{"shape given", castModel(-1, -1), []int64{2, 6}, map[string][]int64{"y": {2, 6}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := NewSessionFromBytes(c.model, SessionOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, err := s.RunWithShapes(map[string]*Tensor{"x": NewFloat32(c.shape, x)}, nil, c.shapes)
			if err != nil {
				t.Fatal(err)
			}
			y, z := got["y"], got["z"]
			if y.DType != Float16 || !slices.Equal(y.Shape, c.shape) || !slices.Equal(y.F16, half.Float32sToF16s(x)) {
				t.Errorf("y = %v %v %#04x, want float16 %v %#04x", y.DType, y.Shape, y.F16, c.shape, half.Float32sToF16s(x))
			}
			for i, v := range z.F32 {
				if v != x[i]+1 {
					t.Fatalf("z[%d] = %g, want %g", i, v, x[i]+1)
				}
			}
		})
	}
	s, err := NewSessionFromBytes(castModel(-1, -1), SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Run(map[string]*Tensor{"x": NewFloat32([]int64{2, 6}, x)}, nil); err == nil || !strings.Contains(err.Error(), "RunWithShapes") {
		t.Errorf("float16 output of unknowable shape: error %v, want one pointing at RunWithShapes", err)
	}
}

// TestFloat16Input feeds float16 bits to a Cast back to float32 (exact).
func TestFloat16Input(t *testing.T) {
	requireORT(t)
	m := model(
		[][]byte{node("Cast", []string{"h"}, []string{"f"}, map[string]int64{"to": onnxFloat})},
		nil,
		[][]byte{valueInfo("h", onnxFloat16, 5)},
		[][]byte{valueInfo("f", onnxFloat, 5)},
	)
	s, err := NewSessionFromBytes(m, SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := []uint16{0x3c00, 0xc000, 0x7bff, 0x0001, 0x2e66}
	got, err := s.Run(map[string]*Tensor{"h": NewFloat16([]int64{5}, h)}, []string{"f"})
	if err != nil {
		t.Fatal(err)
	}
	if want := half.F16sToFloat32s(h); !slices.Equal(got["f"].F32, want) {
		t.Fatalf("f = %v, want %v", got["f"].F32, want)
	}
}

// TestIntTensors checks int64 in, int32 and int64 out.
func TestIntTensors(t *testing.T) {
	requireORT(t)
	s, err := NewSessionFromBytes(intModel(3), SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Run(map[string]*Tensor{"x": NewInt64([]int64{3}, []int64{-5, 7, 1 << 20})}, []string{"y", "z"})
	if err != nil {
		t.Fatal(err)
	}
	if y := got["y"]; y.DType != Int32 || !slices.Equal(y.I32, []int32{-5, 7, 1 << 20}) {
		t.Errorf("y = %+v", y)
	}
	if z := got["z"]; z.DType != Int64 || !slices.Equal(z.I64, []int64{-10, 14, 2 << 20}) {
		t.Errorf("z = %+v", z)
	}
}

// TestExternalData opens a model whose weight lives in a separate file:
// from its path, from bytes with ExternalDataDir, and from bytes without it
// (which must fail).
func TestExternalData(t *testing.T) {
	requireORT(t)
	w := []float32{1, 2, 3, 4, 5, 6}
	m, raw := externalModel(w, "weights.pb")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "weights.pb"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, m, 0o644); err != nil {
		t.Fatal(err)
	}
	x := []float32{10, 20, 30, 40, 50, 60}
	open := map[string]func() (*Session, error){
		"path":  func() (*Session, error) { return NewSession(path, SessionOptions{}) },
		"bytes": func() (*Session, error) { return NewSessionFromBytes(m, SessionOptions{ExternalDataDir: dir}) },
	}
	for name, f := range open {
		s, err := f()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := s.Run(map[string]*Tensor{"x": NewFloat32([]int64{2, 3}, x)}, nil)
		s.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, v := range got["y"].F32 {
			if v != x[i]+w[i] {
				t.Fatalf("%s: y[%d] = %g, want %g", name, i, v, x[i]+w[i])
			}
		}
	}
	if _, err := NewSessionFromBytes(m, SessionOptions{}); err == nil {
		t.Errorf("bytes without ExternalDataDir opened; want an error")
	}
}

// TestRunErrors checks that caller mistakes come back as errors naming the
// problem, before ONNX Runtime sees them.
func TestRunErrors(t *testing.T) {
	requireORT(t)
	s, err := NewSessionFromBytes(castModel(2, 3), SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x := NewFloat32([]int64{2, 3}, make([]float32, 6))
	cases := []struct {
		name    string
		inputs  map[string]*Tensor
		outputs []string
		errText string
	}{
		{"missing input", map[string]*Tensor{}, nil, `input "x"`},
		{"unknown input", map[string]*Tensor{"x": x, "q": x}, nil, `no input "q"`},
		{"unknown output", map[string]*Tensor{"x": x}, []string{"nope"}, `no output "nope"`},
		{"wrong type", map[string]*Tensor{"x": NewInt64([]int64{2, 3}, make([]int64, 6))}, nil, "int64"},
		{"wrong shape", map[string]*Tensor{"x": NewFloat32([]int64{3, 2}, make([]float32, 6))}, nil, "[3 2]"},
		{"data shorter than shape", map[string]*Tensor{"x": NewFloat32([]int64{2, 3}, make([]float32, 5))}, nil, "needs 6 values"},
	}
	for _, c := range cases {
		if _, err := s.Run(c.inputs, c.outputs); err == nil || !strings.Contains(err.Error(), c.errText) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.errText)
		}
	}
}

// TestCUDAOnCPULibrary asks for CUDA from the CPU-only library: the error
// must name the missing provider libraries.
func TestCUDAOnCPULibrary(t *testing.T) {
	requireORT(t)
	if slices.Contains(Providers(), ProviderCUDA) {
		t.Skipf("the loaded library %s has the CUDA provider beside it; this test needs the CPU build", LoadedLibrary())
	}
	_, err := NewSessionFromBytes(castModel(2, 3), SessionOptions{Provider: ProviderCUDA})
	if !errors.Is(err, ErrProviderUnavailable) {
		t.Fatalf("error %v, want ErrProviderUnavailable", err)
	}
	for _, lib := range cudaProviderLibs {
		if !strings.Contains(err.Error(), lib) {
			t.Errorf("error %q does not name %s", err, lib)
		}
	}
	if _, err := NewSessionFromBytes(castModel(2, 3), SessionOptions{Provider: "tpu"}); err == nil {
		t.Errorf("unknown provider accepted")
	}
}

// TestConcurrent calls Init and Run from several goroutines at once (run
// with -race to check the locking).
func TestConcurrent(t *testing.T) {
	requireORT(t)
	s, err := NewSessionFromBytes(castModel(-1, 3), SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			if err := Init(); err != nil {
				errs <- err
				return
			}
			x := []float32{float32(g), 1, 2}
			got, err := s.Run(map[string]*Tensor{"x": NewFloat32([]int64{1, 3}, x)}, []string{"z"})
			if err == nil && got["z"].F32[0] != float32(g)+1 {
				err = errors.New("wrong result under concurrency")
			}
			if err != nil {
				errs <- err
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestVersionProviders checks the runtime's self-description.
func TestVersionProviders(t *testing.T) {
	requireORT(t)
	v := Version()
	if v == "" {
		t.Fatal("empty version")
	}
	if lib, _ := CachedLibraryPath(); LoadedLibrary() == lib && v != ORTVersion {
		t.Errorf("installed library reports version %q, want %q", v, ORTVersion)
	}
	t.Logf("ONNX Runtime %s from %s, providers %v", v, LoadedLibrary(), Providers())
	if p := Providers(); len(p) == 0 || p[0] != ProviderCPU {
		t.Errorf("Providers() = %v, want cpu first", p)
	}
}

// TestPeakRSS checks that the figures are plausible: positive, and the peak
// at least the current size.
func TestPeakRSS(t *testing.T) {
	cur, err := CurrentRSS() // first: the peak read later cannot be lower
	if err != nil {
		t.Fatal(err)
	}
	peak, err := PeakRSS()
	if err != nil {
		t.Fatal(err)
	}
	if cur <= 0 || peak < cur {
		t.Fatalf("PeakRSS %d, CurrentRSS %d: want 0 < current <= peak", peak, cur)
	}
	t.Logf("peak RSS %.1f MB, current %.1f MB", float64(peak)/1e6, float64(cur)/1e6)
}
