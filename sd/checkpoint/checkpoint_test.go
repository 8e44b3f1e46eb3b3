package checkpoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/half"
	"github.com/tomebench/tomebench/internal/safetensors"
	"github.com/tomebench/tomebench/internal/torchpth"
	"github.com/tomebench/tomebench/sd/diffusers"
	"github.com/tomebench/tomebench/sd/models"
)

// The fixture: shared/fixtures/pipeline/single_file (tiny_pipeline in LDM layout, made
// with diffusers v0.19.3's converter; see its README section).
var (
	fixtures   = filepath.Join("..", "..", "..", "shared", "fixtures", "pipeline")
	tinySingle = filepath.Join(fixtures, "single_file", "tiny.safetensors")
	tinyYAML   = filepath.Join(fixtures, "single_file", "tiny-inference.yaml")
	tinyFolder = filepath.Join(fixtures, "tiny_pipeline")
)

func needFixtures(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(tinySingle); err != nil {
		t.Skip("fixtures not present:", err)
	}
}

// folderWeights returns the diffusers folder's state_dict of component c.
func folderWeights(t *testing.T, c string) *diffusers.Weights {
	w, err := diffusers.OpenWeights(filepath.Join(tinyFolder, c), diffusers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// checkEqualToFolder checks every tensor of the networks against the diffusers folder:
// same keys, shapes, and values equal after conv(want) (identity for fp32, rounding to
// the checkpoint's type for fp16).
func checkEqualToFolder(t *testing.T, nw *Networks, round func([]float32) []float32) {
	t.Helper()
	for _, c := range []struct {
		name string
		v    *view
	}{{"unet", nw.UNet}, {"vae", nw.VAE}, {"text_encoder", nw.Text}} {
		w := folderWeights(t, c.name)
		var names []string
		for _, n := range w.Names() {
			if !strings.HasSuffix(n, "position_ids") {
				names = append(names, n)
			}
		}
		if got := c.v.Names(); !slices.Equal(got, names) {
			t.Fatalf("%s: %d keys, folder %d", c.name, len(got), len(names))
		}
		for _, n := range names {
			want, wshape, err := w.Float32(n)
			if err != nil {
				t.Fatal(err)
			}
			ti := c.v.tensors[n]
			got, err := safetensors.ToFloat32(ti.DType, ti.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ti.Shape, wshape) || !slices.Equal(got, round(want)) {
				t.Fatalf("%s: %s (from %s) differs from the folder's", c.name, n, c.v.from[n])
			}
		}
	}
}

func identity(v []float32) []float32 { return v }

// TestSplitEqualsFolder: the fixture's safetensors, a .ckpt of the same tensors (torch
// zip written by torchpth.Write as the manifest describes it) and fp16 copies of both
// give the diffusers folder's weights exactly (fp16: after rounding).
func TestSplitEqualsFolder(t *testing.T) {
	needFixtures(t)
	tmp := t.TempDir()
	ckpt := filepath.Join(tmp, "tiny.ckpt")
	writeCkpt(t, tinySingle, ckpt, false)
	f16 := filepath.Join(tmp, "tiny-fp16.safetensors")
	writeFP16(t, tinySingle, f16)
	ckpt16 := filepath.Join(tmp, "tiny-fp16.ckpt")
	writeCkpt(t, tinySingle, ckpt16, true)
	toF16 := func(v []float32) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = half.F16ToFloat32(half.Float32ToF16(x))
		}
		return out
	}
	for _, c := range []struct {
		path  string
		round func([]float32) []float32
	}{{tinySingle, identity}, {ckpt, identity}, {f16, toF16}, {ckpt16, toF16}} {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			l, err := Load(c.path, Options{ConfigDir: tinyFolder})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			checkEqualToFolder(t, l.Networks, c.round)
		})
	}
}

// TestToONNXEqualsConvert: ToONNX of the checkpoint writes the same model files, byte
// for byte, as models.Convert of the diffusers folder.
func TestToONNXEqualsConvert(t *testing.T) {
	needFixtures(t)
	tmp := t.TempDir()
	ref := filepath.Join(tmp, "ref")
	if _, err := models.Convert(tinyFolder, ref, models.ConvertOptions{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	var log bytes.Buffer
	if _, err := ToONNX(tinySingle, out, Options{ConfigDir: tinyFolder, Log: &log}); err != nil {
		t.Fatal(err)
	}
	t.Log(log.String())
	for _, f := range []string{"unet/model.onnx", "unet/weights.pb", "text_encoder/model.onnx", "vae_decoder/model.onnx",
		"tokenizer/vocab.json", "scheduler/scheduler_config.json", "unet/config.json"} {
		a, err1 := os.ReadFile(filepath.Join(ref, f))
		b, err2 := os.ReadFile(filepath.Join(out, f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from models.Convert's (%v, %v)", f, err1, err2)
		}
	}
}

// TestInferAndYAML: without configs the tiny model's shapes are read from the weights
// (heads and groups cannot be, and are reported as assumed); its YAML gives the same
// shapes. Both then fail the GroupNorm-free shape check? No: groups do not change
// shapes, so both split cleanly — the README's warning is about values (0.70 off).
func TestInferAndYAML(t *testing.T) {
	needFixtures(t)
	f, err := Open(tinySingle, true)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := Infer(f)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := diffusers.ReadUNetConfig(filepath.Join(tinyFolder, "unet", "config.json"))
	if !slices.Equal(a.UNet.BlockOutChannels, want.BlockOutChannels) || !slices.Equal(a.UNet.DownBlockTypes, want.DownBlockTypes) ||
		!slices.Equal(a.UNet.UpBlockTypes, want.UpBlockTypes) || a.UNet.LayersPerDownBlock()[0] != 1 || a.UNet.CrossAttentionDims()[0] != 32 {
		t.Errorf("inferred %s", a.Describe())
	}
	if a.Text.HiddenSize != 32 || a.Text.NumHiddenLayers != 2 || a.Text.IntermediateSize != 64 {
		t.Errorf("text: %+v", a.Text)
	}
	if _, err := Split(f, a); err != nil {
		t.Errorf("Split with the inferred architecture: %v", err)
	}
	y, err := FromYAML(tinyYAML)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y.UNet.BlockOutChannels, want.BlockOutChannels) || !slices.Equal(y.UNet.HeadsPerBlock(), want.HeadsPerBlock()) ||
		!slices.Equal(y.UNet.DownBlockTypes, want.DownBlockTypes) || !slices.Equal(y.UNet.UpBlockTypes, want.UpBlockTypes) {
		t.Errorf("YAML: %s", y.Describe())
	}
	// The YAML's text encoder is CLIP ViT-L (768 wide): it disagrees with the weights.
	_, err = Split(f, y)
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "tiny.safetensors") || !strings.Contains(err.Error(), "has shape [49408 32], the architecture needs [49408 768]") {
		t.Errorf("YAML vs weights: %v", err)
	}
}

// TestBadCheckpoints: each bad input gives one *Error naming the file and the problem.
func TestBadCheckpoints(t *testing.T) {
	needFixtures(t)
	tmp := t.TempDir()
	data, _ := os.ReadFile(tinySingle)
	trunc := filepath.Join(tmp, "truncated.safetensors")
	os.WriteFile(trunc, data[:len(data)/2], 0o644)
	truncCkpt := filepath.Join(tmp, "truncated.ckpt")
	writeCkpt(t, tinySingle, truncCkpt, false)
	cb, _ := os.ReadFile(truncCkpt)
	os.WriteFile(truncCkpt, cb[:len(cb)/3], 0o644)
	sdxl := filepath.Join(tmp, "sdxl.safetensors")
	safetensors.Write(sdxl, []safetensors.Tensor{
		safetensors.NewF32("conditioner.embedders.0.transformer.text_model.final_layer_norm.weight", []int{2}, []float32{1, 1}),
		safetensors.NewF32("model.diffusion_model.input_blocks.0.0.weight", []int{1}, []float32{1}),
	}, nil)
	dropped := filepath.Join(tmp, "missing.safetensors")
	writeFiltered(t, tinySingle, dropped, func(k string) bool { return k != "model.diffusion_model.out.2.weight" })
	cases := []struct {
		path string
		opt  Options
		want string
	}{
		{trunc, Options{ConfigDir: tinyFolder}, "truncated.safetensors: unreadable safetensors checkpoint"},
		{truncCkpt, Options{ConfigDir: tinyFolder}, "truncated.ckpt: unreadable torch checkpoint"},
		{sdxl, Options{}, "sdxl.safetensors: an SDXL checkpoint"},
		{dropped, Options{ConfigDir: tinyFolder}, "missing.safetensors: the weights do not match the architecture (configs of the diffusers folder"},
		{dropped, Options{ConfigDir: tinyFolder}, "conv_out.weight (shape [4 32 3 3]) is missing"},
		{tinySingle, Options{OriginalConfig: tinyYAML}, "tiny.safetensors: the weights do not match the architecture (LDM config"},
	}
	for _, c := range cases {
		l, err := Load(c.path, c.opt)
		if err == nil {
			l.Close()
		}
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v; want an *Error containing %q", filepath.Base(c.path), err, c.want)
		}
	}
}

// writeCkpt writes the safetensors file's tensors as torch.save({"state_dict": sd})
// (zip, folder "tiny"), in fp16 when f16.
func writeCkpt(t *testing.T, from, to string, f16 bool) {
	t.Helper()
	st, err := safetensors.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ts := map[string]*torchpth.Tensor{}
	for _, k := range st.Names() {
		ti, _ := st.Tensor(k)
		tt := &torchpth.Tensor{Shape: ti.Shape, Data: append([]byte(nil), ti.Bytes...)}
		switch ti.DType {
		case safetensors.F32:
			tt.DType = torchpth.Float32
			if f16 {
				v, _ := safetensors.ToFloat32(ti.DType, ti.Bytes)
				tt.DType, tt.Data = torchpth.Float16, f16Bytes(v)
			}
		case safetensors.I64:
			tt.DType = torchpth.Int64
		}
		ts[k] = tt
	}
	var b bytes.Buffer
	if err := torchpth.Write(&b, "tiny", st.Names(), ts, true); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func f16Bytes(v []float32) []byte {
	out := make([]byte, 2*len(v))
	for i, x := range v {
		h := half.Float32ToF16(x)
		out[2*i], out[2*i+1] = byte(h), byte(h>>8)
	}
	return out
}

// writeFP16 writes an fp16 copy of a safetensors checkpoint.
func writeFP16(t *testing.T, from, to string) {
	writeConverted(t, from, to, func(k string) bool { return true }, true)
}

func writeFiltered(t *testing.T, from, to string, keep func(string) bool) {
	writeConverted(t, from, to, keep, false)
}

func writeConverted(t *testing.T, from, to string, keep func(string) bool, f16 bool) {
	t.Helper()
	st, err := safetensors.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ts []safetensors.Tensor
	for _, k := range st.Names() {
		if !keep(k) {
			continue
		}
		ti, _ := st.Tensor(k)
		if f16 && ti.DType == safetensors.F32 {
			v, _ := safetensors.ToFloat32(ti.DType, ti.Bytes)
			ts = append(ts, safetensors.NewF16(k, ti.Shape, v))
			continue
		}
		ts = append(ts, safetensors.Tensor{Name: k, DType: ti.DType, Shape: ti.Shape, Data: ti.Bytes})
	}
	if err := safetensors.Write(to, ts, nil); err != nil {
		t.Fatal(err)
	}
}
