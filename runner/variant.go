package runner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/internal/ort"
	"github.com/tomebench/tomebench/sd/pipeline"
	"github.com/tomebench/tomebench/tome"
)

// A VariantJob is the work of one child process: the pending batches of one variant
// in one shard of the run in Dir.
type VariantJob struct {
	Dir      string // the run folder; plan.json is read from it
	ModelDir string // the model folder on this machine (see ResolveModel)
	Variant  string // variant ID
	Shard    Shard
	CacheDir string // tomebench's cache folder (converted models)
	Events   func(Event)
}

// ImagePath returns the path of image j of variant id, relative to the run folder and
// slash-separated.
func ImagePath(id string, j int) string { return path.Join("images", id, fmt.Sprintf("%05d.png", j)) }

// RunVariant generates the images of job's variant that its shard still lacks: it opens
// the model, prepares the variant's UNets, runs one untimed warm-up generation and then
// every pending batch, writing each PNG atomically before appending its record. At the
// end it appends a VariantRecord with the process's peak resident memory. A cancelled
// ctx stops it between denoising steps; the batch in flight is lost, nothing is
// half-written.
func RunVariant(ctx context.Context, job VariantJob) error {
	emit := job.Events
	if emit == nil {
		emit = func(Event) {}
	}
	started := time.Now()
	plan, err := readPlan(job.Dir)
	if err != nil {
		return err
	}
	v, ok := findVariant(plan, job.Variant)
	if !ok {
		return fmt.Errorf("runner: %s has no variant %s", filepath.Join(job.Dir, "plan.json"), job.Variant)
	}
	done, err := finishedImages(job.Dir, plan)
	if err != nil {
		return err
	}
	g := plan.Generation
	n := len(plan.Prompts.Prompts)
	var pending [][]int // prompt indices per pending batch
	total := 0
	for b := range Batches(n, g.BatchSize) {
		idx := BatchIndices(b, g.BatchSize, n)
		if !job.Shard.Owns(b) || allDone(done[v.ID], idx) {
			continue
		}
		pending = append(pending, idx)
		for _, j := range idx {
			if !done[v.ID][j] {
				total++
			}
		}
	}
	if len(pending) == 0 {
		emit(Event{Kind: EventSkipped, Variant: v.ID, Label: v.Label})
		return nil
	}
	emit(Event{Kind: EventVariant, Variant: v.ID, Label: v.Label, Total: total})

	// Prepare: open the models and the variant's UNets.
	if err := ort.Init(); err != nil {
		return err
	}
	p, err := pipeline.Open(job.ModelDir, pipeline.Options{
		Provider: plan.Model.Provider, Threads: threads(plan.Model.Threads), Precision: plan.Model.Precision,
		Attention: plan.Model.Attention, Scheduler: g.Scheduler, CacheDir: filepath.Join(job.CacheDir, "converted"),
	})
	if err != nil {
		return err
	}
	defer p.Close()
	unets, err := prepareUNets(ctx, p, v, g)
	if err != nil {
		return err
	}
	defer unets.close()
	prepared := time.Now()
	emit(Event{Kind: EventPrepared, Variant: v.ID, Label: v.Label, Seconds: prepared.Sub(started).Seconds()})
	baseRSS, _ := ort.CurrentRSS()

	// Warm-up: one short generation through every UNet, not timed or kept.
	warm := pipeline.Request{Prompts: promptsOf(plan, pending[0]), Height: g.Height, Width: g.Width,
		Steps: max(len(unets.distinct), 1), GuidanceScale: g.Guidance, Seed: g.Seed}
	if unets.apply != nil {
		warm.Steps = min(g.Steps, unets.warmSteps)
		err = unets.apply(&warm)
	} else {
		warm.UNetForStep = func(step int) *pipeline.UNet { return unets.distinct[step%len(unets.distinct)] }
	}
	if err != nil {
		return err
	}
	if _, err := p.Generate(ctx, warm); err != nil {
		return fmt.Errorf("runner: warm-up of %s: %w", v.Label, err)
	}
	warmSeconds := time.Since(prepared).Seconds()

	shardSuffix := job.Shard.Suffix()
	recPath := filepath.Join(job.Dir, "records", "images"+shardSuffix+".jsonl")
	made := 0
	for _, idx := range pending {
		req := pipeline.Request{Prompts: promptsOf(plan, idx), Height: g.Height, Width: g.Width,
			Steps: g.Steps, GuidanceScale: g.Guidance, Seed: g.Seed + uint64(idx[0])}
		if err := unets.request(&req); err != nil {
			return err
		}
		res, err := p.Generate(ctx, req)
		if err != nil {
			return fmt.Errorf("runner: %s, images %d–%d: %w", v.Label, idx[0], idx[len(idx)-1], err)
		}
		k := float64(len(idx))
		var recs []experiments.ImageRecord
		for i, j := range idx {
			var buf bytes.Buffer
			if err := png.Encode(&buf, res.Images[i]); err != nil {
				return fmt.Errorf("runner: encoding image %d of %s: %w", j, v.Label, err)
			}
			rel := ImagePath(v.ID, j)
			if err := writeFileAtomic(filepath.Join(job.Dir, filepath.FromSlash(rel)), buf.Bytes()); err != nil {
				return err
			}
			if done[v.ID][j] {
				continue // rewritten with the same bytes; its record exists
			}
			sum := sha256.Sum256(buf.Bytes())
			recs = append(recs, experiments.ImageRecord{
				Variant: v.ID, Index: j, Prompt: plan.Prompts.Prompts[j], Seed: g.Seed + uint64(j),
				File: rel, SHA256: hex.EncodeToString(sum[:]), Batch: j / g.BatchSize, BatchImages: len(idx),
				Seconds: res.Seconds / k, UNetSeconds: res.UNetSeconds / k, UNetCalls: res.UNetCalls,
				Shard: job.Shard.String(),
			})
		}
		if err := appendJSONLines(recPath, recs); err != nil {
			return err
		}
		made += len(recs)
		emit(Event{Kind: EventImages, Variant: v.ID, Label: v.Label, Done: made, Total: total, Seconds: res.Seconds})
	}

	peak, err := ort.PeakRSS()
	if err != nil {
		peak = -1
	}
	var device int64
	if plan.Model.Provider == "cuda" {
		if device, err = deviceMemory(os.Getpid()); err != nil {
			unets.warnings = append(unets.warnings, "device memory not recorded: "+err.Error())
		}
	}
	rec := experiments.VariantRecord{
		Variant: v.ID, Shard: job.Shard.String(), Images: made,
		PrepareSeconds: prepared.Sub(started).Seconds(), WarmupSeconds: warmSeconds,
		PeakRSSBytes: peak, BaseRSSBytes: baseRSS, DevicePeakBytes: device, BatchSize: g.BatchSize,
		PatchedBlocks: unets.patched, Blocks: unets.blocks, Warnings: unets.warnings,
		Started: started.UTC().Format(time.RFC3339), Finished: time.Now().UTC().Format(time.RFC3339),
	}
	return appendJSONLines(filepath.Join(job.Dir, "records", "variants"+shardSuffix+".jsonl"), []experiments.VariantRecord{rec})
}

// variantUNets are the UNets of one variant: one per distinct ratio of its schedule.
type variantUNets struct {
	perStep  []*pipeline.UNet // the UNet of each scheduler timestep
	distinct []*pipeline.UNet
	patched  int // most blocks patched by any of them
	blocks   int
	warnings []string
	// apply, when set, adapts each request (a pipeline-level method such as DeepCache
	// picks the UNet of every step itself); closers release what it holds.
	apply     func(req *pipeline.Request) error
	warmSteps int // steps of the warm-up with apply: enough to run every UNet
	closers   []func() error
}

// request sets req's UNets: the method's apply, or the UNet of each step.
func (u *variantUNets) request(req *pipeline.Request) error {
	if u.apply != nil {
		return u.apply(req)
	}
	req.UNetForStep = u.forStep
	return nil
}

func (u *variantUNets) forStep(step int) *pipeline.UNet {
	if step < len(u.perStep) {
		return u.perStep[step]
	}
	return u.perStep[len(u.perStep)-1]
}

func (u *variantUNets) close() {
	for _, x := range u.distinct {
		x.Close()
	}
	for _, c := range u.closers {
		c()
	}
}

// prepareUNets opens the UNet for every distinct ratio the variant uses over the
// scheduler's timesteps (tome.Patch once per ratio).
func prepareUNets(ctx context.Context, p *pipeline.Pipeline, v experiments.Variant, g experiments.GenerationPlan) (*variantUNets, error) {
	if v.Method != experiments.MethodNone && v.Method != experiments.MethodToMe {
		return prepareMethod(ctx, p, v, g)
	}
	sched, err := p.NewScheduler()
	if err != nil {
		return nil, err
	}
	sched.SetTimesteps(g.Steps)
	ratios := v.Ratios(len(sched.Timesteps()))
	u := &variantUNets{}
	byRatio := map[float64]*pipeline.UNet{}
	for _, r := range ratios {
		if x, ok := byRatio[r]; ok {
			u.perStep = append(u.perStep, x)
			continue
		}
		var topt *tome.Options
		if v.ToMe != nil && r > 0 {
			o := toTome(*v.ToMe)
			o.Ratio = r
			topt = &o
		}
		x, err := p.PrepareUNet(ctx, topt, g.Height, g.Width)
		if err != nil {
			u.close()
			return nil, err
		}
		if rep := x.Report; rep != nil {
			u.patched = max(u.patched, rep.Patched)
			u.blocks = len(rep.Blocks)
			for _, w := range rep.Warnings {
				var fixed *tome.FixedLatentWarning
				if errors.As(w, &fixed) {
					continue // each variant is patched for the run's size
				}
				if s := w.Error(); !slices.Contains(u.warnings, s) {
					u.warnings = append(u.warnings, s)
				}
			}
		}
		byRatio[r] = x
		u.distinct = append(u.distinct, x)
		u.perStep = append(u.perStep, x)
	}
	if v.ToMe != nil && u.patched == 0 {
		u.warnings = append(u.warnings, "ToMe patched no transformer block: this variant runs the unpatched UNet (check max_downsample and the image size)")
	}
	return u, nil
}

// toTome converts the plan's ToMe settings to tome.Options.
func toTome(s experiments.ToMeSettings) tome.Options {
	return tome.Options{Ratio: s.Ratio, MaxDownsample: s.MaxDownsample, SX: s.SX, SY: s.SY, UseRand: s.UseRand,
		MergeAttn: s.MergeAttn, MergeCrossAttn: s.MergeCrossAttn, MergeMLP: s.MergeMLP}
}

func promptsOf(plan *experiments.Plan, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = plan.Prompts.Prompts[j]
	}
	return out
}

func allDone(done map[int]bool, idx []int) bool {
	for _, j := range idx {
		if !done[j] {
			return false
		}
	}
	return true
}

func findVariant(plan *experiments.Plan, id string) (experiments.Variant, bool) {
	for _, v := range plan.Variants {
		if v.ID == id {
			return v, true
		}
	}
	return experiments.Variant{}, false
}

// readPlan reads the run folder's plan.json.
func readPlan(dir string) (*experiments.Plan, error) {
	path := filepath.Join(dir, "plan.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runner: %w", err)
	}
	var p experiments.Plan
	if err := decodeStrictJSON(b, &p); err != nil {
		return nil, fmt.Errorf("runner: %s: %w", path, err)
	}
	return &p, nil
}

// threads returns the intra-op thread count: the plan's, or, when it leaves it to ONNX
// Runtime (0), the CPUs Slurm gave the task ($SLURM_CPUS_PER_TASK): without core binding
// ONNX Runtime would otherwise start a thread per core of the whole node.
func threads(planned int) int {
	if planned > 0 {
		return planned
	}
	if n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK")); err == nil && n > 0 {
		return n
	}
	return 0
}
