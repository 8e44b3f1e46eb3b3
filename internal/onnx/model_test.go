package onnx

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

const tinyUNet = "../../../shared/fixtures/unet/tiny-sd15/onnx/model.onnx"

// TestRoundTripExport loads the torch export of the tiny SD 1.5 UNet, saves it and loads
// it again: same nodes, same initializer bytes, same everything.
func TestRoundTripExport(t *testing.T) {
	m, err := Load(tinyUNet)
	if err != nil {
		t.Fatal(err)
	}
	if m.Opset() != 14 {
		t.Errorf("opset %d, want 14 (fixture manifest)", m.Opset())
	}
	out := filepath.Join(t.TempDir(), "model.onnx")
	if err := m.Save(out, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	orig, err := Load(tinyUNet)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Proto.Graph.Node) != len(orig.Proto.Graph.Node) || len(back.Proto.Graph.Node) == 0 {
		t.Fatalf("node count %d, want %d", len(back.Proto.Graph.Node), len(orig.Proto.Graph.Node))
	}
	for i, n := range orig.Proto.Graph.Node {
		if !proto.Equal(n, back.Proto.Graph.Node[i]) {
			t.Fatalf("node %d (%s) differs after round trip", i, n.Name)
		}
	}
	for i, init := range orig.Proto.Graph.Initializer {
		a, err1 := orig.RawBytes(init)
		b, err2 := back.RawBytes(back.Proto.Graph.Initializer[i])
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) || init.Name != back.Proto.Graph.Initializer[i].Name {
			t.Fatalf("initializer %s differs after round trip (%v, %v)", init.Name, err1, err2)
		}
	}
	if !proto.Equal(orig.Proto, back.Proto) {
		t.Error("model differs after round trip")
	}
}

// TestExternalDataSave moves weights to an external file, then saves an edit of the
// model next to them: the weights file is referenced, not copied.
func TestExternalDataSave(t *testing.T) {
	dir := t.TempDir()
	m := weightsModel(t, 1024, 1024) // 4 MiB of weights
	base := filepath.Join(dir, "model.onnx")
	if err := m.Save(base, SaveOptions{ExternalData: "weights.pb"}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "weights.pb"))
	if err != nil || st.Size() < 4<<20 {
		t.Fatalf("weights.pb: %v, size %d", err, st.Size())
	}
	if mst, _ := os.Stat(base); mst.Size() > 64<<10 {
		t.Fatalf("model.onnx holds %d bytes: weights were not moved out", mst.Size())
	}

	loaded, err := Load(base)
	if err != nil {
		t.Fatal(err)
	}
	if got := loaded.ExternalFiles(); len(got) != 1 || got[0] != "weights.pb" {
		t.Fatalf("external files %v", got)
	}
	loaded.Graph().ByOp("MatMul")[0].Name = "/edited/MatMul"
	edited := filepath.Join(dir, "edited.onnx")
	if err := loaded.Save(edited, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Errorf("folder holds %d files, want model.onnx, edited.onnx, weights.pb", len(ents))
	}
	again, err := Load(edited)
	if err != nil {
		t.Fatal(err)
	}
	w0, _ := m.Float32s(m.Graph().Initializer("W"))
	w1, err := again.Float32s(again.Graph().Initializer("W"))
	if err != nil || len(w1) != len(w0) || w1[12345] != w0[12345] {
		t.Fatalf("weights read back wrong: %v", err)
	}

	// Saved into another folder, the model refers to the same weights (hard link or a
	// relative path), never a copy.
	other := filepath.Join(dir, "sub", "model.onnx")
	os.MkdirAll(filepath.Dir(other), 0o755)
	if err := again.Save(other, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	moved, _ := Load(other)
	loc := moved.ExternalFiles()[0]
	a, _ := os.Stat(filepath.Join(dir, "weights.pb"))
	b, err := os.Stat(filepath.Join(filepath.Dir(other), loc))
	if err != nil || !os.SameFile(a, b) {
		t.Errorf("moved model refers to %q, not the original weights file", loc)
	}

	// Where the weights cannot be linked in (here: the name is taken by another file),
	// Save fails with a clear error and leaves nothing behind.
	blocked := filepath.Join(dir, "blocked")
	os.MkdirAll(blocked, 0o755)
	os.WriteFile(filepath.Join(blocked, "weights.pb"), []byte("other"), 0o644)
	err = again.Save(filepath.Join(blocked, "model.onnx"), SaveOptions{})
	if err == nil || !strings.Contains(err.Error(), "only inside the model's folder") {
		t.Errorf("save next to a foreign weights.pb: %v", err)
	}
	if ents, _ := os.ReadDir(blocked); len(ents) != 1 {
		t.Errorf("failed save left %d files in %s, want only the foreign weights.pb", len(ents), blocked)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	cases := map[string][]byte{
		"garbage.onnx": []byte("this is not a protobuf at all \xff\xff\xff"),
		"empty.onnx":   {},
	}
	for name, b := range cases {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		_, err := Load(p)
		var le *LoadError
		if !errors.As(err, &le) || le.File != p {
			t.Errorf("%s: got %v, want a *LoadError naming the file", name, err)
		}
	}
	// A truncated model: the first 1000 bytes of the real export.
	b, _ := os.ReadFile(tinyUNet)
	p := filepath.Join(dir, "truncated.onnx")
	os.WriteFile(p, b[:1000], 0o644)
	if _, err := Load(p); err == nil {
		t.Error("truncated model loaded without error")
	}
}

func FuzzDecode(f *testing.F) {
	m := weightsModel(f, 2, 3)
	b, _ := m.Marshal()
	f.Add(b)
	f.Add([]byte{0x08, 0x07})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil {
			return
		}
		// Whatever loads can be walked and saved.
		g := m.Graph()
		_ = g.CheckTopological()
		for _, init := range m.Proto.Graph.Initializer {
			_, _ = m.RawBytes(init)
		}
		if _, err := m.Marshal(); err != nil {
			t.Fatal(err)
		}
	})
}
