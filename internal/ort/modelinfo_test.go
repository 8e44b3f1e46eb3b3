package ort

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadIOInfoMatchesORT checks the protobuf reading against what ONNX
// Runtime itself reports (onnxruntime_go.GetInputOutputInfo) for the
// exported UNet fixture and the hand-written test models.
func TestReadIOInfoMatchesORT(t *testing.T) {
	requireORT(t)
	unet, err := os.ReadFile(filepath.Join(unetDir, "onnx", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	one, _ := floatInitializer("x", []int64{2, 3}, make([]float32, 6), "")
	initAsInput := model( // IR-3 style: an initializer also listed as input
		[][]byte{node("Add", []string{"x", "y"}, []string{"z"}, nil)},
		[][]byte{one},
		[][]byte{valueInfo("x", onnxFloat, 2, 3), valueInfo("y", onnxFloat, 2, 3)},
		[][]byte{valueInfo("z", onnxFloat, 2, 3)},
	)
	cases := []struct {
		name  string
		model []byte
	}{
		{"tiny-sd15 UNet export", unet},
		{"cast, dynamic dims", castModel(-1, 3)},
		{"int tensors", intModel(4)},
		{"initializer listed as input", initAsInput},
	}
	for _, c := range cases {
		in, out, err := readIOInfo(c.model)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		path := filepath.Join(t.TempDir(), "model.onnx")
		if err := os.WriteFile(path, c.model, 0o644); err != nil {
			t.Fatal(err)
		}
		ortIn, ortOut, err := fileIOInfo(path, SessionOptions{}) // onnxruntime_go.GetInputOutputInfoWithOptions
		if err != nil {
			t.Fatalf("%s: ORT: %v", c.name, err)
		}
		for _, pair := range []struct{ got, want []IOInfo }{{in, convertInfo(ortIn)}, {out, convertInfo(ortOut)}} {
			if !slices.EqualFunc(pair.got, pair.want, func(a, b IOInfo) bool {
				return a.Name == b.Name && a.DType == b.DType && a.ONNXType == b.ONNXType && slices.Equal(a.Shape, b.Shape)
			}) {
				t.Errorf("%s: read %+v, ORT reports %+v", c.name, pair.got, pair.want)
			}
		}
	}
}

// TestReadIOInfoBad checks that broken bytes give ErrBadModel.
func TestReadIOInfoBad(t *testing.T) {
	good := castModel(2, 3)
	cases := []struct {
		name string
		b    []byte
	}{
		{"truncated", good[:len(good)-7]},
		{"no graph", pbString(nil, 2, "producer only")},
		{"bad tag", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{"length beyond end", []byte{0x3a, 0x7f, 0x01}},
	}
	for _, c := range cases {
		if _, _, err := readIOInfo(c.b); !errors.Is(err, ErrBadModel) {
			t.Errorf("%s: error %v, want ErrBadModel", c.name, err)
		}
	}
	if _, _, err := fileModelIOInfo(filepath.Join(t.TempDir(), "missing.onnx")); err == nil {
		t.Errorf("missing file: no error")
	}
}

// FuzzReadIOInfo checks that any bytes give a result or ErrBadModel, never
// a panic, and that re-encoding what was read reads back the same.
func FuzzReadIOInfo(f *testing.F) {
	f.Add(castModel(2, 3))
	f.Add(castModel(-1, -1))
	f.Add(intModel(3))
	m, _ := externalModel([]float32{1, 2, 3, 4, 5, 6}, "w.bin")
	f.Add(m)
	f.Fuzz(func(t *testing.T, b []byte) {
		in, out, err := readIOInfo(b)
		if err != nil {
			if !errors.Is(err, ErrBadModel) {
				t.Fatalf("error %v does not wrap ErrBadModel", err)
			}
			return
		}
		var vin, vout [][]byte
		for _, i := range in {
			vin = append(vin, encodeInfo(i))
		}
		for _, o := range out {
			vout = append(vout, encodeInfo(o))
		}
		in2, out2, err := readIOInfo(model(nil, nil, vin, vout))
		if err != nil {
			t.Fatalf("re-encoded model: %v", err)
		}
		same := func(a, b IOInfo) bool {
			return a.Name == b.Name && a.DType == b.DType && slices.Equal(a.Shape, b.Shape)
		}
		if !slices.EqualFunc(in, in2, same) || !slices.EqualFunc(out, out2, same) {
			t.Fatalf("round trip: %+v %+v -> %+v %+v", in, out, in2, out2)
		}
	})
}

// encodeInfo writes info back as a ValueInfoProto (tensor types only).
func encodeInfo(i IOInfo) []byte {
	if i.Shape == nil {
		vi := pbString(nil, 1, i.Name)
		return pbBytes(vi, 2, pbBytes(nil, 1, pbVarint(nil, 1, int64(onnxElem(i.DType)))))
	}
	return valueInfo(i.Name, int64(onnxElem(i.DType)), i.Shape...)
}

func onnxElem(d DType) int {
	return map[DType]int{Float32: onnxFloat, Float16: onnxFloat16, Int32: onnxInt32, Int64: onnxInt64}[d]
}
