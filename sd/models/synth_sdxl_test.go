package models

import (
	"testing"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// TestSDXLArchParams checks the parameter counts of the sdxl architecture against
// stabilityai/stable-diffusion-xl-base-1.0 (sum(p.numel()) of UNet2DConditionModel,
// CLIPTextModel and CLIPTextModelWithProjection as loaded by diffusers 0.19.3 /
// transformers 4.26.1), and of tiny-sdxl against the fixtures' tiny_sdxl
// (unet_tome/manifest.json n_params; the text encoders as converted).
func TestSDXLArchParams(t *testing.T) {
	cases := []struct {
		arch              string
		unet, text, text2 int64
	}{
		{"sdxl", 2567463684, 123060480, 694659840},
		{"tiny-sdxl", 1142580, 801632, 1635168},
	}
	for _, tc := range cases {
		a, err := LookupArch(tc.arch)
		if err != nil {
			t.Fatal(err)
		}
		u, te, _, err := a.Configs()
		if err != nil {
			t.Fatal(err)
		}
		te2, err := diffusers.ParseCLIPTextConfig("text_encoder_2", []byte(a.TextEncoder2))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			cfg  Config
			want int64
		}{{"unet", u, tc.unet}, {"text_encoder", te, tc.text}, {"text_encoder_2", te2, tc.text2}} {
			ps, err := Params(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got := NumParams(ps); got != c.want {
				t.Errorf("%s %s: %d parameters, want %d", tc.arch, c.name, got, c.want)
			}
		}
	}
}
