package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/schollz/progressbar/v3"

	"github.com/tomebench/tomebench/internal/npy"
	"github.com/tomebench/tomebench/methods/deepcache"
	"github.com/tomebench/tomebench/sd/pipeline"
	"github.com/tomebench/tomebench/tome"
)

var generateCommand = &command{
	name: "generate",
	args: "--model DIR --prompt TEXT --out PATH",
	summary: "Generate images with Stable Diffusion from an ONNX or diffusers model folder.\n" +
		"Classifier-free guidance with one UNet call per step on the stacked batch, as diffusers.\n" +
		"Image i starts from seeded noise with seed --seed+i (the same on every machine), or from\n" +
		"--latents. --ratio > 0 patches the UNet with ToMe (tomesd's options and defaults).\n" +
		"--deepcache-interval N runs DeepCache (horseee/DeepCache's DeepCacheSDHelper), composable with ToMe.\n" +
		"--model may be a single-file SD 1.x/2.x checkpoint (.safetensors/.ckpt; --original-config or --config\n" +
		"say its architecture, else it is inferred and printed), converted once into the cache.\n" +
		"--init-image IMG --strength S runs img2img; --hires WxH a high-res fix (Lanczos-3 upscale, img2img\n" +
		"at --hires-strength with ToMe at --hires-ratio); --ratio-schedule A:B or two-phase:A@K,B varies ToMe's ratio.\n" +
		"Writes PATH, or PATH_<i>.png per image when --batch > 1; progress goes to stderr.",
	run: runGenerate,
}

func runGenerate(e *env, fs *flag.FlagSet, args []string) error {
	model := fs.String("model", "", "model `folder`: ONNX layout (unet/model.onnx, ...) or diffusers (model_index.json)")
	prompt := fs.String("prompt", "", "the prompt")
	negative := fs.String("negative-prompt", "", "the negative prompt (default: the empty prompt)")
	steps := fs.Int("steps", pipeline.DefaultSteps, "inference steps")
	sched := fs.String("scheduler", "", "pndm, ddim or euler (default: the folder's scheduler)")
	guidance := fs.Float64("guidance", 7.5, "classifier-free guidance scale (<= 1: no guidance)")
	seed := fs.Uint64("seed", 0, "seed of the initial noise (image i uses seed+i) and of ToMe's partitions")
	size := fs.Int("size", 0, "image height and width in pixels (default: the model's)")
	height := fs.Int("height", 0, "image height in pixels (overrides --size; SDXL and SD models take non-square sizes)")
	width := fs.Int("width", 0, "image width in pixels (overrides --size)")
	batch := fs.Int("batch", 1, "images per UNet batch, all with the same prompt")
	latents := fs.String("latents", "", "start from these initial latents (`FILE.npy`, float32 [batch, C, height/8, width/8]; they set the size when no size is given)")
	out := fs.String("out", "", "output PNG `path`")
	precision := fs.String("precision", "", "fp32 or fp16 (diffusers folders are converted to it; ONNX folders are checked)")
	provider := fs.String("provider", "cpu", "execution provider: cpu or cuda")
	threads := fs.Int("threads", 0, "intra-op threads (0: ONNX Runtime's default)")
	cacheDir := fs.String("cache-dir", "", "where converted diffusers folders are kept (default ~/.cache/tomebench/converted)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	dcInterval := fs.Int("deepcache-interval", 0, "DeepCache: a full UNet call every `N` steps (by the timestep's first index, as DeepCacheSDHelper), partial calls between (0: off)")
	dcBranch := fs.Int("deepcache-branch", 0, "DeepCache's cache_branch_id `B` (0: the helper's default; 1: the paper's default, layer 0 block 0)")
	var tf tomeFlags
	tf.register(fs, 0, "ToMe is opt-in: by default generation runs the unpatched model.")
	var gx genExtras // checkpoints, img2img, high-res fix, ratio schedules (genextra.go)
	gx.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected arguments %q", pos)
	case *model == "":
		return usagef("--model is required")
	case *prompt == "":
		return usagef("--prompt is required")
	case *out == "":
		return usagef("--out is required")
	case *batch < 1:
		return usagef("--batch %d: want at least 1", *batch)
	case *steps < 1:
		return usagef("--steps %d: want at least 1", *steps)
	case *dcInterval < 0:
		return usagef("--deepcache-interval %d: want >= 1 (0: off)", *dcInterval)
	case *dcBranch < 0:
		return usagef("--deepcache-branch %d: want >= 0", *dcBranch)
	case *size < 0:
		return usagef("--size %d: want a positive size", *size)
	case *height < 0 || *width < 0:
		return usagef("--height %d --width %d: want positive sizes", *height, *width)
	}
	if *sched != "" {
		if _, ok := pipeline.SchedulerClass(*sched); !ok {
			return usagef("--scheduler %q: want pndm, ddim or euler", *sched)
		}
	}
	to, err := tf.options()
	if err != nil {
		return err
	}
	if err := gx.validate(to.Ratio); err != nil {
		return err
	}
	opts := pipeline.Options{Provider: *provider, Threads: *threads, Precision: *precision, Scheduler: *sched, CacheDir: *cacheDir}
	req := pipeline.Request{Height: *size, Width: *size, Steps: *steps, GuidanceScale: *guidance, Seed: *seed}
	if *height > 0 {
		req.Height = *height
	}
	if *width > 0 {
		req.Width = *width
	}
	for range *batch {
		req.Prompts = append(req.Prompts, *prompt)
		if *negative != "" {
			req.NegativePrompts = append(req.NegativePrompts, *negative)
		}
	}
	var latentHW []int
	if *latents != "" {
		a, err := npy.ReadFile(*latents)
		if err != nil {
			return err
		}
		if len(a.Shape) != 4 || a.Shape[0] != *batch {
			return fmt.Errorf("%s: shape %v; want [%d, C, h, w] for --batch %d", *latents, a.Shape, *batch, *batch)
		}
		req.Latents = a.Float32s()
		if req.Latents == nil {
			return fmt.Errorf("%s: %s values; want float32", *latents, a.DType)
		}
		latentHW = a.Shape[2:]
	}

	// Ctrl-C stops between denoising steps (the pipeline checks ctx before every UNet call).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	modelDir, err := gx.modelDir(e, *model, *precision, *cacheDir)
	if err != nil {
		return err
	}
	p, err := pipeline.Open(modelDir, opts)
	if err != nil {
		return err
	}
	defer p.Close()
	if latentHW != nil {
		_, f := p.VAEScale()
		if req.Height == 0 {
			req.Height = latentHW[0] * f
		}
		if req.Width == 0 {
			req.Width = latentHW[1] * f
		}
	}
	if *dcInterval > 0 {
		var topt *tome.Options
		if to.Ratio != 0 {
			topt = &to
		}
		m, err := deepcache.PrepareWithToMe(ctx, p, deepcache.Options{Interval: *dcInterval, Branch: *dcBranch}, topt, req.Height, req.Width)
		if err != nil {
			return err
		}
		defer m.Close()
		if topt != nil {
			reportToMe(e, m.Full, to.Ratio)
		}
		b := m.Report.Boundary
		fmt.Fprintf(e.stderr, "DeepCache interval %d, branch %d: partial calls recompute up_blocks.%d from resnets.%d (%d of %d nodes)\n",
			*dcInterval, *dcBranch, b.UpBlock, b.Resnet, m.Report.PartialNodes, m.Report.FullNodes)
		if _, err := m.Apply(&req); err != nil {
			return err
		}
	} else if to.Ratio != 0 {
		u, err := p.PrepareUNet(ctx, &to, req.Height, req.Width)
		if err != nil {
			return err
		}
		defer u.Close()
		reportToMe(e, u, to.Ratio)
		req.UNet = u
	}
	var bar *progressbar.ProgressBar
	req.AfterStep = func(s *pipeline.StepInfo) error {
		if *quiet {
			return nil
		}
		if bar == nil {
			bar = progressbar.NewOptions(s.Total, progressbar.OptionSetWriter(e.stderr),
				progressbar.OptionSetDescription("denoising"), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionOnCompletion(func() { fmt.Fprintln(e.stderr) }))
		}
		return bar.Add(1)
	}
	res, err := gx.generate(ctx, e, p, req, to)
	if err != nil {
		return err
	}
	for i, img := range res.Images {
		path := outputPath(*out, i, len(res.Images))
		if err := pipeline.WritePNG(path, img); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, path)
	}
	return nil
}

// reportToMe tells on stderr which UNet PrepareUNet made for ratio: how many blocks it
// patched, the partitions it takes, and the patch's warnings.
func reportToMe(e *env, u *pipeline.UNet, ratio float64) {
	patched, total := u.Blocks()
	fmt.Fprintf(e.stderr, "ToMe ratio %v: %d of %d transformer blocks patched", ratio, patched, total)
	switch r := u.Report; {
	case u.ToMe == nil:
		fmt.Fprint(e.stderr, "; running the unpatched UNet")
	case len(r.RandInputs) > 0:
		n := len(r.RandInputs)
		fmt.Fprintf(e.stderr, "; fresh partitions fed to %s..%s on every UNet call", r.RandInputs[0].Name, r.RandInputs[n-1].Name)
	}
	fmt.Fprintln(e.stderr)
	if u.Report != nil {
		for _, w := range u.Report.Warnings {
			fmt.Fprintf(e.stderr, "ToMe: %v\n", w)
		}
	}
}

// outputPath is PATH for a single image, else PATH without its extension + "_<i>.png".
func outputPath(out string, i, n int) string {
	if n == 1 {
		return out
	}
	return strings.TrimSuffix(out, filepath.Ext(out)) + fmt.Sprintf("_%d.png", i)
}
