package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/schedulers"
)

// DefaultSteps is the number of inference steps when a Request leaves Steps at 0.
const DefaultSteps = 50

// partitionSeedMix separates the ToMe partition stream from the latent streams, which
// use PCG(Seed+i, 0): partitions are drawn by tome.NewPartitioner(Seed ^ partitionSeedMix).
const partitionSeedMix = 0x9E3779B97F4A7C15

// Generate runs text-to-image sampling for req (see the package doc for the steps). ctx
// is checked before every UNet call: once it is done Generate returns an error wrapping
// ctx.Err(). Mistakes in req come back as errors.
func (p *Pipeline) Generate(ctx context.Context, req Request) (*Result, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pipeline: Generate: %w", err)
	}
	B := len(req.Prompts)
	if B == 0 {
		return nil, errors.New("pipeline: Generate: no prompts")
	}
	if req.NegativePrompts != nil && len(req.NegativePrompts) != B {
		return nil, fmt.Errorf("pipeline: Generate: %d negative prompts for %d prompts", len(req.NegativePrompts), B)
	}
	steps := req.Steps
	if steps == 0 {
		steps = DefaultSteps
	}
	if steps < 0 {
		return nil, fmt.Errorf("pipeline: Generate: %d steps; want a positive count (0: %d)", steps, DefaultSteps)
	}
	H, W, err := p.imageSize(req.Height, req.Width)
	if err != nil {
		return nil, err
	}
	f := p.vae.info.Downscale
	h, w, C := H/f, W/f, p.latentC
	unet, sched, err := p.unetAndScheduler(req, C, h, w, steps)
	if err != nil {
		return nil, err
	}
	sched.SetTimesteps(steps)
	cfg := req.GuidanceScale > 1

	// 1-2. Text embeddings, [uncond; cond] with guidance.
	embeds, pooled, err := p.conditioning(req, cfg) // pooled: SDXL only (sdxl.go)
	if err != nil {
		return nil, err
	}

	// 3. Initial latents times init_noise_sigma.
	latentShape := []int64{int64(B), int64(C), int64(h), int64(w)}
	per := C * h * w
	latents := make([]float32, B*per)
	if req.Latents != nil {
		if len(req.Latents) != len(latents) {
			return nil, fmt.Errorf("pipeline: %d initial latent values; %dx%d images need [%d, %d, %d, %d] = %d", len(req.Latents), H, W, B, C, h, w, len(latents))
		}
		copy(latents, req.Latents)
	} else {
		for i := range B {
			Gaussian(latents[i*per:(i+1)*per], req.Seed+uint64(i))
		}
	}
	sigma := float32(sched.InitNoiseSigma())
	for i := range latents {
		latents[i] *= sigma
	}

	// 4-5. Denoising loop, decoding and post-processing (shared with Img2Img).
	res, err := p.denoise(ctx, req, unet, sched, sched.Timesteps(), embeds, pooled, latents, latentShape)
	if err != nil {
		return nil, err
	}
	res.Result.Seconds = time.Since(start).Seconds()
	return &res.Result, nil
}

// unetAndScheduler returns the UNet a request runs (req.UNet, else the base UNet),
// checked for C x h x w latents, and a fresh scheduler, checked for steps; Generate and
// Img2Img share it.
func (p *Pipeline) unetAndScheduler(req Request, C, h, w, steps int) (*UNet, schedulers.Scheduler, error) {
	if err := p.base.checkLatent(C, h, w); err != nil {
		return nil, nil, err
	}
	unet := p.base
	if req.UNet != nil {
		unet = req.UNet
	}
	if err := p.checkUNet(unet, C, h, w); err != nil {
		return nil, nil, err
	}
	sched, err := p.NewScheduler()
	if err != nil {
		return nil, nil, err
	}
	if steps > sched.Config().NumTrainTimesteps {
		return nil, nil, fmt.Errorf("pipeline: %d steps: the scheduler has %d training timesteps", steps, sched.Config().NumTrainTimesteps)
	}
	return unet, sched, nil
}

// checkUNet reports a UNet that this pipeline cannot run on c x h x w latents: one
// prepared by another pipeline, a closed one, or one planned for another latent size.
func (p *Pipeline) checkUNet(u *UNet, c, h, w int) error {
	switch {
	case u.pipe != p:
		return fmt.Errorf("pipeline: UNet %s was not opened by this pipeline (%s)", u.Path, p.Dir)
	case u.closed:
		return fmt.Errorf("pipeline: UNet %s is closed", u.Path)
	}
	return u.checkLatent(c, h, w)
}

// imageSize returns the image size asked for (0 takes DefaultSize), checked against the
// VAE factor.
func (p *Pipeline) imageSize(H, W int) (int, int, error) {
	dh, dw := p.DefaultSize()
	if H == 0 {
		H = dh
	}
	if W == 0 {
		W = dw
	}
	f := p.vae.info.Downscale
	if H <= 0 || W <= 0 {
		return 0, 0, fmt.Errorf("pipeline: no image size given and %s does not state one", p.Dir)
	}
	if H%f != 0 || W%f != 0 {
		return 0, 0, fmt.Errorf("pipeline: image size %dx%d is not a multiple of the VAE's downscale factor %d", H, W, f)
	}
	return H, W, nil
}

// embeddings tokenizes and encodes the prompts: [uncond; cond] with guidance, else the
// prompts alone. Each list is one text-encoder call, as diffusers' _encode_prompt does.
func (p *Pipeline) embeddings(req Request, cfg bool) ([]float32, error) {
	dim := int(staticDim(p.base.context.Shape, 2))
	cond, err := p.EncodeText(req.Prompts, dim)
	if err != nil || !cfg {
		return cond, err
	}
	neg := req.NegativePrompts
	if neg == nil {
		neg = make([]string, len(req.Prompts))
	}
	uncond, err := p.EncodeText(neg, dim)
	if err != nil {
		return nil, err
	}
	return slices.Concat(uncond, cond), nil
}

// EncodeText returns the text embeddings [len(texts), L, D] of texts (CLIP tokens padded
// to the encoder's L = 77); for SDXL, prompt_embeds (both encoders, D = D1 + D2). dim
// is D when known (0 otherwise); it is needed only by float16 text encoders of dynamic
// output shape.
func (p *Pipeline) EncodeText(texts []string, dim int) ([]float32, error) {
	if p.xl != nil { // SDXL: both encoders' penultimate states (sdxl.go)
		if len(texts) == 0 {
			return nil, errors.New("pipeline: text encoder: no token rows (no texts to encode)")
		}
		e, _, err := p.xl.encode(texts)
		return e, err
	}
	ids := p.tok.EncodeBatch(texts, p.text.seqLen(p.tok.MaxLength()))
	return p.text.encode(ids, max(dim, 0))
}

// guide returns classifier-free guidance uncond + g*(cond - uncond), each operation
// rounded to float32 as torch computes it.
func guide(uncond, cond []float32, g float32) []float32 {
	out := make([]float32, len(uncond))
	for i, u := range uncond {
		d := cond[i] - u
		out[i] = u + float32(g*d)
	}
	return out
}

// run calls the UNet and returns its output as float32 and the wall time of the
// session run alone (no feeding or conversion around it).
func (u *UNet) run(feeds map[string]*ort.Tensor, sampleShape []int64) ([]float32, time.Duration, error) {
	var shapes map[string][]int64
	if u.output.DType == ort.Float16 {
		shapes = map[string][]int64{u.output.Name: sampleShape}
	}
	start := time.Now()
	out, err := u.Session.RunWithShapes(feeds, []string{u.output.Name}, shapes)
	took := time.Since(start)
	if err != nil {
		return nil, took, fmt.Errorf("UNet %s: %w", u.Path, err)
	}
	t := out[u.output.Name]
	if !slices.Equal(t.Shape, sampleShape) {
		return nil, took, &FolderError{Path: u.Path, Msg: fmt.Sprintf("UNet output %q has shape %v; want the sample's %v", u.output.Name, t.Shape, sampleShape)}
	}
	return t.Float32s(), took, nil
}
