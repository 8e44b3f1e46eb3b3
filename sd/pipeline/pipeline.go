package pipeline

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/clip"
	"github.com/tomebench/tomebench/sd/schedulers"
)

// Options say how a Pipeline opens and runs its models. The zero value runs the folder's
// models on the CPU with the folder's scheduler. ToMe is not an option of the pipeline:
// Pipeline.PrepareUNet patches a UNet that a Request then runs.
type Options struct {
	// Provider is the ONNX Runtime execution provider ("cpu", the default, or "cuda"),
	// DeviceID the CUDA device, Threads the intra-op thread count (0: ONNX Runtime's
	// default) and OptLevel the graph optimisation level.
	Provider string
	DeviceID int
	Threads  int
	OptLevel ort.OptLevel
	// Precision is "fp32" or "fp16": the precision a diffusers folder is converted to,
	// and a check on an ONNX folder's UNet. "" accepts an ONNX folder as it is and
	// converts diffusers folders to fp32.
	Precision string
	// Attention is the form a diffusers folder's UNet attention is converted to:
	// AttentionPlain ("" too: Reshape, Transpose, MatMul, Softmax, MatMul, as torch
	// exports it) or AttentionFused (ONNX Runtime's MultiHeadAttention: on the CPU
	// it never holds the N×N scores). An ONNX folder's graph is used as it is, so
	// AttentionFused is refused for one.
	Attention string
	// Scheduler overrides the folder's scheduler class: "pndm" (PLMS), "ddim", "euler",
	// or a diffusers class name; "" uses scheduler_config.json's _class_name. The
	// folder's config (betas, offsets, spacing) is kept either way, like diffusers'
	// <Class>.from_config(pipe.scheduler.config).
	Scheduler string
	// ExtraUNetInputs names UNet inputs that a Request.BeforeUNet hook feeds; other
	// inputs than the usual ones are refused when the UNet is opened.
	ExtraUNetInputs []string
	// CacheDir holds diffusers folders converted to ONNX ("": DefaultCacheDir()).
	CacheDir string
}

// A Pipeline is an opened Stable Diffusion model. Generate and PrepareUNet may not be
// called concurrently on one Pipeline.
type Pipeline struct {
	// Dir is the folder given to Open; Parts the ONNX folder's files (for a diffusers
	// folder, those of its converted copy).
	Dir   string
	Parts *Parts
	// Layout is the layout of Dir.
	Layout Layout

	opts       Options
	tok        *clip.Tokenizer
	schedCfg   schedulers.Config
	schedClass string
	text       *textEncoder
	vae        *vaeDecoder
	base       *UNet       // the unpatched UNet
	vaeEnc     *vaeEncoder // vae_encoder/model.onnx, opened by the first img2img call
	latentC    int         // latent channels
	sampleH    int         // default latent size (0 when unknown)
	sampleW    int

	xl *sdxlText // SDXL's second text encoder and tokenizer (sdxl.go); nil for SD 1.x/2.x

	sessions []*ort.Session // the sessions Close closes: text encoder, VAE, base UNet
}

// Open opens the model folder dir (ONNX or diffusers layout, see the package doc) and
// checks every part the pipeline needs: tokenizer, scheduler config and class, and the
// inputs and outputs of the three models.
func Open(dir string, opts Options) (*Pipeline, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	layout, err := DetectLayout(dir)
	if err != nil {
		return nil, err
	}
	onnxDir := dir
	if layout != LayoutDiffusers && opts.Attention == AttentionFused {
		return nil, &FolderError{Path: dir, Msg: "attention fused needs a diffusers folder to convert: an ONNX folder's graph is used as it is"}
	}
	if layout == LayoutDiffusers {
		if onnxDir, err = ConvertedDir(dir, opts); err != nil {
			return nil, err
		}
	}
	parts, err := FindParts(onnxDir)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{Dir: dir, Parts: parts, Layout: layout, opts: opts}
	if err := p.load(); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// schedulerAliases maps the short scheduler names to diffusers classes.
var schedulerAliases = map[string]string{
	"pndm": schedulers.ClassPNDM, "plms": schedulers.ClassPNDM,
	"ddim":  schedulers.ClassDDIM,
	"euler": schedulers.ClassEuler,
}

// SchedulerClass returns the diffusers class for a scheduler name: pndm (or plms), ddim,
// euler, or one of the class names themselves.
func SchedulerClass(name string) (string, bool) {
	if c, ok := schedulerAliases[strings.ToLower(name)]; ok {
		return c, true
	}
	switch name {
	case schedulers.ClassPNDM, schedulers.ClassDDIM, schedulers.ClassEuler:
		return name, true
	}
	return "", false
}

// Attention forms of Options.Attention.
const (
	AttentionPlain = "plain"
	AttentionFused = "fused"
)

func (o Options) validate() error {
	switch o.Precision {
	case "", "fp32", "fp16":
	default:
		return fmt.Errorf("pipeline: precision %q: want fp32 or fp16", o.Precision)
	}
	switch o.Attention {
	case "", AttentionPlain, AttentionFused:
	default:
		return fmt.Errorf("pipeline: attention %q: want plain or fused", o.Attention)
	}
	if _, ok := SchedulerClass(o.Scheduler); o.Scheduler != "" && !ok {
		return fmt.Errorf("pipeline: unknown scheduler %q (want pndm, ddim or euler)", o.Scheduler)
	}
	return nil
}

// sessionOptions returns the ONNX Runtime options for the models.
func (p *Pipeline) sessionOptions() ort.SessionOptions {
	return ort.SessionOptions{Provider: p.opts.Provider, DeviceID: p.opts.DeviceID, Threads: p.opts.Threads, OptLevel: p.opts.OptLevel}
}

// openSession opens a model file and remembers the session for Close.
func (p *Pipeline) openSession(path string) (*ort.Session, error) {
	s, err := ort.NewSession(path, p.sessionOptions())
	if err != nil {
		return nil, &FolderError{Path: path, Msg: "cannot open model", Err: err}
	}
	p.sessions = append(p.sessions, s)
	return s, nil
}

// load reads the tokenizer and scheduler and opens the three models.
func (p *Pipeline) load() error {
	var err error
	if p.tok, err = clip.Load(p.Parts.Tokenizer); err != nil {
		return &FolderError{Path: p.Parts.Tokenizer, Msg: "unusable tokenizer", Err: err}
	}
	if p.schedCfg, err = schedulers.LoadConfig(p.Parts.SchedulerConfig); err != nil {
		return &FolderError{Path: p.Parts.SchedulerConfig, Msg: "unusable scheduler config", Err: err}
	}
	p.schedClass = p.schedCfg.ClassName
	if p.opts.Scheduler != "" {
		p.schedClass, _ = SchedulerClass(p.opts.Scheduler)
	}
	if _, err := schedulers.NewAs(p.schedClass, p.schedCfg); err != nil {
		return &FolderError{Path: p.Parts.SchedulerConfig, Msg: "unusable scheduler", Err: err}
	}
	vi, err := readVAEInfo(p.Parts.VAEConfig)
	if err != nil {
		return err
	}
	s, err := p.openSession(p.Parts.TextEncoder)
	if err != nil {
		return err
	}
	if p.text, err = newTextEncoder(s, p.Parts.TextEncoder); err != nil {
		return err
	}
	if s, err = p.openSession(p.Parts.VAEDecoder); err != nil {
		return err
	}
	if p.vae, err = newVAEDecoder(s, p.Parts.VAEDecoder, vi); err != nil {
		return err
	}
	if s, err = p.openSession(p.Parts.UNet); err != nil {
		return err
	}
	if p.base, err = newUNet(s, p.Parts.UNet, nil, p.opts.ExtraUNetInputs); err != nil {
		return err
	}
	p.base.pipe = p
	if err := p.loadSDXL(); err != nil {
		return err
	}
	if err := p.checkPrecision(); err != nil {
		return err
	}
	return p.readSizes()
}

// checkPrecision compares Options.Precision with the UNet's latent type.
func (p *Pipeline) checkPrecision() error {
	got := "fp32"
	if p.base.Float16() {
		got = "fp16"
	}
	if p.opts.Precision != "" && p.opts.Precision != got {
		return &FolderError{Path: p.Parts.UNet, Msg: fmt.Sprintf("UNet is %s, but precision %s was asked for", got, p.opts.Precision)}
	}
	return nil
}

// readSizes works out the latent channels and the default latent size: the UNet
// config's sample_size, else the model's static sample dims.
func (p *Pipeline) readSizes() error {
	s := p.base.sample.Shape
	p.latentC = 4
	if c := staticDim(s, 1); c > 0 {
		p.latentC = int(c)
	}
	h, w, err := readUNetSampleSize(p.Parts.UNetConfig)
	if err != nil {
		return err
	}
	if h == 0 {
		h, w = int(max(staticDim(s, 2), 0)), int(max(staticDim(s, 3), 0))
	}
	p.sampleH, p.sampleW = h, w
	return nil
}

// Tokenizer returns the pipeline's CLIP tokenizer.
func (p *Pipeline) Tokenizer() *clip.Tokenizer { return p.tok }

// Scheduler returns the diffusers class of the scheduler Generate uses.
func (p *Pipeline) Scheduler() string { return p.schedClass }

// NewScheduler returns a fresh scheduler of the pipeline's class and config.
func (p *Pipeline) NewScheduler() (schedulers.Scheduler, error) {
	return schedulers.NewAs(p.schedClass, p.schedCfg)
}

// VAEScale returns the VAE's scaling factor and its downscale factor (image side /
// latent side).
func (p *Pipeline) VAEScale() (scalingFactor float64, downscale int) {
	return p.vae.info.ScalingFactor, p.vae.info.Downscale
}

// DefaultSize returns the image size the UNet was made for (sample_size times the VAE's
// downscale factor), or 0, 0 when neither the config nor the model says.
func (p *Pipeline) DefaultSize() (height, width int) {
	f := p.vae.info.Downscale
	return p.sampleH * f, p.sampleW * f
}

// BaseUNet returns the unpatched UNet, which the pipeline owns: its Close does nothing.
func (p *Pipeline) BaseUNet() *UNet { return p.base }

// Close releases the sessions the pipeline opened (text encoder, VAE decoder, base UNet).
// UNets from PrepareUNet are the caller's to close. Close is safe to call more than once.
func (p *Pipeline) Close() error {
	var first error
	for _, s := range p.sessions {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	p.sessions = nil
	return first
}

// unetDir is the folder holding the UNet model and its external weights.
func (p *Pipeline) unetDir() string { return filepath.Dir(p.Parts.UNet) }
