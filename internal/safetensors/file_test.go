package safetensors

import (
	"errors"
	"math"
	"path/filepath"
	"testing"
)

const fixtures = "../../../shared/fixtures"

// TestFixtureFiles opens the weight files of the Python fixtures. Expected counts come from
// each folder's manifest.json ("n_tensors", "header_bytes", "data_bytes", "n_values").
func TestFixtureFiles(t *testing.T) {
	cases := []struct {
		path                      string
		tensors, header, data, nv int
	}{
		{"unet/tiny-sd15/diffusers/unet/diffusion_pytorch_model.safetensors", 440, 50216, 8560144, 2140036},
		{"pipeline/vae/vae/diffusion_pytorch_model.safetensors", 124, 13024, 2633500, 658375},
		{"pipeline/text_encoder/text_encoder/model.safetensors", 37, 4160, 6403304, 1600749},
	}
	for _, c := range cases {
		f, err := Open(filepath.Join(fixtures, c.path))
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		nv := 0
		for _, n := range f.Names() {
			ti, _ := f.Tensor(n)
			nv += ti.NumElements()
		}
		if f.Len() != c.tensors || f.HeaderSize() != c.header || f.DataSize() != c.data || nv != c.nv {
			t.Errorf("%s: %d tensors, header %d, data %d, %d values; want %d, %d, %d, %d",
				c.path, f.Len(), f.HeaderSize(), f.DataSize(), nv, c.tensors, c.header, c.data, c.nv)
		}
		if f.Metadata()["format"] != "pt" {
			t.Errorf("%s: metadata %v, want format=pt", c.path, f.Metadata())
		}
		if err := f.Close(); err != nil {
			t.Error(err)
		}
		if err := f.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}

// TestFixtureValues reads single tensors. Expected values were computed with Python's
// struct module straight from the file bytes (first three values and math.fsum of all);
// sums are compared in float64 with tolerance 1e-9 relative.
func TestFixtureValues(t *testing.T) {
	cases := []struct {
		path, name string
		shape      []int
		first      []float32
		sum        float64
	}{
		{"unet/tiny-sd15/diffusers/unet/diffusion_pytorch_model.safetensors", "conv_in.bias", []int{32},
			[]float32{-0.14009445905685425, 0.0024561486206948757, 0.1313314139842987}, -0.8099631580989808},
		{"unet/tiny-sd15/diffusers/unet/diffusion_pytorch_model.safetensors", "down_blocks.0.attentions.0.transformer_blocks.0.norm1.weight", []int{32},
			[]float32{1.026647925376892, 1.0365090370178223, 0.89707350730896}, 31.707939445972443},
		{"pipeline/vae/vae/diffusion_pytorch_model.safetensors", "decoder.conv_norm_out.weight", []int{32},
			[]float32{0.9685708284378052, 0.8183930516242981, 0.6764949560165405}, 29.540584206581116},
		{"pipeline/text_encoder/text_encoder/model.safetensors", "text_model.final_layer_norm.bias", []int{32},
			[]float32{-0.017571335658431053, -0.42672571539878845, 0.13037531077861786}, -1.0105631379410625},
	}
	for _, c := range cases {
		f, err := Open(filepath.Join(fixtures, c.path))
		if err != nil {
			t.Fatal(err)
		}
		v, shape, err := f.Float32(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != len(c.shape) || shape[0] != c.shape[0] {
			t.Errorf("%s: shape %v, want %v", c.name, shape, c.shape)
		}
		for i, w := range c.first {
			if v[i] != w {
				t.Errorf("%s[%d] = %v, want %v", c.name, i, v[i], w)
			}
		}
		s := 0.0
		for _, x := range v {
			s += float64(x)
		}
		if math.Abs(s-c.sum) > 1e-9*math.Max(1, math.Abs(c.sum)) {
			t.Errorf("%s: sum %v, want %v", c.name, s, c.sum)
		}
		f.Close()
	}
}

func TestFixtureInt64AndErrors(t *testing.T) {
	p := filepath.Join(fixtures, "pipeline/text_encoder/text_encoder/model.safetensors")
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// transformers' CLIPTextEmbeddings registers position_ids = arange(77)[None].
	ti, ok := f.Tensor("text_model.embeddings.position_ids")
	if !ok || ti.DType != I64 || len(ti.Shape) != 2 || ti.Shape[1] != 77 {
		t.Fatalf("position_ids: %v %v", ok, ti.Shape)
	}
	for i := 0; i < 77; i++ {
		if v := int64(uint64(ti.Bytes[8*i]) | uint64(ti.Bytes[8*i+1])<<8); v != int64(i) {
			t.Fatalf("position_ids[%d] = %d", i, v)
		}
	}
	if _, _, err := f.Float32("text_model.embeddings.position_ids"); !errors.Is(err, ErrNotFloat) {
		t.Errorf("Float32 of I64: %v, want ErrNotFloat", err)
	}
	if _, _, err := f.Float32("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Float32 of missing: %v, want ErrNotFound", err)
	}
	if _, ok := f.Tensor("nope"); ok {
		t.Error("Tensor(nope) found")
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(fixtures, "no/such.safetensors")); err == nil {
		t.Error("Open of a missing file succeeded")
	}
	if _, err := Open(fixtures); err == nil {
		t.Error("Open of a directory succeeded")
	}
	var fe *FormatError
	// A JSON file is not safetensors: its first 8 bytes read as an absurd length.
	if _, err := Open(filepath.Join(fixtures, "pipeline/tiny_pipeline/model_index.json")); !errors.As(err, &fe) {
		t.Errorf("Open of model_index.json: %v, want *FormatError", err)
	}
}

func TestUseAfterClosePanics(t *testing.T) {
	f, err := FromBytes("x", build(`{}`, 0))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	defer func() {
		if recover() == nil {
			t.Error("Tensor after Close did not panic")
		}
	}()
	f.Tensor("a")
}
