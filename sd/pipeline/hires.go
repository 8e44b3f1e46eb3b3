package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"strings"
	"time"
)

// A Hires is the second pass of a high-resolution fix (A1111's "hires. fix" with an image
// upscaler): the first pass's images, upscaled with Lanczos-3 (ResizeLanczos) to
// Width × Height, are the init images of an img2img pass at Strength.
type Hires struct {
	Width, Height int
	// Strength is the img2img strength of the second pass (0: 0.5).
	Strength float64
	// Steps is the second pass's step count before the strength cut (0: the request's).
	Steps int
	// UNet is the second pass's UNet (nil: the base UNet), prepared for Width × Height
	// — e.g. ToMe at a higher ratio, where the token counts are 4× larger.
	UNet *UNet
	// Prepare, when set, is called after the first pass and returns the second pass's
	// UNet (replacing UNet; nil: the base UNet). It is where a caller frees the first
	// pass's UNet and patches the large one, so that the two are never in memory
	// together.
	Prepare func() (*UNet, error)
}

// A HiresResult holds both passes.
type HiresResult struct {
	Base  *Result        // the first pass, at the request's size
	Final *Img2ImgResult // the second pass, at Hires' size
	// UpscaleSeconds is the Lanczos resize; Seconds the whole call.
	UpscaleSeconds, Seconds float64
}

// HiresFix generates req at its size, upscales the images to hr's size and refines them
// with img2img (req's prompts, guidance and seed; hr's UNet). req.UNet and
// req.UNetForStep apply to the first pass only.
func (p *Pipeline) HiresFix(ctx context.Context, req Request, hr Hires) (*HiresResult, error) {
	start := time.Now()
	if hr.Width <= 0 || hr.Height <= 0 {
		return nil, fmt.Errorf("pipeline: HiresFix: size %dx%d", hr.Width, hr.Height)
	}
	f := p.vae.info.Downscale
	if hr.Width%f != 0 || hr.Height%f != 0 {
		return nil, fmt.Errorf("pipeline: HiresFix: size %dx%d is not a multiple of the VAE's downscale factor %d", hr.Width, hr.Height, f)
	}
	base, err := p.Generate(ctx, req)
	if err != nil {
		return nil, err
	}
	if hr.Prepare != nil {
		if hr.UNet, err = hr.Prepare(); err != nil {
			return nil, err
		}
	}
	up := time.Now()
	imgs := make([]image.Image, len(base.Images))
	for i, im := range base.Images {
		imgs[i] = ResizeLanczos(im, hr.Width, hr.Height)
	}
	upSec := time.Since(up).Seconds()
	r2 := req
	r2.Height, r2.Width, r2.UNet, r2.UNetForStep, r2.Latents = hr.Height, hr.Width, hr.UNet, nil, nil
	if hr.Steps > 0 {
		r2.Steps = hr.Steps
	}
	s := hr.Strength
	if s == 0 {
		s = 0.5
	}
	final, err := p.Img2Img(ctx, r2, Init{Images: imgs, Strength: s})
	if err != nil {
		return nil, fmt.Errorf("pipeline: hires pass at %dx%d: %w", hr.Width, hr.Height, err)
	}
	return &HiresResult{Base: base, Final: final, UpscaleSeconds: upSec, Seconds: time.Since(start).Seconds()}, nil
}

// HiresModel is what the high-res memory estimate needs to know of a pipeline. The
// zero value of a field takes SD 1.x's value.
type HiresModel struct {
	// Heads is the UNet's attention heads at its first level (SD 1.x: 8).
	Heads int
	// Downscale is the VAE's image/latent factor (SD: 8).
	Downscale int
	// VAEChannels is the VAE's block_out_channels (SD: 128, 256, 512, 512).
	VAEChannels []int
	// Elem is the bytes per activation element: 4, or 2 for a float16 UNet/VAE.
	Elem int64
	// UNetFiles is the size of the UNet's model files (model.onnx and its external
	// weights); UNetGraph the size of model.onnx alone (all of it when the weights are
	// inside it).
	UNetFiles, UNetGraph int64
}

// withDefaults fills the zero fields with SD 1.x's values.
func (m HiresModel) withDefaults() HiresModel {
	if m.Heads <= 0 {
		m.Heads = 8
	}
	if m.Downscale <= 0 {
		m.Downscale = 8
	}
	if len(m.VAEChannels) == 0 {
		m.VAEChannels = []int{128, 256, 512, 512}
	}
	if m.Elem <= 0 {
		m.Elem = 4
	}
	return m
}

// A HiresEstimate is the predicted memory of a high-res pass beyond what is already
// loaded when it starts (see EstimateHires for the formula), term by term.
type HiresEstimate struct {
	Model          HiresModel
	Batch          int
	Width, Height  int
	Ratio          float64
	Guided         bool
	Tokens, Merged int64 // latent tokens N at the first level, and N' left after ToMe
	// Attention is the UNet's largest self-attention (scores + softmax) as requested;
	// UNetArena what the UNet session's arena may reserve for it (2 × Attention).
	Attention, UNetArena int64
	// PatchedUNet is the patched model's copy (0 without ToMe).
	PatchedUNet int64
	// VAEEncoder and VAEDecoder are the VAE sessions' arenas at the high-res size.
	VAEEncoder, VAEDecoder int64
	// GoHeap is the images and pixel tensors held by Go, with the GC's headroom.
	GoHeap int64
	Total  int64
}

// arenaFactor is ONNX Runtime's CPU arena (BFCArena, kNextPowerOfTwo): a session's
// arena grows in regions that double in size and never shrink, so an allocation of n
// bytes may leave up to 2n reserved.
const arenaFactor = 2

// EstimateHires predicts, conservatively, the memory a high-res img2img pass of batch
// images at W × H (ToMe ratio, classifier-free guidance or not) adds to a process that
// has the pipeline loaded and has run the first pass. With f = m.Downscale,
// N = (H/f)·(W/f) latent tokens, N' = N − min(⌊N·ratio⌋, 3N/4) after ToMe, e bytes per
// element, B = batch and b = 2B with guidance (both halves, [uncond; cond], go through
// the UNet in one call), else B:
//
//	Attention   = 2 · b · heads · N'² · e             scores + softmax at the first level
//	UNetArena   = 2 · Attention                       the arena's power-of-two growth
//	PatchedUNet = UNetFiles + 2 · UNetGraph           (ratio > 0) the patched session's
//	                                                  weights, plus the Go-side graph and
//	                                                  its serialisation while it is created
//	VAEEncoder  = 2 · max(2 · B · N² · e, 3 · B · c0 · H · W · e)
//	VAEDecoder  = 2 · max(2 · B · N² · e, 3 · B · c1 · H · W · e)
//	                                                  the single-head mid-block attention
//	                                                  at latent size, or three live
//	                                                  full-size activations (c0, c1 =
//	                                                  VAEChannels[0], [1]: the encoder's
//	                                                  and decoder's full-size widths),
//	                                                  doubled for the arena; each session
//	                                                  keeps its own arena, so they add up
//	GoHeap      = 2 · B · 32 · H · W                  RGBA images and float32 pixels of
//	                                                  the init and the output, ×2 for
//	                                                  GOGC=100
//	Total       = UNetArena + PatchedUNet + VAEEncoder + VAEDecoder + GoHeap
//
// SD 1.5 at 1024², guided, batch 1, float32, ToMe 0.7: UNetArena 6.2 GB, PatchedUNet
// ≈ 3.4 GB, VAEEncoder 4.3 GB, VAEDecoder 6.4 GB — about 20 GB, where the old estimate
// (Attention + UNetFiles) said 6.5 GB and a run at 10 GB available was OOM-killed. The
// other UNet activations (Q/K/V, convolutions: under 0.1 GB each at this size) are
// within the arena margin.
func EstimateHires(m HiresModel, batch, H, W int, ratio float64, guided bool) HiresEstimate {
	m = m.withDefaults()
	e := HiresEstimate{Model: m, Batch: batch, Width: W, Height: H, Ratio: ratio, Guided: guided}
	f := int64(m.Downscale)
	n := (int64(H) / f) * (int64(W) / f)
	r := int64(float64(n) * ratio)
	r = min(r, n*3/4) // at most the src tokens of 2×2 cells
	e.Tokens, e.Merged = n, n-r
	B := int64(batch)
	b := B
	if guided {
		b *= 2
	}
	el := m.Elem
	e.Attention = 2 * b * int64(m.Heads) * e.Merged * e.Merged * el
	e.UNetArena = arenaFactor * e.Attention
	if ratio > 0 {
		e.PatchedUNet = m.UNetFiles + 2*m.UNetGraph
	}
	c0 := int64(m.VAEChannels[0])
	c1 := c0
	if len(m.VAEChannels) > 1 {
		c1 = int64(m.VAEChannels[1])
	}
	px := int64(H) * int64(W)
	vaeAttn := 2 * B * n * n * el
	e.VAEEncoder = arenaFactor * max(vaeAttn, 3*B*c0*px*el)
	e.VAEDecoder = arenaFactor * max(vaeAttn, 3*B*c1*px*el)
	e.GoHeap = 2 * B * 32 * px
	e.Total = e.UNetArena + e.PatchedUNet + e.VAEEncoder + e.VAEDecoder + e.GoHeap
	return e
}

func gib(b int64) string { return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)) }

// String lists the terms.
func (e HiresEstimate) String() string {
	g := "unguided"
	if e.Guided {
		g = "guided (both halves of the batch)"
	}
	return fmt.Sprintf("%s for the %dx%d pass, batch %d, %s, ToMe ratio %v (%d of %d tokens left): UNet self-attention scores + softmax %s, "+
		"×%d for ONNX Runtime's arena = %s; patched UNet copy %s; VAE encoder %s and decoder %s (arenas); Go heap %s",
		gib(e.Total), e.Width, e.Height, e.Batch, g, e.Ratio, e.Merged, e.Tokens, gib(e.Attention), arenaFactor, gib(e.UNetArena),
		gib(e.PatchedUNet), gib(e.VAEEncoder), gib(e.VAEDecoder), gib(e.GoHeap))
}

// Check returns nil when the estimate fits in avail bytes (or avail is unknown, ≤ 0),
// else an error that states the estimate and how to lower it: a higher --hires-ratio,
// no guidance, or a smaller --hires size, each with what it would need.
func (e HiresEstimate) Check(avail int64) error {
	if avail <= 0 || e.Total < avail {
		return nil
	}
	var ways []string
	for _, r := range []float64{0.5, 0.6, 0.7, 0.75} {
		if r > e.Ratio {
			if n := EstimateHires(e.Model, e.Batch, e.Height, e.Width, r, e.Guided); n.Total < avail {
				ways = append(ways, fmt.Sprintf("--hires-ratio %v (%s)", r, gib(n.Total)))
				break
			}
		}
	}
	if len(ways) == 0 && e.Ratio < 0.75 {
		n := EstimateHires(e.Model, e.Batch, e.Height, e.Width, 0.75, e.Guided)
		ways = append(ways, fmt.Sprintf("not even --hires-ratio 0.75 fits (%s)", gib(n.Total)))
	}
	if e.Guided {
		n := EstimateHires(e.Model, e.Batch, e.Height, e.Width, e.Ratio, false)
		ways = append(ways, fmt.Sprintf("no guidance, --guidance 1 (%s)", gib(n.Total)))
	}
	if e.Batch > 1 {
		n := EstimateHires(e.Model, 1, e.Height, e.Width, e.Ratio, e.Guided)
		ways = append(ways, fmt.Sprintf("one prompt at a time (%s)", gib(n.Total)))
	}
	// The largest size of the same aspect, in steps of 8·f pixels on the longer side, that fits.
	step := 8 * e.Model.Downscale
	for s := 1; s < 64; s++ {
		k := 64 - s
		W := (e.Width * k / 64) / step * step
		H := (e.Height * k / 64) / step * step
		if W < step || H < step {
			break
		}
		if n := EstimateHires(e.Model, e.Batch, H, W, e.Ratio, e.Guided); n.Total < avail {
			ways = append(ways, fmt.Sprintf("a smaller --hires %dx%d (%s)", W, H, gib(n.Total)))
			break
		}
	}
	return fmt.Errorf("out of memory (predicted): the high-res pass needs about %s, but only %s is available; "+
		"to lower it: %s; --no-memory-check tries anyway (on Linux, running out is the OOM killer, not an error)",
		e.String(), gib(avail), strings.Join(ways, "; "))
}

// HiresModel describes the pipeline for EstimateHires: the UNet's first-level heads
// (num_attention_heads or attention_head_dim of its config; 8 when unknown), the VAE's
// downscale and block_out_channels, the element size and the UNet's model files.
func (p *Pipeline) HiresModel() HiresModel {
	m := HiresModel{Heads: 8, Downscale: p.vae.info.Downscale, Elem: 4}
	if p.Parts.UNetConfig != "" {
		var c struct {
			AttentionHeadDim  json.RawMessage `json:"attention_head_dim"`
			NumAttentionHeads json.RawMessage `json:"num_attention_heads"`
		}
		if readJSON(p.Parts.UNetConfig, &c) == nil {
			raw := c.NumAttentionHeads
			if len(raw) == 0 || string(raw) == "null" {
				raw = c.AttentionHeadDim
			}
			var one int
			var many []int
			if json.Unmarshal(raw, &one) == nil && one > 0 {
				m.Heads = one
			} else if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
				m.Heads = many[0]
			}
		}
	}
	if p.Parts.VAEConfig != "" {
		var c struct {
			BlockOutChannels []int `json:"block_out_channels"`
		}
		if readJSON(p.Parts.VAEConfig, &c) == nil {
			m.VAEChannels = c.BlockOutChannels
		}
	}
	if p.base.Float16() {
		m.Elem = 2
	}
	m.UNetFiles = p.UNetWeightBytes()
	if st, err := os.Stat(p.Parts.UNet); err == nil {
		m.UNetGraph = st.Size()
	}
	return m
}

// HiresMemory is EstimateHires for this pipeline.
func (p *Pipeline) HiresMemory(batch, H, W int, ratio float64, guided bool) HiresEstimate {
	return EstimateHires(p.HiresModel(), batch, H, W, ratio, guided)
}

// CheckHiresMemory estimates the high-res pass (HiresMemory) and refuses it, with
// HiresEstimate.Check's message, when it needs avail bytes or more.
func (p *Pipeline) CheckHiresMemory(batch, H, W int, ratio float64, guided bool, avail int64) (HiresEstimate, error) {
	e := p.HiresMemory(batch, H, W, ratio, guided)
	return e, e.Check(avail)
}

// AttentionBytes is HiresMemory's total less one copy of the UNet's model files when
// ratio > 0 — the part its callers add themselves as UNetWeightBytes, so that
// AttentionBytes + (ratio > 0 ? UNetWeightBytes : 0) is the whole conservative estimate
// (EstimateHires documents the terms; the name is historical: the UNet's self-attention
// is only one of them). New code should call CheckHiresMemory.
func (p *Pipeline) AttentionBytes(batch, H, W int, ratio float64, guided bool) int64 {
	e := p.HiresMemory(batch, H, W, ratio, guided)
	if ratio > 0 {
		return e.Total - e.Model.UNetFiles
	}
	return e.Total
}

// UNetWeightBytes returns the size of the UNet's model files (model.onnx and its
// external weights): the memory one more UNet session takes.
func (p *Pipeline) UNetWeightBytes() int64 {
	var n int64
	ents, _ := os.ReadDir(p.unetDir())
	for _, e := range ents {
		if st, err := e.Info(); err == nil && st.Mode().IsRegular() {
			n += st.Size()
		}
	}
	return n
}
