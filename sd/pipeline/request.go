package pipeline

import (
	"image"

	"github.com/tomebench/tomebench/internal/ort"
)

// A Request describes one Generate call: a batch of prompts and how to sample them.
type Request struct {
	// Prompts are the batch's prompts, one image each.
	Prompts []string
	// NegativePrompts are the unconditional prompts: nil for "" (diffusers' default),
	// else one per prompt.
	NegativePrompts []string
	// Height and Width are the image size in pixels, multiples of the VAE's downscale
	// factor; 0 takes DefaultSize.
	Height, Width int
	// Steps is the number of inference steps (0: 50).
	Steps int
	// GuidanceScale is classifier-free guidance's g (7.5 in SD's examples). With
	// g <= 1 there is no unconditional pass, as in diffusers.
	GuidanceScale float64
	// Seed fixes the initial noise: image i starts from Gaussian(seed Seed+i). The
	// ToMe partitions are drawn from a generator seeded from Seed.
	Seed uint64
	// Latents, when set, are the initial latents [B, C, H/f, W/f] (C order) instead of
	// seeded noise; they are multiplied by init_noise_sigma as diffusers does. A wrong
	// length is an error.
	Latents []float32

	// UNet is the UNet to run, from Pipeline.PrepareUNet (nil: the base UNet). A ToMe
	// UNet must be prepared for the request's image size.
	UNet *UNet
	// UNetForStep, when set, picks the UNet for each step (0-based index into the
	// scheduler's timesteps), as a merge-ratio schedule does; nil, or a nil return,
	// means UNet. Each UNet call of a patched UNet is fed fresh partitions.
	UNetForStep func(step int) *UNet
	// BeforeUNet, when set, is called before every UNet call with the feeds the
	// pipeline built (partitions included); it may add or replace feeds.
	BeforeUNet UNetHook
	// AfterStep, when set, is called after every scheduler step (a progress bar's
	// place: the pipeline itself prints nothing).
	AfterStep StepHook
	// AfterUNet, when set, is called after every UNet call with the extra outputs of
	// the UNet that ran (UNetModelOptions.ExtraOutputs; an empty map when it has none).
	AfterUNet UNetOutputHook
}

// A UNetHook sees the feeds of the UNet call at step (0-based) and timestep t before the
// call; an error stops Generate.
type UNetHook func(step int, t float64, feeds map[string]*ort.Tensor) error

// A UNetOutputHook sees the extra outputs of the UNet call at step (0-based) and
// timestep t; the tensors are the hook's to keep. An error stops Generate.
type UNetOutputHook func(step int, t float64, outputs map[string]*ort.Tensor) error

// A StepHook sees each step's results; an error stops Generate.
type StepHook func(s *StepInfo) error

// StepInfo is what one denoising step computed. Its slices belong to the pipeline and
// are valid only during the hook.
type StepInfo struct {
	// Step is the 0-based step index, Total the number of steps (len of the
	// scheduler's timesteps: n+1 for PNDM's n steps), T the timestep.
	Step, Total int
	T           float64
	// UNet is the model that ran.
	UNet *UNet
	// NoisePred is the UNet output [2B, C, h, w] (uncond rows first), or [B, ...]
	// without guidance.
	NoisePred []float32
	// Guided is the noise prediction after guidance [B, C, h, w].
	Guided []float32
	// Latents are the latents after the scheduler step [B, C, h, w].
	Latents []float32
}

// A Result holds the images of one Generate call and the tensors behind them.
type Result struct {
	// Images are 8-bit RGB images (alpha 255), one per prompt.
	Images []*image.RGBA
	// Pixels are the images as float32 in [0, 1], [B, H, W, 3]: diffusers'
	// output_type="np".
	Pixels []float32
	// Latents are the final latents [B, C, h, w] (before 1/scaling_factor).
	Latents []float32
	// Embeddings are the text embeddings fed to the UNet, [uncond; cond] =
	// [2B, L, D] (or [B, L, D] without guidance).
	Embeddings []float32
	// Height and Width are the image size; LatentShape is [B, C, h, w].
	Height, Width int
	LatentShape   []int64
	// Timesteps are the timesteps visited.
	Timesteps []float64
	// UNetCalls is the number of UNet calls (one per timestep), UNetSeconds the sum of
	// their wall times, each measured around the ONNX Runtime run alone (feeds built,
	// outputs converted and scheduler steps taken outside it).
	UNetCalls   int
	UNetSeconds float64
	// Seconds is the wall time of the whole Generate call: text encoding, denoising,
	// VAE decoding and post-processing.
	Seconds float64
}
