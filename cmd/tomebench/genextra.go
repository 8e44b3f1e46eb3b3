package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"strconv"
	"strings"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/sd/checkpoint"
	"github.com/tomebench/tomebench/sd/models"
	"github.com/tomebench/tomebench/sd/pipeline"
	"github.com/tomebench/tomebench/tome"
)

// ckptFlags read a single-file checkpoint's architecture (convert and generate).
type ckptFlags struct {
	origConfig, configDir, prediction string
	noEMA                             bool
}

func (c *ckptFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.origConfig, "original-config", "", "single-file checkpoint: its LDM inference `YAML` (v1-inference.yaml / v2-inference(-v).yaml structure)")
	fs.StringVar(&c.configDir, "config", "", "single-file checkpoint: a diffusers `folder` whose configs, scheduler and tokenizer describe it")
	fs.StringVar(&c.prediction, "prediction-type", "", "single-file checkpoint: epsilon or v_prediction (SD 2.x 768-v models); default: the YAML's, else epsilon")
	fs.BoolVar(&c.noEMA, "no-ema", false, "single-file checkpoint: use the training weights even when EMA weights (model_ema.*) are present")
}

func (c *ckptFlags) options(e *env, mo models.Options, size int) (checkpoint.Options, error) {
	if c.origConfig != "" && c.configDir != "" {
		return checkpoint.Options{}, usagef("--original-config and --config exclude each other")
	}
	switch c.prediction {
	case "", "epsilon", "v_prediction":
	default:
		return checkpoint.Options{}, usagef("--prediction-type %q: want epsilon or v_prediction", c.prediction)
	}
	return checkpoint.Options{OriginalConfig: c.origConfig, ConfigDir: c.configDir, PredictionType: c.prediction,
		NoEMA: c.noEMA, Models: mo, ImageSize: size, Log: e.stderr}, nil
}

// used reports whether any checkpoint flag was given.
func (c *ckptFlags) used() bool {
	return c.origConfig != "" || c.configDir != "" || c.prediction != "" || c.noEMA
}

// genExtras are generate's flags for checkpoints, img2img, the high-res fix and ratio
// schedules.
type genExtras struct {
	ckpt                      ckptFlags
	initImage                 string
	strength                  float64
	hires                     string
	hiresStrength, hiresRatio float64
	hiresSteps                int
	noMemCheck                bool
	ratioSchedule             string

	hiresW, hiresH int
	schedule       *experiments.Schedule
}

func (x *genExtras) register(fs *flag.FlagSet) {
	x.ckpt.register(fs)
	fs.StringVar(&x.initImage, "init-image", "", "img2img: start from this `image` (PNG or JPEG; the output takes its size, a multiple of 8)")
	fs.Float64Var(&x.strength, "strength", 0.8, "img2img: how much of the schedule runs, in [0, 1] (diffusers' strength)")
	fs.StringVar(&x.hires, "hires", "", "high-res fix: after the first pass, upscale (Lanczos-3) to `WxH` and refine with img2img")
	fs.Float64Var(&x.hiresStrength, "hires-strength", 0.5, "high-res fix: img2img strength of the second pass")
	fs.Float64Var(&x.hiresRatio, "hires-ratio", -1, "high-res fix: ToMe ratio of the second pass (default: --ratio); the other ToMe flags apply to both")
	fs.IntVar(&x.hiresSteps, "hires-steps", 0, "high-res fix: steps of the second pass before the strength cut (0: --steps)")
	fs.BoolVar(&x.noMemCheck, "no-memory-check", false, "high-res fix: run even when the self-attention of the large pass is predicted not to fit in available memory")
	fs.StringVar(&x.ratioSchedule, "ratio-schedule", "", "ToMe ratio over the steps: `A:B` (linear from A to B, rounded to 0.05 as run configs) or two-phase:A@K,B (A for steps < K, then B); replaces --ratio")
}

// validate parses what the flags hold; ratio is --ratio.
func (x *genExtras) validate(ratio float64) error {
	if x.strength < 0 || x.strength > 1 {
		return usagef("--strength %v: want a value in [0, 1]", x.strength)
	}
	if x.hires != "" {
		w, h, ok := strings.Cut(strings.ToLower(x.hires), "x")
		var err1, err2 error
		x.hiresW, err1 = strconv.Atoi(w)
		x.hiresH, err2 = strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || x.hiresW <= 0 || x.hiresH <= 0 || x.hiresW%8 != 0 || x.hiresH%8 != 0 {
			return usagef("--hires %q: want WxH, multiples of 8 (e.g. 1024x1024)", x.hires)
		}
		if x.initImage != "" {
			return usagef("--hires and --init-image exclude each other")
		}
		if x.hiresStrength <= 0 || x.hiresStrength > 1 {
			return usagef("--hires-strength %v: want a value in (0, 1]", x.hiresStrength)
		}
		if x.hiresRatio > 1 {
			return usagef("--hires-ratio %v: want a value in [0, 1]", x.hiresRatio)
		}
	}
	if x.ratioSchedule != "" {
		s, err := parseRatioSchedule(x.ratioSchedule)
		if err != nil {
			return err
		}
		if ratio != 0 {
			return usagef("--ratio-schedule replaces --ratio; give one of them")
		}
		x.schedule = s
	}
	return nil
}

// parseRatioSchedule reads "A:B" (linear, quantum 0.05 as run configs default) or
// "two-phase:A@K,B" into an experiments.Schedule, whose RatioAt the runner also uses.
func parseRatioSchedule(s string) (*experiments.Schedule, error) {
	bad := func() (*experiments.Schedule, error) {
		return nil, usagef("--ratio-schedule %q: want A:B (linear) or two-phase:A@K,B, ratios in [0, 1]", s)
	}
	inRange := func(v float64) bool { return v >= 0 && v <= 1 }
	if rest, ok := strings.CutPrefix(s, "two-phase:"); ok {
		a, tail, ok1 := strings.Cut(rest, "@")
		k, b, ok2 := strings.Cut(tail, ",")
		from, e1 := strconv.ParseFloat(a, 64)
		sw, e2 := strconv.Atoi(k)
		to, e3 := strconv.ParseFloat(b, 64)
		if !ok1 || !ok2 || e1 != nil || e2 != nil || e3 != nil || sw < 0 || !inRange(from) || !inRange(to) {
			return bad()
		}
		return &experiments.Schedule{Kind: experiments.ScheduleTwoPhase, From: from, To: to, Switch: sw}, nil
	}
	a, b, ok := strings.Cut(s, ":")
	from, e1 := strconv.ParseFloat(a, 64)
	to, e2 := strconv.ParseFloat(b, 64)
	if !ok || e1 != nil || e2 != nil || !inRange(from) || !inRange(to) {
		return bad()
	}
	return &experiments.Schedule{Kind: experiments.ScheduleLinear, From: from, To: to, Quantum: 0.05}, nil
}

// modelDir turns a single-file checkpoint into its cached ONNX folder; a folder is
// returned as it is.
func (x *genExtras) modelDir(e *env, model, precision, cacheDir string) (string, error) {
	if !checkpoint.IsCheckpoint(model) {
		if x.ckpt.used() {
			return "", usagef("--original-config, --config, --prediction-type and --no-ema apply to single-file checkpoints; %s is not one", model)
		}
		return model, nil
	}
	opt, err := x.ckpt.options(e, models.Options{Float16: precision == "fp16"}, 0)
	if err != nil {
		return "", err
	}
	return checkpoint.ConvertedDir(model, opt, cacheDir)
}

// generate runs the request as the flags say: a ratio schedule (one patched UNet per
// distinct ratio), img2img, the high-res fix, or plain Generate.
func (x *genExtras) generate(ctx context.Context, e *env, p *pipeline.Pipeline, req pipeline.Request, to tome.Options) (*pipeline.Result, error) {
	if x.schedule != nil {
		closeAll, err := x.scheduleUNets(ctx, e, p, &req, to)
		if err != nil {
			return nil, err
		}
		defer closeAll()
	}
	switch {
	case x.initImage != "":
		imgs, err := readImages(x.initImage, len(req.Prompts))
		if err != nil {
			return nil, err
		}
		req.Height, req.Width = 0, 0
		res, err := p.Img2Img(ctx, req, pipeline.Init{Images: imgs, Strength: x.strength})
		if err != nil {
			return nil, err
		}
		return &res.Result, nil
	case x.hires != "":
		hr := pipeline.Hires{Width: x.hiresW, Height: x.hiresH, Strength: x.hiresStrength, Steps: x.hiresSteps}
		r2 := to
		if x.hiresRatio >= 0 {
			r2.Ratio = x.hiresRatio
		}
		var large *pipeline.UNet
		defer func() {
			if large != nil {
				large.Close()
			}
		}()
		hr.Prepare = func() (*pipeline.UNet, error) {
			if req.UNet != nil {
				req.UNet.Close() // the first pass's patched UNet: never in memory beside the large one
			}
			extra := int64(0)
			if r2.Ratio > 0 {
				extra = p.UNetWeightBytes()
			}
			if err := x.checkMemory(e, p, len(req.Prompts), req.GuidanceScale > 1, r2.Ratio, extra); err != nil {
				return nil, err
			}
			if r2.Ratio == 0 {
				return nil, nil
			}
			u, err := p.PrepareUNet(ctx, &r2, x.hiresH, x.hiresW)
			if err != nil {
				return nil, err
			}
			reportToMe(e, u, r2.Ratio)
			large = u
			return u, nil
		}
		res, err := p.HiresFix(ctx, req, hr)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(e.stderr, "hires fix: %dx%d pass %.2fs (%d UNet calls), Lanczos upscale %.2fs, %dx%d img2img pass %.2fs (%d UNet calls, strength %v)\n",
			res.Base.Width, res.Base.Height, res.Base.Seconds, res.Base.UNetCalls, res.UpscaleSeconds,
			res.Final.Width, res.Final.Height, res.Final.Seconds, res.Final.UNetCalls, x.hiresStrength)
		return &res.Final.Result, nil
	}
	return p.Generate(ctx, req)
}

// scheduleUNets prepares one UNet per distinct ratio of the schedule over the
// scheduler's timesteps (RatioAt(step, len(timesteps)), as the runner does) and sets
// req.UNetForStep.
func (x *genExtras) scheduleUNets(ctx context.Context, e *env, p *pipeline.Pipeline, req *pipeline.Request, to tome.Options) (func(), error) {
	s, err := p.NewScheduler()
	if err != nil {
		return nil, err
	}
	steps := req.Steps
	if steps == 0 {
		steps = pipeline.DefaultSteps
	}
	s.SetTimesteps(steps)
	n := len(s.Timesteps())
	byRatio := map[float64]*pipeline.UNet{}
	per := make([]*pipeline.UNet, n)
	var ratios []string
	closeAll := func() {
		for _, u := range byRatio {
			if u != nil {
				u.Close()
			}
		}
	}
	for i := range n {
		r := x.schedule.RatioAt(i, n)
		ratios = append(ratios, strconv.FormatFloat(r, 'g', -1, 64))
		u, ok := byRatio[r]
		if !ok {
			if r > 0 {
				o := to
				o.Ratio = r
				if u, err = p.PrepareUNet(ctx, &o, req.Height, req.Width); err != nil {
					closeAll()
					return nil, err
				}
			}
			byRatio[r] = u
		}
		per[i] = u
	}
	fmt.Fprintf(e.stderr, "ToMe ratio schedule over %d UNet calls: %s\n", n, strings.Join(ratios, " "))
	req.UNetForStep = func(step int) *pipeline.UNet { return per[min(step, n-1)] }
	return closeAll, nil
}

// readImages decodes the init image, repeated for each prompt of the batch.
func readImages(path string, n int) ([]image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]image.Image, n)
	for i := range out {
		out[i] = img
	}
	return out, nil
}

// convertCheckpoint is convert for a single-file checkpoint.
func convertCheckpoint(e *env, path, out, format string, ck *ckptFlags, mo models.Options, size int) error {
	opt, err := ck.options(e, mo, size)
	if err != nil {
		return err
	}
	switch format {
	case "onnx":
		if _, err := checkpoint.ToONNX(path, out, opt); err != nil {
			return err
		}
	case "diffusers":
		if _, err := checkpoint.WriteDiffusers(path, out, opt); err != nil {
			return err
		}
	default:
		return usagef("--format %q: want onnx or diffusers", format)
	}
	fmt.Fprintln(e.stdout, out)
	return nil
}

// checkMemory estimates the high-res pass's memory (Pipeline.CheckHiresMemory: the
// terms are documented at sd/pipeline.EstimateHires) and refuses, before any work, when
// it exceeds the memory available (Linux MemAvailable): on Linux an allocation past that
// point is not an error but the OOM killer. The refusal lists the estimate and what would
// fit (a higher --hires-ratio, no guidance, a smaller size).
func (x *genExtras) checkMemory(e *env, p *pipeline.Pipeline, batch int, guided bool, ratio float64, _ int64) error {
	avail := memAvailable()
	est, err := p.CheckHiresMemory(batch, x.hiresH, x.hiresW, ratio, guided, avail)
	fmt.Fprintf(e.stderr, "hires pass %dx%d at ToMe ratio %v: %s; %.1f GiB available\n",
		x.hiresW, x.hiresH, ratio, est.String(), float64(avail)/(1<<30))
	if err == nil || avail <= 0 || x.noMemCheck {
		return nil
	}
	return fmt.Errorf("%w; --no-memory-check tries anyway", err)
}

// memAvailable returns /proc/meminfo's MemAvailable in bytes (0 when unknown).
func memAvailable() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
