package pipeline

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/schedulers"
	"github.com/tomebench/tomebench/tome"
)

// noiseVAESeedMix separates the seed of the VAE posterior's noise from the latent
// noise's (see Init).
const noiseVAESeedMix = 0xD1B54A32D192ED03

// An Init is the starting image of an img2img request (diffusers'
// StableDiffusionImg2ImgPipeline, v0.19.3).
type Init struct {
	// Images are the init images, one per prompt, all of one size (a multiple of the
	// VAE's downscale factor: the output has their size). Or give Pixels.
	Images []image.Image
	// Pixels, instead of Images, is the preprocessed batch [B, 3, H, W] in [-1, 1]
	// (2·(u8/255)−1, as VaeImageProcessor.preprocess makes it), Height × Width.
	Pixels        []float32
	Height, Width int
	// Strength in [0, 1] is how much of the schedule runs: init_timestep =
	// min(int(steps·strength), steps), and the timesteps are the scheduler's from
	// index steps − init_timestep on (PNDM's list has steps+1 entries: it runs one
	// more call than the others).
	Strength float64
	// NoiseVAE and NoiseAdd are the two random draws, [B, C, h, w] each: the VAE
	// posterior's sample noise and the noise add_noise mixes in. nil draws them:
	// NoiseAdd image i from Gaussian(Seed+i) (txt2img's initial noise), NoiseVAE from
	// Gaussian((Seed+i) ^ noiseVAESeedMix). Give torch's draws to reproduce a diffusers
	// run exactly.
	NoiseVAE, NoiseAdd []float32
}

// InitPixels preprocesses images as diffusers' VaeImageProcessor does for PIL input of a
// valid size: 2·(u8/255)−1 in float32, NCHW. All images must share one size.
func InitPixels(imgs []image.Image) ([]float32, int, int, error) {
	if len(imgs) == 0 {
		return nil, 0, 0, errors.New("pipeline: no init images")
	}
	b := imgs[0].Bounds()
	H, W := b.Dy(), b.Dx()
	out := make([]float32, len(imgs)*3*H*W)
	for i, img := range imgs {
		ib := img.Bounds()
		if ib.Dx() != W || ib.Dy() != H {
			return nil, 0, 0, fmt.Errorf("pipeline: init image %d is %dx%d, image 0 %dx%d", i, ib.Dx(), ib.Dy(), W, H)
		}
		for y := range H {
			for x := range W {
				r, g, bl, _ := img.At(ib.Min.X+x, ib.Min.Y+y).RGBA()
				for c, v := range []uint32{r >> 8, g >> 8, bl >> 8} {
					f := float32(v) / 255
					out[((i*3+c)*H+y)*W+x] = 2*f - 1
				}
			}
		}
	}
	return out, H, W, nil
}

// A vaeEncoder is vae_encoder/model.onnx: sample [B, 3, H, W] → latent_parameters
// [B, 2C, H/f, W/f] (mean, logvar).
type vaeEncoder struct {
	s       *ort.Session
	path    string
	in, out ort.IOInfo
}

// encoder opens the VAE encoder beside the VAE decoder on first use.
func (p *Pipeline) encoder() (*vaeEncoder, error) {
	if p.vaeEnc != nil {
		return p.vaeEnc, nil
	}
	path := filepath.Join(p.Parts.Dir, "vae_encoder", "model.onnx")
	if _, err := os.Stat(path); err != nil {
		return nil, &FolderError{Path: path, Msg: "missing VAE encoder model, which img2img needs (convert the model again with this version: `tomebench convert` writes vae_encoder/)"}
	}
	s, err := p.openSession(path)
	if err != nil {
		return nil, err
	}
	e := &vaeEncoder{s: s, path: path}
	ins, outs := s.Inputs(), s.Outputs()
	if len(ins) != 1 || len(outs) < 1 {
		return nil, &FolderError{Path: path, Msg: "VAE encoder must take one input (sample) and give latent_parameters; it has " + ioNames(ins) + " → " + ioNames(outs)}
	}
	e.in = ins[0]
	var ok bool
	if e.out, ok = findIO(outs, "latent_parameters"); !ok {
		e.out = outs[0]
	}
	for _, err := range []error{checkFloat(path, "VAE encoder input", e.in), checkFloat(path, "VAE encoder output", e.out)} {
		if err != nil {
			return nil, err
		}
	}
	p.vaeEnc = e
	return e, nil
}

// Moments runs the VAE encoder on pixels [B, 3, H, W] and returns quant_conv's output
// [B, 2C, H/f, W/f]: the posterior's mean (first C channels) and log-variance.
func (p *Pipeline) Moments(pixels []float32, B, H, W int) ([]float32, []int64, error) {
	e, err := p.encoder()
	if err != nil {
		return nil, nil, err
	}
	shape := []int64{int64(B), 3, int64(H), int64(W)}
	var shapes map[string][]int64
	f := int64(p.vae.info.Downscale)
	if e.out.DType == ort.Float16 {
		shapes = map[string][]int64{e.out.Name: {int64(B), int64(2 * p.latentC), int64(H) / f, int64(W) / f}}
	}
	out, err := e.s.RunWithShapes(map[string]*ort.Tensor{e.in.Name: floatTensor(e.in.DType, shape, pixels)}, []string{e.out.Name}, shapes)
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline: VAE encoder %s: %w", e.path, err)
	}
	t := out[e.out.Name]
	if len(t.Shape) != 4 || t.Shape[0] != int64(B) || t.Shape[1]%2 != 0 {
		return nil, nil, &FolderError{Path: e.path, Msg: fmt.Sprintf("VAE encoder returned shape %v for images %v", t.Shape, shape)}
	}
	return t.Float32s(), t.Shape, nil
}

// encodeLatents is prepare_latents' first half: scaling_factor·(mean + exp(logvar/2)·ε)
// with logvar clamped to [−30, 20] (DiagonalGaussianDistribution), in float32.
func encodeLatents(moments []float32, B, C, per int, eps []float32, scaling float64) []float32 {
	out := make([]float32, B*per)
	sf := float32(scaling)
	for b := range B {
		m := moments[b*2*per : (b*2+1)*per]
		lv := moments[(b*2+1)*per : (b*2+2)*per]
		for i := range per {
			l := min(max(lv[i], -30), 20)
			std := float32(math.Exp(float64(float32(0.5 * l))))
			out[b*per+i] = sf * (m[i] + float32(std*eps[b*per+i]))
		}
	}
	return out
}

// Img2ImgTimesteps returns the timesteps an img2img run of steps and strength visits
// (diffusers' get_timesteps: init_timestep = min(int(steps·strength), steps), the
// scheduler's list from index steps − init_timestep).
func Img2ImgTimesteps(s schedulers.Scheduler, steps int, strength float64) []float64 {
	s.SetTimesteps(steps)
	init := min(int(float64(steps)*strength), steps)
	start := max(steps-init, 0)
	return slices.Clone(s.Timesteps()[start:])
}

// Img2Img runs diffusers' StableDiffusionImg2ImgPipeline for req from init: encode the
// init images, add noise at the first timestep of the strength-cut schedule, denoise
// (as Generate does, with req's UNet, UNetForStep and hooks), decode. req.Height and
// Width, if set, must equal the init images' size; req.Latents must be nil.
func (p *Pipeline) Img2Img(ctx context.Context, req Request, init Init) (*Img2ImgResult, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: Img2Img: %w", err)
	}
	B := len(req.Prompts)
	if B == 0 {
		return nil, errors.New("pipeline: Img2Img: no prompts")
	}
	if req.NegativePrompts != nil && len(req.NegativePrompts) != B {
		return nil, fmt.Errorf("pipeline: Img2Img: %d negative prompts for %d prompts", len(req.NegativePrompts), B)
	}
	if req.Latents != nil {
		return nil, errors.New("pipeline: Img2Img: Latents are not used (the init image gives them)")
	}
	if init.Strength < 0 || init.Strength > 1 || math.IsNaN(init.Strength) {
		return nil, fmt.Errorf("pipeline: Img2Img: strength %v is not in [0, 1]", init.Strength)
	}
	pixels, H, W := init.Pixels, init.Height, init.Width
	if init.Images != nil {
		var err error
		if pixels, H, W, err = InitPixels(init.Images); err != nil {
			return nil, err
		}
		if len(init.Images) != B {
			return nil, fmt.Errorf("pipeline: Img2Img: %d init images for %d prompts", len(init.Images), B)
		}
	}
	if len(pixels) != B*3*H*W || H <= 0 || W <= 0 {
		return nil, fmt.Errorf("pipeline: Img2Img: %d init pixel values; want [%d, 3, %d, %d]", len(pixels), B, H, W)
	}
	if (req.Height != 0 && req.Height != H) || (req.Width != 0 && req.Width != W) {
		return nil, fmt.Errorf("pipeline: Img2Img: size %dx%d asked, but the init images are %dx%d", req.Width, req.Height, W, H)
	}
	f := p.vae.info.Downscale
	if H%f != 0 || W%f != 0 {
		return nil, fmt.Errorf("pipeline: Img2Img: init image size %dx%d is not a multiple of the VAE's downscale factor %d", W, H, f)
	}
	steps := req.Steps
	if steps == 0 {
		steps = DefaultSteps
	}
	if steps < 0 {
		return nil, fmt.Errorf("pipeline: Img2Img: %d steps", steps)
	}
	h, w, C := H/f, W/f, p.latentC
	per := C * h * w
	unet, sched, err := p.unetAndScheduler(req, C, h, w, steps)
	if err != nil {
		return nil, err
	}
	ts := Img2ImgTimesteps(sched, steps, init.Strength)
	if len(ts) == 0 {
		return nil, fmt.Errorf("pipeline: Img2Img: strength %v with %d steps leaves no step to run", init.Strength, steps)
	}
	cfg := req.GuidanceScale > 1
	embeds, pooled, err := p.conditioning(req, cfg)
	if err != nil {
		return nil, err
	}

	// Noise draws.
	noiseVAE, noiseAdd := init.NoiseVAE, init.NoiseAdd
	if noiseVAE == nil {
		noiseVAE = make([]float32, B*per)
		for i := range B {
			Gaussian(noiseVAE[i*per:(i+1)*per], (req.Seed+uint64(i))^noiseVAESeedMix)
		}
	}
	if noiseAdd == nil {
		noiseAdd = make([]float32, B*per)
		for i := range B {
			Gaussian(noiseAdd[i*per:(i+1)*per], req.Seed+uint64(i))
		}
	}
	if len(noiseVAE) != B*per || len(noiseAdd) != B*per {
		return nil, fmt.Errorf("pipeline: Img2Img: noise has %d and %d values; want [%d, %d, %d, %d]", len(noiseVAE), len(noiseAdd), B, C, h, w)
	}

	// Encode and add noise.
	moments, mShape, err := p.Moments(pixels, B, H, W)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(mShape, []int64{int64(B), int64(2 * C), int64(h), int64(w)}) {
		return nil, &FolderError{Path: p.vaeEnc.path, Msg: fmt.Sprintf("VAE encoder output %v; want [%d, %d, %d, %d]", mShape, B, 2*C, h, w)}
	}
	initLatents := encodeLatents(moments, B, C, per, noiseVAE, p.vae.info.ScalingFactor)
	latents, err := schedulers.AddNoise(sched, initLatents, noiseAdd, ts[0])
	if err != nil {
		return nil, err
	}
	res, err := p.denoise(ctx, req, unet, sched, ts, embeds, pooled, latents, []int64{int64(B), int64(C), int64(h), int64(w)})
	if err != nil {
		return nil, err
	}
	res.InitLatents = initLatents
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// denoise runs the denoising loop (the package doc's step 4) over ts from latents, then
// decodes and post-processes (step 5): Generate and Img2Img share it.
func (p *Pipeline) denoise(ctx context.Context, req Request, unet *UNet, sched schedulers.Scheduler, ts []float64,
	embeds, pooled, latents []float32, latentShape []int64) (*Img2ImgResult, error) {
	B, C, h, w := int(latentShape[0]), int(latentShape[1]), int(latentShape[2]), int(latentShape[3])
	per := C * h * w
	cfg := req.GuidanceScale > 1
	n := B
	if cfg {
		n = 2 * B
	}
	L := p.text.seqLen(p.tok.MaxLength())
	D := len(embeds) / (n * L)
	part := tome.NewPartitioner(req.Seed^partitionSeedMix, true)
	sampleShape := []int64{int64(n), int64(C), int64(h), int64(w)}
	var unetTime time.Duration
	calls := 0
	start := latents
	for step, t := range ts {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("pipeline: stopped before step %d of %d: %w", step, len(ts), err)
		}
		u := unet
		if req.UNetForStep != nil {
			if v := req.UNetForStep(step); v != nil {
				if err := p.checkUNet(v, C, h, w); err != nil {
					return nil, fmt.Errorf("pipeline: step %d: %w", step, err)
				}
				u = v
			}
		}
		in := sched.ScaleModelInput(latents, t)
		sample := in
		if cfg {
			sample = slices.Concat(in, in)
		}
		feeds := map[string]*ort.Tensor{
			u.sample.Name:   floatTensor(u.sample.DType, sampleShape, sample),
			u.timestep.Name: u.timestepTensor(t, n),
			u.context.Name:  floatTensor(u.context.DType, []int64{int64(n), int64(L), int64(D)}, embeds),
		}
		u.partitionFeeds(feeds, part, n)
		u.addSDXLFeeds(feeds, pooled, n, h*p.vae.info.Downscale, w*p.vae.info.Downscale)
		if req.BeforeUNet != nil {
			if err := req.BeforeUNet(step, t, feeds); err != nil {
				return nil, err
			}
		}
		pred, extras, took, err := u.runFetch(feeds, sampleShape)
		if err != nil {
			return nil, fmt.Errorf("pipeline: step %d (t=%v): %w", step, t, err)
		}
		if req.AfterUNet != nil {
			if extras == nil {
				extras = map[string]*ort.Tensor{}
			}
			if err := req.AfterUNet(step, t, extras); err != nil {
				return nil, err
			}
		}
		unetTime += took
		calls++
		guided := pred
		if cfg {
			guided = guide(pred[:B*per], pred[B*per:], float32(req.GuidanceScale))
		}
		latents = sched.Step(guided, t, latents)
		if req.AfterStep != nil {
			info := &StepInfo{Step: step, Total: len(ts), T: t, UNet: u, NoisePred: pred, Guided: guided, Latents: latents}
			if err := req.AfterStep(info); err != nil {
				return nil, err
			}
		}
	}
	x, xShape, err := p.vae.decode(unscale(latents, p.vae.info.ScalingFactor), latentShape)
	if err != nil {
		return nil, err
	}
	oh, ow := int(xShape[2]), int(xShape[3])
	pixels := postprocess(x, B, oh, ow)
	return &Img2ImgResult{
		Result: Result{
			Images: toRGB8(pixels, B, oh, ow), Pixels: pixels, Latents: latents, Embeddings: embeds,
			Height: oh, Width: ow, LatentShape: latentShape, Timesteps: slices.Clone(ts),
			UNetCalls: calls, UNetSeconds: unetTime.Seconds(),
		},
		StartLatents: start,
	}, nil
}

// An Img2ImgResult is a Result with the latents img2img started from.
type Img2ImgResult struct {
	Result
	// InitLatents are scaling_factor × the VAE posterior's sample; StartLatents the
	// latents after add_noise at the first timestep.
	InitLatents, StartLatents []float32
}
