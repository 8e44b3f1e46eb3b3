package clipscore

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/safetensors"
)

// writeTorchBin writes the float tensors of f as torch.save's zip format would
// (protocol-2 pickle of an OrderedDict of _rebuild_tensor_v2 calls, one storage per
// tensor): enough of the format for internal/torchpth, which reads real files.
func writeTorchBin(t *testing.T, f *safetensors.File, path string) {
	t.Helper()
	var pkl bytes.Buffer
	str := func(s string) {
		pkl.WriteByte('X')
		binary.Write(&pkl, binary.LittleEndian, uint32(len(s)))
		pkl.WriteString(s)
	}
	intv := func(v int) { pkl.WriteByte('J'); binary.Write(&pkl, binary.LittleEndian, int32(v)) }
	pkl.WriteString("\x80\x02ccollections\nOrderedDict\n)R(")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i, name := range f.Names() {
		ti, _ := f.Tensor(name)
		if ti.DType != safetensors.F32 {
			continue // the int64 position_ids buffers are not read
		}
		key := strconv.Itoa(i)
		str(name)
		pkl.WriteString("ctorch._utils\n_rebuild_tensor_v2\n((")
		str("storage")
		pkl.WriteString("ctorch\nFloatStorage\n")
		str(key)
		str("cpu")
		intv(ti.NumElements())
		pkl.WriteString("tQ")
		intv(0)
		pkl.WriteByte('(')
		for _, d := range ti.Shape {
			intv(d)
		}
		pkl.WriteString("t(")
		stride := 1
		strides := make([]int, len(ti.Shape))
		for k := len(ti.Shape) - 1; k >= 0; k-- {
			strides[k] = stride
			stride *= ti.Shape[k]
		}
		for _, s := range strides {
			intv(s)
		}
		pkl.WriteString("t\x89ccollections\nOrderedDict\n)RtR")
		w, err := zw.CreateHeader(&zip.FileHeader{Name: "archive/data/" + key, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(ti.Bytes)
	}
	pkl.WriteString("u.")
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "archive/data.pkl", Method: zip.Store})
	w.Write(pkl.Bytes())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestPytorchBin: the same model as pytorch_model.bin (no model.safetensors) gives the
// same embeddings as from safetensors, bit for bit; a truncated .bin is an error naming it.
func TestPytorchBin(t *testing.T) {
	needFixtures(t)
	needORT(t)
	abs, _ := filepath.Abs(tinyCLIP)
	dir := t.TempDir()
	for _, f := range []string{"config.json", "preprocessor_config.json", "vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"} {
		if err := copyFile(filepath.Join(abs, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	st, err := safetensors.Open(filepath.Join(abs, SafetensorsFile))
	if err != nil {
		t.Fatal(err)
	}
	writeTorchBin(t, st, filepath.Join(dir, PytorchBinFile))
	st.Close()
	a, b := openTiny(t, tinyCLIP), openTiny(t, dir)
	im := &Image{W: 300, H: 240, Pix: make([]uint8, 300*240*3)}
	for i := range im.Pix {
		im.Pix[i] = uint8(i * 7)
	}
	ea, _ := a.ImageEmbeddings([]*Image{im})
	eb, _ := b.ImageEmbeddings([]*Image{im})
	ta, _, _ := a.TextEmbeddings([]string{"a photo of a cat"})
	tb, _, _ := b.TextEmbeddings([]string{"a photo of a cat"})
	for k := range ea[0] {
		if math.Float32bits(ea[0][k]) != math.Float32bits(eb[0][k]) || math.Float32bits(ta[0][k]) != math.Float32bits(tb[0][k]) {
			t.Fatalf("embeddings from pytorch_model.bin differ at %d", k)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, PytorchBinFile))
	os.WriteFile(filepath.Join(dir, PytorchBinFile), raw[:len(raw)/2], 0o644)
	_, err = Open(dir, Options{Session: threads1})
	if err == nil || !strings.Contains(err.Error(), PytorchBinFile) {
		t.Errorf("truncated .bin: error %v, want one naming %s", err, PytorchBinFile)
	}
}
