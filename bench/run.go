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
	"github.com/tomebench/tomebench/methods/agentsd"
	"github.com/tomebench/tomebench/methods/todo"
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
	// ToDoFactors and AgentSD are the other methods' rows (Options.ToDoFactors,
	// Options.AgentSD).
	ToDoFactors []float64         `json:"todo_factors,omitempty"`
	AgentSD     []agentsd.Options `json:"agentsd,omitempty"`
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

// A Row is one merge ratio's measurements, or one other method's.
type Row struct {
	// Method is MethodNone (the unpatched reference, ratio 0), MethodToMe,
	// MethodToDo or MethodAgentSD; Label names the row ("none", "tome r=0.5",
	// "todo f=2", "agentsd r=0.4 a=0.95 s=4").
	Method string `json:"method"`
	Label  string `json:"label"`
	// Ratio is ToMe's merge ratio (AgentSD's merge ratio on its rows; 0 on ToDo's).
	Ratio float64 `json:"ratio"`
	// ToDo and AgentSD are the options of a ToDo or AgentSD row.
	ToDo          *todo.Options    `json:"todo,omitempty"`
	AgentSD       *agentsd.Options `json:"agentsd,omitempty"`
	PatchedBlocks int              `json:"patched_blocks"`
	Blocks        int              `json:"blocks"`
	// Seconds summarises the timed calls (one per round); SecondsAll lists them by round.
	Seconds    measure.Summary `json:"seconds"`
	SecondsAll []float64       `json:"seconds_all"`
	// Speedup summarises t(ratio 0) / t(row) taken within each round.
	Speedup measure.Summary `json:"speedup"`
	// ToMeShare is the method's nodes' share of the patched call's kernel time
	// (profiled; IsMethodNode: ToMe's nodes on ToMe rows, ToDo's or AgentSD's on
	// theirs; absent for ratio 0 or without profiling).
	ToMeShare *float64 `json:"tome_share,omitempty"`
	// LayerShare is, on profiled rows of a patched model, the share of the
	// unpatched call's kernel time spent in the layers the row's method changes
	// (JobResult.ChangedLayers: attn1 of the patched blocks by default); Ceiling =
	// 1 / (1 − LayerShare) is the speed-up the row would reach if those layers
	// cost nothing — Amdahl's bound on what the method can buy on this machine.
	LayerShare *float64 `json:"layer_share,omitempty"`
	Ceiling    *float64 `json:"ceiling,omitempty"`
	// PeakRSSBytes is the median peak resident memory of the children of this ratio.
	PeakRSSBytes int64 `json:"peak_rss_bytes"`
	// OpenedRSSBytes is the median resident memory of those children right after
	// the session opened, before any call: the weights as ONNX Runtime holds them
	// (prepacked copies included) and the runtime itself.
	OpenedRSSBytes int64 `json:"opened_rss_bytes"`
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
		ToMe: fmt.Sprintf("%+v", o.ToMe), Ratios: o.ratios(), ToDoFactors: o.ToDoFactors, AgentSD: o.AgentSD}
	vs := o.variants()
	job := func(v variant) Job {
		t := o.ToMe
		t.Ratio = 0
		if v.method == MethodToMe {
			t.Ratio = v.ratio
		}
		return Job{Model: path, ToMe: t, ToDo: v.todo, AgentSD: v.agentsd, Batch: o.Batch, Latent: o.Size / 8, Session: o.Session, Arena: o.Arena,
			Warmup: 1, Calls: 1, Seed: o.Seed}
	}
	rows := make([]Row, len(vs))
	peaks := make([][]float64, len(vs))
	opened := make([][]float64, len(vs))
	for i, v := range vs {
		rows[i].Method, rows[i].Label, rows[i].Ratio, rows[i].ToDo, rows[i].AgentSD = v.method, v.label, v.ratio, v.todo, v.agentsd
	}
	for round := 0; round < o.Repeat; round++ {
		for k := range vs {
			i := (k + round) % len(vs) // rotated order
			jr, err := runChild(ctx, argv, job(vs[i]), log)
			if err != nil {
				return nil, fmt.Errorf("bench: %s: %w", vs[i].what(), err)
			}
			fmt.Fprintf(log, "bench: round %d/%d, %s: %.3f s/call, peak RSS %.2f GB (load %s)\n",
				round+1, o.Repeat, vs[i].what(), jr.Seconds[0], float64(jr.PeakRSS)/1e9, loads(measure.LoadAverage()))
			rows[i].SecondsAll = append(rows[i].SecondsAll, jr.Seconds[0])
			rows[i].PatchedBlocks, rows[i].Blocks = jr.Patched, jr.Blocks
			peaks[i] = append(peaks[i], float64(jr.PeakRSS))
			opened[i] = append(opened[i], float64(jr.RSSOpened))
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
		rows[i].OpenedRSSBytes = int64(measure.Summarize(opened[i]).Median)
		rows[i].ActivationBytesPerImage = int64(float64(rows[i].PeakRSSBytes-wbytes) / o.images())
	}
	if o.Profile {
		dir, err := os.MkdirTemp("", "tomebench-profile-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		var ref *JobResult // the unpatched call's profile (vs[0])
		for i, v := range vs {
			j := job(v)
			j.Session.Profile = filepath.Join(dir, fmt.Sprintf("row%d", i))
			jr, err := runChild(ctx, argv, j, log)
			if err != nil {
				return nil, fmt.Errorf("bench: profiling %s: %w", v.what(), err)
			}
			if v.method == MethodNone {
				ref = jr
				continue
			}
			fmt.Fprintf(log, "bench: %s: %s nodes %.0f ms of %.0f ms kernel time\n", v.what(), methodName(v.method), float64(jr.ToMeMicros)/1e3, float64(jr.NodeMicros)/1e3)
			if jr.NodeMicros > 0 {
				s := float64(jr.ToMeMicros) / float64(jr.NodeMicros)
				rows[i].ToMeShare = &s
			}
			if ref != nil && ref.NodeMicros > 0 && len(jr.ChangedLayers) > 0 {
				var changed int64
				for _, l := range jr.ChangedLayers {
					changed += ref.LayerMicros[l]
				}
				s := float64(changed) / float64(ref.NodeMicros)
				c := 1 / (1 - s)
				rows[i].LayerShare, rows[i].Ceiling = &s, &c
			}
		}
	}
	if o.MemoryLimit > 0 {
		if err := limitSearch(ctx, o, argv, job, vs, rows, res, log); err != nil {
			return nil, err
		}
	}
	res.Rows = rows
	res.Environment.LoadAfter = measure.LoadAverage()
	res.Environment.Seconds = time.Since(started).Seconds()
	return res, nil
}

// methodName is the name of a method in log lines.
func methodName(method string) string {
	switch method {
	case MethodToMe:
		return "ToMe"
	case MethodToDo:
		return "ToDo"
	case MethodAgentSD:
		return "AgentSD"
	}
	return method
}

// limitSearch finds, per row, the most images per call that run under
// o.MemoryLimit: doubling, then bisecting; each try is one child and one call.
// On CUDA the limit is enforced (gpu_mem_limit: a call that needs more fails). On the
// CPU it is measured: ONNX Runtime 1.29's CPU arena does not enforce max_mem for a
// session's allocations (an arena registered with max_mem 100 kB and used through
// session.use_env_allocators still ran the tiny UNet), so a call fits when the
// child's peak RSS, weights included as on a GPU, stays under the limit.
func limitSearch(ctx context.Context, o Options, argv []string, job func(variant) Job, vs []variant, rows []Row, res *Result, log io.Writer) error {
	maxImages := o.MaxImages
	if maxImages == 0 {
		maxImages = 64
	}
	cpu := o.Session.Provider == "" || o.Session.Provider == ort.ProviderCPU
	fits := func(v variant, images int) (bool, error) {
		j := job(v)
		j.Batch, j.Warmup, j.Calls = 2*images, 0, 1
		if !cpu {
			j.Session.GPUMemLimit = o.MemoryLimit
		}
		fmt.Fprintf(log, "bench: memory limit %.2f GB, %s, %d images\n", float64(o.MemoryLimit)/1e9, v.what(), images)
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
		ok := !cpu || jr.PeakRSS <= o.MemoryLimit
		fmt.Fprintf(log, "bench:   peak RSS %.2f GB: fits %t\n", float64(jr.PeakRSS)/1e9, ok)
		return ok, nil
	}
	for i := range rows {
		lo, hi := 0, 0 // lo fits (0: none yet), hi does not (0: unknown)
		for n := 1; n <= maxImages; n *= 2 {
			ok, err := fits(vs[i], n)
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
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d images fit under the limit; the search stopped there", vs[i].what(), lo))
		}
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			ok, err := fits(vs[i], mid)
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
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: not even one image fits under the limit", vs[i].what()))
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
	s := so.MemorySettings()
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
		"seconds":    "one UNet call per row (ratio, or ToDo/AgentSD setting) per round, each in its own child process after one untimed warm-up call; rows interleaved round by round (order rotated); median and min–max over rounds",
		"speedup":    "t(ratio 0) / t(row) within each round; median and min–max over rounds",
		"tome_share": "ONNX Runtime profiler, one extra child per row: kernel time of the method's nodes (ToMe: .../tome/...; ToDo: .../attn1/todo/...; AgentSD: .../tome/... and .../attn1/agent/...) / kernel time of all nodes in the profiled call after a warm-up",
		"activation": "peak resident memory (VmHWM) of the child minus the weights' bytes, per image (batch / 2: classifier-free guidance runs each image twice); includes ONNX Runtime's buffers, arena slack and the runtime itself",
		"limit":      "the paper's GB/im: the memory limit / the most images per call that run under it (CUDA: enforced by gpu_mem_limit; CPU: the child's peak RSS, weights included, under the limit, since the CPU arena's max_mem does not hold)",
	}
}
