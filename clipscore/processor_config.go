package clipscore

import (
	"encoding/json"
	"fmt"
	"os"
)

// A ProcessorConfig is the part of preprocessor_config.json that CLIPImageProcessor
// (transformers v4.26.1) uses on a tensor input.
type ProcessorConfig struct {
	ShortestEdge  int        // size: the short side after resizing ("size": 224 means the same)
	CropH, CropW  int        // crop_size
	Mean, Std     [3]float32 // image_mean, image_std
	RescaleFactor float64    // rescale_factor (1/255)
	DoResize      bool
	DoCenterCrop  bool
	DoRescale     bool
	DoNormalize   bool
	Resample      int // only 3 (PIL BICUBIC) is supported
}

// DefaultProcessorConfig returns CLIPImageProcessor's defaults (openai's values).
func DefaultProcessorConfig() ProcessorConfig {
	return ProcessorConfig{
		ShortestEdge: 224, CropH: 224, CropW: 224,
		Mean:          [3]float32{0.48145466, 0.4578275, 0.40821073},
		Std:           [3]float32{0.26862954, 0.26130258, 0.27577711},
		RescaleFactor: 1.0 / 255,
		DoResize:      true, DoCenterCrop: true, DoRescale: true, DoNormalize: true, Resample: 3,
	}
}

// ReadProcessorConfig reads preprocessor_config.json in either layout: the hub files'
// ("size": 224 = shortest edge, "crop_size": 224 = square) or save_pretrained's
// ({"shortest_edge": 224}, {"height": 224, "width": 224}). Absent keys keep the defaults.
func ReadProcessorConfig(path string) (*ProcessorConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{File: path, Msg: "cannot read the image processor config: " + err.Error()}
	}
	return ParseProcessorConfig(path, data)
}

// ParseProcessorConfig decodes preprocessor_config.json; name is used in errors.
func ParseProcessorConfig(name string, data []byte) (*ProcessorConfig, error) {
	var raw struct {
		Size          json.RawMessage `json:"size"`
		CropSize      json.RawMessage `json:"crop_size"`
		ImageMean     []float64       `json:"image_mean"`
		ImageStd      []float64       `json:"image_std"`
		RescaleFactor *float64        `json:"rescale_factor"`
		DoResize      *bool           `json:"do_resize"`
		DoCenterCrop  *bool           `json:"do_center_crop"`
		DoRescale     *bool           `json:"do_rescale"`
		DoNormalize   *bool           `json:"do_normalize"`
		Resample      *int            `json:"resample"`
	}
	bad := func(format string, a ...any) error { return &ConfigError{File: name, Msg: fmt.Sprintf(format, a...)} }
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, bad("not valid JSON: %v", err)
	}
	c := DefaultProcessorConfig()
	if len(raw.Size) > 0 && string(raw.Size) != "null" {
		var n int
		var d map[string]int
		switch {
		case json.Unmarshal(raw.Size, &n) == nil:
			c.ShortestEdge = n
		case json.Unmarshal(raw.Size, &d) == nil && d["shortest_edge"] > 0:
			c.ShortestEdge = d["shortest_edge"]
		default:
			return nil, bad("size %s: want an int or {\"shortest_edge\": n}", raw.Size)
		}
	}
	if len(raw.CropSize) > 0 && string(raw.CropSize) != "null" {
		var n int
		var d map[string]int
		switch {
		case json.Unmarshal(raw.CropSize, &n) == nil:
			c.CropH, c.CropW = n, n
		case json.Unmarshal(raw.CropSize, &d) == nil && d["height"] > 0 && d["width"] > 0:
			c.CropH, c.CropW = d["height"], d["width"]
		default:
			return nil, bad("crop_size %s: want an int or {\"height\": h, \"width\": w}", raw.CropSize)
		}
	}
	for _, s := range []struct {
		v   []float64
		dst *[3]float32
		key string
	}{{raw.ImageMean, &c.Mean, "image_mean"}, {raw.ImageStd, &c.Std, "image_std"}} {
		if s.v == nil {
			continue
		}
		if len(s.v) != 3 {
			return nil, bad("%s has %d values, want 3 (RGB)", s.key, len(s.v))
		}
		for k := range 3 {
			s.dst[k] = float32(s.v[k])
		}
	}
	if raw.RescaleFactor != nil {
		c.RescaleFactor = *raw.RescaleFactor
	}
	for _, b := range []struct {
		p   *bool
		dst *bool
	}{{raw.DoResize, &c.DoResize}, {raw.DoCenterCrop, &c.DoCenterCrop}, {raw.DoRescale, &c.DoRescale}, {raw.DoNormalize, &c.DoNormalize}} {
		if b.p != nil {
			*b.dst = *b.p
		}
	}
	if raw.Resample != nil {
		c.Resample = *raw.Resample
	}
	if c.Resample != 3 {
		return nil, bad("resample %d: only 3 (PIL BICUBIC, CLIP's) is supported", c.Resample)
	}
	if c.ShortestEdge <= 0 || c.CropH <= 0 || c.CropW <= 0 {
		return nil, bad("size %d and crop_size %dx%d must be positive", c.ShortestEdge, c.CropH, c.CropW)
	}
	if c.Std[0] == 0 || c.Std[1] == 0 || c.Std[2] == 0 {
		return nil, bad("image_std %v has a zero", c.Std)
	}
	return &c, nil
}
