package pipeline

import (
	"fmt"

	"github.com/tomebench/tomebench/internal/ort"
)

// A vaeDecoder is the VAE's decoder: latent_sample [B, C, h, w] to sample
// [B, 3, h*f, w*f] in about [-1, 1].
type vaeDecoder struct {
	s    *ort.Session
	path string
	in   ort.IOInfo
	out  ort.IOInfo
	info vaeInfo
}

func newVAEDecoder(s *ort.Session, path string, info vaeInfo) (*vaeDecoder, error) {
	v := &vaeDecoder{s: s, path: path, info: info}
	in, outs := s.Inputs(), s.Outputs()
	if len(in) != 1 {
		return nil, &FolderError{Path: path, Msg: "VAE decoder must take exactly one input, latent_sample; its inputs are " + ioNames(in)}
	}
	v.in = in[0]
	var ok bool
	if v.out, ok = findIO(outs, "sample"); !ok && len(outs) > 0 {
		v.out = outs[0]
	}
	if v.out.Name == "" {
		return nil, &FolderError{Path: path, Msg: "VAE decoder has no outputs"}
	}
	for _, err := range []error{
		checkFloat(path, "VAE decoder input", v.in), checkRank(path, "VAE decoder input", v.in, 4),
		checkFloat(path, "VAE decoder output", v.out), checkRank(path, "VAE decoder output", v.out, 4),
	} {
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

// decode returns the decoder's output [B, 3, H, W] for latents [B, C, h, w] (already
// divided by the scaling factor), and its shape. A float16 output is pre-allocated as
// [B, 3, h*f, w*f], f the configured downscale factor.
func (v *vaeDecoder) decode(latents []float32, shape []int64) ([]float32, []int64, error) {
	feeds := map[string]*ort.Tensor{v.in.Name: floatTensor(v.in.DType, shape, latents)}
	var shapes map[string][]int64
	if v.out.DType == ort.Float16 {
		f := int64(v.info.Downscale)
		shapes = map[string][]int64{v.out.Name: {shape[0], 3, shape[2] * f, shape[3] * f}}
	}
	out, err := v.s.RunWithShapes(feeds, []string{v.out.Name}, shapes)
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline: VAE decoder %s: %w", v.path, err)
	}
	t := out[v.out.Name]
	if len(t.Shape) != 4 || t.Shape[0] != shape[0] || t.Shape[1] != 3 {
		return nil, nil, &FolderError{Path: v.path, Msg: fmt.Sprintf("VAE decoder returned shape %v for latents %v; want [%d, 3, H, W]", t.Shape, shape, shape[0])}
	}
	return t.Float32s(), t.Shape, nil
}

// unscale returns latents / scaling_factor, computed in float32 as torch divides a
// float32 tensor by a Python float.
func unscale(latents []float32, scalingFactor float64) []float32 {
	sf := float32(scalingFactor)
	out := make([]float32, len(latents))
	for i, x := range latents {
		out[i] = x / sf
	}
	return out
}
