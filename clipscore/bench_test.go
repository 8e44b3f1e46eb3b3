package clipscore

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/tomebench/tomebench/inception"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/internal/safetensors"
)

// benchVision are the vision towers timed: openai/clip-vit-large-patch14 (torchmetrics'
// default model) and clip-vit-base-patch32, with seeded random weights (the time does
// not depend on the values).
var benchVision = []struct {
	name string
	cfg  Config
}{
	{"clip-vit-large-patch14", Config{ProjectionDim: 768, Vision: VisionConfig{HiddenSize: 1024, IntermediateSize: 4096,
		NumHiddenLayers: 24, NumAttentionHeads: 16, NumChannels: 3, ImageSize: 224, PatchSize: 14, HiddenAct: "quick_gelu", LayerNormEps: 1e-5}}},
	{"clip-vit-base-patch32", Config{ProjectionDim: 512, Vision: DefaultVisionConfig()}},
}

// randomVisionWeights returns a state_dict with every vision-tower key of cfg, filled
// with seeded values of scale 0.02 (LayerNorm weights 1).
func randomVisionWeights(cfg *Config) *weights {
	v := &cfg.Vision
	C, I, n := v.HiddenSize, v.IntermediateSize, v.Patches()*v.Patches()+1
	shapes := map[string][]int{
		"vision_model.embeddings.patch_embedding.weight":    {C, 3, v.PatchSize, v.PatchSize},
		"vision_model.embeddings.class_embedding":           {C},
		"vision_model.embeddings.position_embedding.weight": {n, C},
		"visual_projection.weight":                          {cfg.ProjectionDim, C},
	}
	for _, ln := range []string{"vision_model.pre_layrnorm", "vision_model.post_layernorm"} {
		shapes[ln+".weight"], shapes[ln+".bias"] = []int{C}, []int{C}
	}
	for l := range v.NumHiddenLayers {
		k := "vision_model.encoder.layers." + strconv.Itoa(l)
		for _, p := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
			shapes[k+".self_attn."+p+".weight"], shapes[k+".self_attn."+p+".bias"] = []int{C, C}, []int{C}
		}
		for _, ln := range []string{".layer_norm1", ".layer_norm2"} {
			shapes[k+ln+".weight"], shapes[k+ln+".bias"] = []int{C}, []int{C}
		}
		shapes[k+".mlp.fc1.weight"], shapes[k+".mlp.fc1.bias"] = []int{I, C}, []int{I}
		shapes[k+".mlp.fc2.weight"], shapes[k+".mlp.fc2.bias"] = []int{C, I}, []int{C}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	return &weights{path: "random", get: func(key string) (safetensors.TensorInfo, bool) {
		s, ok := shapes[key]
		if !ok {
			return safetensors.TensorInfo{}, false
		}
		n := 1
		for _, d := range s {
			n *= d
		}
		b := make([]byte, 4*n)
		for i := range n {
			f := float32(rng.NormFloat64() * 0.02)
			if len(s) == 1 && len(key) > 7 && key[len(key)-7:] == ".weight" {
				f = 1
			}
			u := math.Float32bits(f)
			b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		}
		return safetensors.TensorInfo{DType: safetensors.F32, Shape: s, Bytes: b}, true
	}}
}

// benchImage is a seeded 512×512 RGB image (SD 1.5's output size).
func benchImage() *Image {
	rng := rand.New(rand.NewPCG(3, 4))
	im := &Image{W: 512, H: 512, Pix: make([]uint8, 512*512*3)}
	for i := range im.Pix {
		im.Pix[i] = uint8(rng.IntN(256))
	}
	return im
}

// BenchmarkEmbedPerImage times the embedding of one 512×512 image, side by side and
// interleaved in rounds so that all models see the same machine load: CLIP
// (CLIPImageProcessor port + vision tower + projection) for ViT-L/14 and ViT-B/32, and
// pytorch-fid's InceptionV3 2048-d features (FormulaWeights; the resize to 299 is in
// its graph). Batches of CLIPSCORE_BENCH_BATCH images (default 8), ORT default threads,
// CLIPSCORE_BENCH_ROUNDS rounds (default 3). Reported: seconds per image per model
// (the median round) and, for CLIP, the Go preprocessing alone. Run it with
// -benchtime 1x (see benchmarks/clipscore.md).
func BenchmarkEmbedPerImage(b *testing.B) {
	if err := ort.Init(); err != nil {
		b.Fatal(err)
	}
	batch := envInt("CLIPSCORE_BENCH_BATCH", 8)
	rounds := envInt("CLIPSCORE_BENCH_ROUNDS", 3)
	im := benchImage()
	proc := NewProcessor(DefaultProcessorConfig())
	type runner struct {
		name string
		run  func() error
	}
	var runners []runner
	for _, bv := range benchVision {
		cfg := bv.cfg
		om, err := buildVision(&cfg, randomVisionWeights(&cfg))
		if err != nil {
			b.Fatal(err)
		}
		raw, err := om.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		om = nil
		s, err := ort.NewSessionFromBytes(raw, ort.SessionOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		runners = append(runners, runner{bv.name, func() error {
			data := make([]float32, 0, batch*3*224*224)
			for range batch {
				data = append(data, proc.PixelValues(im)...)
			}
			_, err := s.Run(map[string]*ort.Tensor{PixelValues: ort.NewFloat32([]int64{int64(batch), 3, 224, 224}, data)}, []string{ImageEmbeds})
			return err
		}})
	}
	ex, err := inception.NewExtractor(inception.FormulaWeights(), inception.Config{BatchSize: batch})
	if err != nil {
		b.Fatal(err)
	}
	defer ex.Close()
	runners = append(runners, runner{"inception-2048", func() error {
		ims := make([]*inception.Tensor, batch)
		for k := range ims {
			t := &inception.Tensor{H: im.H, W: im.W, Data: make([]float32, 3*im.H*im.W)}
			for i := range im.H * im.W {
				for c := range 3 {
					t.Data[c*im.H*im.W+i] = float32(im.Pix[i*3+c]) / 255
				}
			}
			ims[k] = t
		}
		_, err := ex.Batch(ims)
		return err
	}})
	runners = append(runners, runner{"clip-preprocess-only", func() error {
		for range batch {
			proc.PixelValues(im)
		}
		return nil
	}})
	for _, r := range runners { // warm-up
		if err := r.run(); err != nil {
			b.Fatal(r.name, err)
		}
	}
	times := make([][]float64, len(runners))
	b.ResetTimer()
	for b.Loop() {
		for round := range rounds {
			for i, r := range runners {
				t0 := time.Now()
				if err := r.run(); err != nil {
					b.Fatal(err)
				}
				s := time.Since(t0).Seconds() / float64(batch)
				times[i] = append(times[i], s)
				b.Logf("round %d %-24s %.4f s/image", round, r.name, s)
			}
		}
	}
	for i, r := range runners {
		b.ReportMetric(median(times[i]), "s/im:"+r.name)
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil && v > 0 {
		return v
	}
	return def
}
