package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/tomebench/tomebench/internal/measure"
	"github.com/tomebench/tomebench/internal/ort"
)

// A Result is what Run measured, with what it ran on.
type Result struct {
	Environment Environment `json:"environment"`
	Settings    Settings    `json:"settings"`
	// WeightsBytes is the size of the weights (model and external data files).
	WeightsBytes int64 `json:"weights_bytes"`
	Rows         []Row `json:"rows"`
	// Methods says how each column was measured.
	Methods map[string]string `json:"methods"`
	// Warnings are measurement problems that are data, not failures.
	Warnings []string `json:"warnings,omitempty"`
}

// Settings are the options a Result was measured with.
type Settings struct {
	Model          string    `json:"model"`
	Arch           string    `json:"arch,omitempty"`
	Seed           uint64    `json:"seed"`
	Batch          int       `json:"batch"`
	ImagesPerCall  float64   `json:"images_per_call"`
	Size           int       `json:"size"`
	Latent         int       `json:"latent"`
	Precision      string    `json:"precision"`
	Attention      string    `json:"attention"`
	Provider       string    `json:"provider"`
	Threads        int       `json:"threads"`
	Repeat         int       `json:"repeat"`
	MemoryLimit    int64     `json:"memory_limit_bytes,omitempty"`
	SessionOptions string    `json:"session_options"`
	ToMe           string    `json:"tome"`
	Ratios         []float64 `json:"ratios"`
}

// Environment is the machine and software a Result was measured on.
type Environment struct {
	Hostname    string    `json:"hostname"`
	OS          string    `json:"os"`
	CPU         string    `json:"cpu"`
	Cores       int       `json:"cores"`
	MemoryBytes int64     `json:"memory_bytes"`
	GPU         string    `json:"gpu,omitempty"`
	ORTVersion  string    `json:"onnxruntime"`
	ORTLibrary  string    `json:"onnxruntime_library"`
	GoVersion   string    `json:"go"`
	Commit      string    `json:"commit"`
	LoadBefore  []float64 `json:"load_before"`
	LoadAfter   []float64 `json:"load_after"`
	Started     string    `json:"started"`
	Seconds     float64   `json:"seconds"`
}

// A Row is one merge ratio's measurements.
type Row struct {
	Ratio         float64 `json:"ratio"`
	PatchedBlocks int     `json:"patched_blocks"`
	Blocks        int     `json:"blocks"`
	// Seconds summarises the timed calls (one per round); SecondsAll lists them by round.
	Seconds    measure.Summary `json:"seconds"`
	SecondsAll []float64       `json:"seconds_all"`
	// Speedup summarises t(ratio 0) / t(ratio) taken within each round.
	Speedup measure.Summary `json:"speedup"`
	// ToMeShare is the ToMe nodes' share of the patched call's kernel time (profiled;
	// absent for ratio 0 or without profiling).
	ToMeShare *float64 `json:"tome_share,omitempty"`
	// PeakRSSBytes is the median peak resident memory of the children of this ratio.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// ActivationBytesPerImage is (PeakRSSBytes − weights) / images per call.
	ActivationBytesPerImage int64 `json:"activation_bytes_per_image"`
	// LimitMaxImages is the most images per call that ran under the memory limit,
	// LimitBytesPerImage the limit divided by it (memory limit only).
	LimitMaxImages     int   `json:"limit_max_images,omitempty"`
	LimitBytesPerImage int64 `json:"limit_bytes_per_image,omitempty"`
}

// Run measures o (see the package doc for the method).
func Run(ctx context.Context, o Options) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = io.Discard
	}
	argv := o.ChildCommand
	if argv == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("bench: finding this executable: %w", err)
		}
		argv = []string{exe, ChildSubcommand}
	}
	if err := ort.Init(); err != nil {
		return nil, err
	}
	started := time.Now()
	res := &Result{Environment: environment(o), Methods: methods()}
	path, wbytes, err := prepareModel(o, log)
	if err != nil {
		return nil, err
	}
	res.WeightsBytes = wbytes
	provider := o.Session.Provider
	if provider == "" {
		provider = ort.ProviderCPU
	}
	res.Settings = Settings{Model: path, Arch: o.Arch, Seed: o.Seed, Batch: o.Batch, ImagesPerCall: o.images(), Size: o.Size,
		Latent: o.Size / 8, Precision: o.Precision, Attention: o.Attention, Provider: provider, Threads: o.Session.Threads,
		Repeat: o.Repeat, MemoryLimit: o.MemoryLimit, SessionOptions: sessionSummary(o.Session, o.Arena),
		ToMe: fmt.Sprintf("%+v", o.ToMe), Ratios: o.ratios()}
	ratios := o.ratios()
	job := func(r float64) Job {
		t := o.ToMe
		t.Ratio = r
		return Job{Model: path, ToMe: t, Batch: o.Batch, Latent: o.Size / 8, Session: o.Session, Arena: o.Arena, Warmup: 1, Calls: 1, Seed: o.Seed}
	}
	rows := make([]Row, len(ratios))
	peaks := make([][]float64, len(ratios))
	for i, r := range ratios {
		rows[i].Ratio = r
	}
	for round := 0; round < o.Repeat; round++ {
		for k := range ratios {
			i := (k + round) % len(ratios) // rotated order
			jr, err := runChild(ctx, argv, job(ratios[i]), log)
			if err != nil {
				return nil, fmt.Errorf("bench: ratio %g: %w", ratios[i], err)
			}
			fmt.Fprintf(log, "bench: round %d/%d, ratio %g: %.3f s/call, peak RSS %.2f GB (load %s)\n",
				round+1, o.Repeat, ratios[i], jr.Seconds[0], float64(jr.PeakRSS)/1e9, loads(measure.LoadAverage()))
			rows[i].SecondsAll = append(rows[i].SecondsAll, jr.Seconds[0])
			rows[i].PatchedBlocks, rows[i].Blocks = jr.Patched, jr.Blocks
			peaks[i] = append(peaks[i], float64(jr.PeakRSS))
		}
	}
	for i := range rows {
		rows[i].Seconds = measure.Summarize(rows[i].SecondsAll)
		var sp []float64
		for round, t := range rows[i].SecondsAll {
			sp = append(sp, rows[0].SecondsAll[round]/t)
		}
		rows[i].Speedup = measure.Summarize(sp)
		rows[i].PeakRSSBytes = int64(measure.Summarize(peaks[i]).Median)
		rows[i].ActivationBytesPerImage = int64(float64(rows[i].PeakRSSBytes-wbytes) / o.images())
	}
	if o.Profile {
		dir, err := os.MkdirTemp("", "tomebench-profile-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		for i, r := range ratios {
			if r == 0 {
				continue
			}
			j := job(r)
			j.Session.Profile = filepath.Join(dir, fmt.Sprintf("r%g", r))
			jr, err := runChild(ctx, argv, j, log)
			if err != nil {
				return nil, fmt.Errorf("bench: profiling ratio %g: %w", r, err)
			}
			fmt.Fprintf(log, "bench: ratio %g: ToMe nodes %.0f ms of %.0f ms kernel time\n", r, float64(jr.ToMeMicros)/1e3, float64(jr.NodeMicros)/1e3)
			if jr.NodeMicros > 0 {
				s := float64(jr.ToMeMicros) / float64(jr.NodeMicros)
				rows[i].ToMeShare = &s
			}
		}
	}
	if o.MemoryLimit > 0 {
		if err := limitSearch(ctx, o, argv, job, rows, res, log); err != nil {
			return nil, err
		}
	}
	res.Rows = rows
	res.Environment.LoadAfter = measure.LoadAverage()
	res.Environment.Seconds = time.Since(started).Seconds()
	return res, nil
}

// limitSearch finds, per ratio, the most images per call that run under
// o.MemoryLimit: doubling, then bisecting; each try is one child and one call.
// On CUDA the limit is enforced (gpu_mem_limit: a call that needs more fails). On the
// CPU it is measured: ONNX Runtime 1.29's CPU arena does not enforce max_mem for a
// session's allocations (an arena registered with max_mem 100 kB and used through
// session.use_env_allocators still ran the tiny UNet), so a call fits when the
// child's peak RSS, weights included as on a GPU, stays under the limit.
func limitSearch(ctx context.Context, o Options, argv []string, job func(float64) Job, rows []Row, res *Result, log io.Writer) error {
	maxImages := o.MaxImages
	if maxImages == 0 {
		maxImages = 64
	}
	cpu := o.Session.Provider == "" || o.Session.Provider == ort.ProviderCPU
	fits := func(r float64, images int) (bool, error) {
		j := job(r)
		j.Batch, j.Warmup, j.Calls = 2*images, 0, 1
		if !cpu {
			j.Session.GPUMemLimit = o.MemoryLimit
		}
		fmt.Fprintf(log, "bench: memory limit %.2f GB, ratio %g, %d images\n", float64(o.MemoryLimit)/1e9, r, images)
		jr, err := runChild(ctx, argv, j, log)
		var ce *ChildError
		if errors.As(err, &ce) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		// On the CPU the arena's max_mem does not hold (see limitSearch's doc): the
		// call fits when the child's peak RSS, weights included, stays under the limit.
		return !cpu || jr.PeakRSS <= o.MemoryLimit, nil
	}
	for i := range rows {
		lo, hi := 0, 0 // lo fits (0: none yet), hi does not (0: unknown)
		for n := 1; n <= maxImages; n *= 2 {
			ok, err := fits(rows[i].Ratio, n)
			if err != nil {
				return err
			}
			if !ok {
				hi = n
				break
			}
			lo = n
		}
		if hi == 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("ratio %g: %d images fit under the limit; the search stopped there", rows[i].Ratio, lo))
		}
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			ok, err := fits(rows[i].Ratio, mid)
			if err != nil {
				return err
			}
			if ok {
				lo = mid
			} else {
				hi = mid
			}
		}
		rows[i].LimitMaxImages = lo
		if lo > 0 {
			rows[i].LimitBytesPerImage = o.MemoryLimit / int64(lo)
		} else {
			res.Warnings = append(res.Warnings, fmt.Sprintf("ratio %g: not even one image fits under the limit", rows[i].Ratio))
		}
	}
	return nil
}

func environment(o Options) Environment {
	host, _ := os.Hostname()
	e := Environment{Hostname: host, OS: runtime.GOOS + "/" + runtime.GOARCH, CPU: measure.CPUModel(), Cores: runtime.NumCPU(),
		MemoryBytes: measure.MemTotal(), ORTVersion: ort.Version(), ORTLibrary: ort.LoadedLibrary(), GoVersion: runtime.Version(),
		Commit: commit(), LoadBefore: measure.LoadAverage(), Started: time.Now().UTC().Format(time.RFC3339)}
	if o.Session.Provider == ort.ProviderCUDA {
		e.GPU = measure.GPUName()
	}
	return e
}

// commit is the VCS revision stamped into this binary ("unknown" when none).
func commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "unknown", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

// sessionSummary describes the memory settings of so.
func sessionSummary(so ort.SessionOptions, a *ort.ArenaConfig) string {
	s := fmt.Sprintf("opt=%s arena=%t mem_pattern=%t", so.OptLevel, !so.NoCPUArena, !so.NoMemPattern)
	if a != nil {
		s += fmt.Sprintf(" env_arena(same_as_requested=%t)", a.SameAsRequested)
	}
	for k, v := range so.Config {
		s += fmt.Sprintf(" %s=%s", k, v)
	}
	return s
}

func methods() map[string]string {
	return map[string]string{
		"seconds":    "one UNet call per ratio per round, each in its own child process after one untimed warm-up call; ratios interleaved round by round (order rotated); median and min–max over rounds",
		"speedup":    "t(ratio 0) / t(ratio) within each round; median and min–max over rounds",
		"tome_share": "ONNX Runtime profiler, one extra child per ratio: kernel time of the nodes in ToMe's scope (.../tome/...) / kernel time of all nodes in the profiled call after a warm-up",
		"activation": "peak resident memory (VmHWM) of the child minus the weights' bytes, per image (batch / 2: classifier-free guidance runs each image twice); includes ONNX Runtime's buffers, arena slack and the runtime itself",
		"limit":      "the paper's GB/im: the memory limit / the most images per call that run under it (CUDA: enforced by gpu_mem_limit; CPU: the child's peak RSS, weights included, under the limit, since the CPU arena's max_mem does not hold)",
	}
}
