package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/tomebench/tomebench/bench"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/methods/agentsd"
	"github.com/tomebench/tomebench/sd/models"
)

var benchCommand = &command{
	name: "bench",
	args: "--model DIR | --arch ARCH",
	summary: "Measure UNet speed and memory per ToMe merge ratio (time per call, speed-up, ToMe's share, memory per image).\n" +
		"Each measurement runs in its own child process: one untimed warm-up call, then one timed call;\n" +
		"ratios are interleaved round by round. --arch builds a seeded random-weight UNet once (cached in\n" +
		"~/.cache/tomebench/bench): speed and memory do not depend on the weights. Memory: the child's peak\n" +
		"RSS minus the weights, per image (batch/2 images per call under guidance); with --memory-limit also\n" +
		"the paper's GB/im (limit / most images that fit). --todo-factors and --agentsd add rows of the\n" +
		"other patch-level methods (ToDo, AgentSD), measured like the ratio rows: interleaved in the same rounds,\n" +
		"speed-up against the unpatched call of the same round. Profiled (unless --no-profile): the method's own\n" +
		"ops' share of the patched call, and the ceiling: the speed-up if the layers the method changes cost\n" +
		"nothing (1 / (1 − their share of the unpatched call)). Prints a Markdown table, or JSON with --json\n" +
		"(each row's \"method\": none, tome, todo or agentsd).",
	run: runBench,
}

// benchChildCommand is the argv that starts a measurement child; nil means this
// executable with "bench __bench" (tests point it at the test binary).
var benchChildCommand []string

func runBench(e *env, fs *flag.FlagSet, args []string) error {
	if len(args) > 0 && args[0] == bench.ChildSubcommand {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if code := bench.ChildMain(ctx, args[1:], e.stdout, e.stderr); code != 0 {
			return exitCode(code)
		}
		return nil
	}
	d := bench.Defaults()
	model := fs.String("model", "", "`folder` with an ONNX UNet (model.onnx or unet/model.onnx) or a diffusers pipeline/UNet folder")
	arch := fs.String("arch", "", "measure a random-weight UNet of this architecture: "+strings.Join(models.ArchNames(), ", "))
	ratios := fs.String("ratios", joinFloats(d.Ratios), "comma-separated merge ratios (0, the reference, is always measured)")
	todoFactors := fs.String("todo-factors", "", "also measure ToDo at these comma-separated depth-1 downsampling `factors` (e.g. 2,3; nearest-exact; --max-downsample is shared with ToMe)")
	agentsdRows := fs.String("agentsd", "", "also measure AgentSD at these comma-separated `settings` R:A[:SX:SY] (merge ratio, agent_ratio, strides, default 2:2 as apply_patch),\n"+
		"or phase1 for the reference README's phase 1 (0.4:0.95:4:4); --max-downsample and --no-rand are shared with ToMe")
	batch := fs.Int("batch", d.Batch, "UNet batch (2 = one image under classifier-free guidance)")
	size := fs.Int("size", d.Size, "image side in pixels (latent = size/8)")
	precision := fs.String("precision", d.Precision, "fp32 or fp16")
	provider := fs.String("provider", ort.ProviderCPU, "execution provider: cpu or cuda")
	threads := fs.Int("threads", 0, "intra-op threads (0: ONNX Runtime's default)")
	repeat := fs.Int("repeat", d.Repeat, "rounds: timed calls per ratio")
	attention := fs.String("attention", d.Attention, "attention form: plain (ONNX ops) or fused (ONNX Runtime's MultiHeadAttention)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	jsonOut := fs.String("out", "", "also write the result as JSON to this `file`")
	memLimit := fs.Float64("memory-limit", 0, "also measure the paper's GB/im under this limit in GB (CUDA: gpu_mem_limit; CPU: arena max_mem)")
	maxImages := fs.Int("max-images", 64, "largest images per call the --memory-limit search tries")
	noProfile := fs.Bool("no-profile", false, "skip ToMe's share of the call (one profiled child per ratio)")
	seed := fs.Uint64("seed", d.Seed, "seed of the random weights, inputs and partitions")
	noArena := fs.Bool("no-arena", false, "turn ONNX Runtime's CPU memory arena off")
	sameAsRequested := fs.Bool("arena-same-as-requested", false, "run on a CPU arena that grows by exactly what is requested (kSameAsRequested) instead of doubling")
	memPattern := fs.Bool("mem-pattern", false, "turn ONNX Runtime's memory patterns on (off by default: on SD 1.5 they hold 2.4 GB more for no speed)")
	var cfg namedFiles
	fs.Var(&cfg, "ort-config", "ONNX Runtime session config `KEY=VALUE` (repeatable), e.g. session.disable_prepacking=1")
	var tf tomeFlags
	tf.register(fs, 0.5, "(bench takes the ratios from --ratios; this flag is ignored)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("unexpected arguments %q", pos)
	}
	o := d
	o.Model, o.Arch, o.Batch, o.Size, o.Precision, o.Attention, o.Repeat, o.Seed = *model, *arch, *batch, *size, *precision, *attention, *repeat, *seed
	o.Profile = !*noProfile
	o.MemoryLimit = int64(*memLimit * 1e9)
	o.MaxImages = *maxImages
	o.Session = ort.SessionOptions{Provider: *provider, Threads: *threads, NoCPUArena: *noArena, MemPattern: *memPattern}
	if *sameAsRequested {
		o.Arena = &ort.ArenaConfig{SameAsRequested: true}
	}
	if len(cfg) > 0 {
		o.Session.Config = map[string]string{}
		for _, c := range cfg {
			o.Session.Config[c.name] = c.file
		}
	}
	if o.Ratios, err = parseFloats(*ratios); err != nil {
		return usagef("--ratios: %v", err)
	}
	if o.ToMe, err = tf.options(); err != nil {
		return err
	}
	if *todoFactors != "" {
		if o.ToDoFactors, err = parseFloats(*todoFactors); err != nil {
			return usagef("--todo-factors: %v", err)
		}
	}
	if *agentsdRows != "" {
		if o.AgentSD, err = parseAgentSD(*agentsdRows, o.ToMe.MaxDownsample, o.ToMe.UseRand); err != nil {
			return usagef("--agentsd: %v", err)
		}
	}
	if err := o.Validate(); err != nil {
		return usagef("%v", strings.TrimPrefix(err.Error(), "bench: "))
	}
	if *provider != ort.ProviderCPU && *provider != ort.ProviderCUDA {
		return usagef("--provider: want cpu or cuda, got %q", *provider)
	}
	o.ChildCommand = benchChildCommand
	if o.ChildCommand == nil {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.ChildCommand = []string{exe, "bench", bench.ChildSubcommand}
	}
	o.Log = e.stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.Run(ctx, o)
	if err != nil {
		return err
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return bench.Markdown(e.stdout, res)
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		x, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, x)
	}
	return out, nil
}

// parseAgentSD parses --agentsd: comma-separated R:A[:SX:SY] or phase1, on top of
// apply_patch's defaults with the given max_downsample and use_rand.
func parseAgentSD(s string, maxDownsample int, useRand bool) ([]agentsd.Options, error) {
	base := agentsd.DefaultOptions()
	base.MaxDownsample, base.UseRand = maxDownsample, useRand
	var out []agentsd.Options
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "phase1" {
			out = append(out, agentsd.Phases(base)[0])
			continue
		}
		f := strings.Split(item, ":")
		if len(f) != 2 && len(f) != 4 {
			return nil, fmt.Errorf("%q: want R:A, R:A:SX:SY or phase1", item)
		}
		o := base
		var err error
		if o.Ratio, err = strconv.ParseFloat(f[0], 64); err != nil {
			return nil, fmt.Errorf("%q: ratio %q is not a number", item, f[0])
		}
		if o.AgentRatio, err = strconv.ParseFloat(f[1], 64); err != nil {
			return nil, fmt.Errorf("%q: agent ratio %q is not a number", item, f[1])
		}
		if len(f) == 4 {
			if o.SX, err = strconv.Atoi(f[2]); err != nil {
				return nil, fmt.Errorf("%q: sx %q is not an integer", item, f[2])
			}
			if o.SY, err = strconv.Atoi(f[3]); err != nil {
				return nil, fmt.Errorf("%q: sy %q is not an integer", item, f[3])
			}
		}
		if err := o.Validate(); err != nil {
			return nil, fmt.Errorf("%q: %v", item, err)
		}
		out = append(out, o)
	}
	return out, nil
}
