package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Method names (Variant.Method).
const (
	MethodNone = "none" // the unpatched model: the baseline
	MethodToMe = "tome"
)

// Schedule kinds (Schedule.Kind).
const (
	ScheduleLinear   = "linear"
	ScheduleTwoPhase = "two-phase"
)

// tomesd.apply_patch's defaults.
var defaultToMe = ToMeSettings{Ratio: 0.5, MaxDownsample: 1, SX: 2, SY: 2, UseRand: true, MergeAttn: true}

// count is the number of variants the entry expands to.
func (se SweepEntry) count() int {
	switch se.Method {
	case MethodNone:
		return 1
	case MethodToDo, MethodAgentSD, MethodDeepCache:
		return otherCount(se)
	}
	n := 1
	for _, k := range []int{len(se.SX), len(se.SY), len(se.MaxDownsample), len(se.UseRand),
		len(se.MergeAttn), len(se.MergeCrossAttn), len(se.MergeMLP), len(se.Ratio) + len(se.Schedules)} {
		n *= k
		if n > maxVariantsInEntry {
			return n
		}
	}
	return n
}

// expandSweep fills c.Variants from c.Sweep in this order: sweep entries as listed;
// within an entry the Cartesian product of sx, sy, max_downsample, use_rand,
// merge_attn, merge_crossattn, merge_mlp and ratio (or schedule), each in the order of
// its list, with sx outermost and ratio (or schedule) innermost, so the variants of one
// option setting sit together in ratio order. A tome variant with ratio 0 and no
// schedule is the unpatched model and becomes method none; a variant equal to an
// earlier one (the same VariantKey) is dropped with a warning, keeping the first label
// and position.
func expandSweep(d *decoder, c *Config) {
	seen := map[string]int{} // key (without model identity) -> index in c.Variants
	total := 0
	add := func(entry int, v Variant) {
		if total++; total > maxVariants {
			d.fail(&yaml.Node{Line: c.Sweep[entry].Line}, fmt.Sprintf("sweep[%d]", entry), fmt.Sprintf("the sweep lists more than %d variants", maxVariants))
			return
		}
		v.Label = variantLabel(v)
		v.Warnings = variantWarnings(v)
		k := string(KeyOf(c.Model.plan(""),
			c.generationPlan(), v).canonical())
		if i, ok := seen[k]; ok {
			c.Warnings = append(c.Warnings, fmt.Sprintf("sweep[%d]: %q is already in the sweep (same settings): run once",
				entry, c.Variants[i].Label))
			return
		}
		seen[k] = len(c.Variants)
		c.Variants = append(c.Variants, v)
	}
	for i, se := range c.Sweep {
		if d.err != nil {
			return
		}
		if se.Method == MethodNone {
			add(i, Variant{Method: MethodNone})
			continue
		}
		if se.Method != MethodToMe {
			for _, v := range expandOther(se) {
				add(i, v)
			}
			continue
		}
		for _, sx := range se.SX {
			for _, sy := range se.SY {
				for _, md := range se.MaxDownsample {
					for _, ur := range se.UseRand {
						for _, ma := range se.MergeAttn {
							for _, mx := range se.MergeCrossAttn {
								for _, mm := range se.MergeMLP {
									t := ToMeSettings{MaxDownsample: md, SX: sx, SY: sy, UseRand: ur,
										MergeAttn: ma, MergeCrossAttn: mx, MergeMLP: mm}
									for _, r := range se.Ratio {
										if r == 0 {
											c.Warnings = append(c.Warnings, fmt.Sprintf(
												"sweep[%d]: ratio 0 is the unpatched model: it runs as method none", i))
											add(i, Variant{Method: MethodNone})
											continue
										}
										tt := t
										tt.Ratio = r
										add(i, Variant{Method: MethodToMe, ToMe: &tt})
									}
									for _, s := range se.Schedules {
										tt, ss := t, s
										tt.Ratio = s.From
										add(i, Variant{Method: MethodToMe, ToMe: &tt, Schedule: &ss})
									}
								}
							}
						}
					}
				}
			}
		}
	}
	// Generated labels are unique when the keys are, but say so plainly if not.
	labels := map[string]bool{}
	for _, v := range c.Variants {
		if labels[v.Label] {
			d.fail(nil, "sweep", fmt.Sprintf("two variants share the label %q", v.Label))
			return
		}
		labels[v.Label] = true
	}
}

func fmtRatio(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// variantLabel names a variant: "none"; "tome r=0.5"; "tome 0.6→0.4 (linear)" or
// "tome 0.6@20→0.3" for schedules; then the options that differ from tomesd's
// defaults: " sx=4 sy=2", " md=2", " fixed" (use_rand false), " +xattn", " +mlp",
// " -attn".
func variantLabel(v Variant) string {
	if l, ok := otherLabel(v); ok {
		return l
	}
	if v.Method == MethodNone || v.ToMe == nil {
		return MethodNone
	}
	var b strings.Builder
	b.WriteString("tome ")
	switch s := v.Schedule; {
	case s == nil:
		b.WriteString("r=" + fmtRatio(v.ToMe.Ratio))
	case s.Kind == ScheduleLinear:
		fmt.Fprintf(&b, "%s→%s (linear", fmtRatio(s.From), fmtRatio(s.To))
		if s.Quantum != 0.05 {
			fmt.Fprintf(&b, ", q=%s", fmtRatio(s.Quantum))
		}
		b.WriteString(")")
	default:
		fmt.Fprintf(&b, "%s@%d→%s", fmtRatio(s.From), s.Switch, fmtRatio(s.To))
	}
	t := v.ToMe
	if t.SX != defaultToMe.SX || t.SY != defaultToMe.SY {
		fmt.Fprintf(&b, " sx=%d sy=%d", t.SX, t.SY)
	}
	if t.MaxDownsample != defaultToMe.MaxDownsample {
		fmt.Fprintf(&b, " md=%d", t.MaxDownsample)
	}
	if !t.UseRand {
		b.WriteString(" fixed")
	}
	if t.MergeCrossAttn {
		b.WriteString(" +xattn")
	}
	if t.MergeMLP {
		b.WriteString(" +mlp")
	}
	if !t.MergeAttn {
		b.WriteString(" -attn")
	}
	return b.String()
}

// variantWarnings lists the settings of v that have no effect.
func variantWarnings(v Variant) []string {
	if v.ToMe == nil {
		return nil
	}
	var w []string
	t := v.ToMe
	hi := t.Ratio
	if v.Schedule != nil {
		hi = math.Max(v.Schedule.From, v.Schedule.To)
	}
	// With sx*sy cells one token in sx*sy is a dst; tomesd merges at most the src
	// tokens, r = min(int(N*ratio), Ns), so a larger ratio merges no more.
	if limit := 1 - 1/float64(t.SX*t.SY); hi > limit+1e-12 {
		w = append(w, fmt.Sprintf("ratio %s exceeds 1-1/(sx*sy) = %s: tomesd merges at most the src tokens, so it acts as %s",
			fmtRatio(hi), strconv.FormatFloat(limit, 'g', 4, 64), strconv.FormatFloat(limit, 'g', 4, 64)))
	}
	if !t.MergeAttn && !t.MergeCrossAttn && !t.MergeMLP {
		w = append(w, "merge_attn, merge_crossattn and merge_mlp are all false: nothing is merged, the images are the baseline's")
	}
	return w
}

func findLabel(vs []Variant, label string) int {
	for i, v := range vs {
		if v.Label == label {
			return i
		}
	}
	return -1
}

func labelList(vs []Variant) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v.Label)
	}
	return strings.Join(q, ", ")
}

// RatioAt is the merge ratio at step (0-based) of a run of steps steps (the scheduler's
// UNet-call count; PNDM runs steps+1 timesteps for steps inference steps, and the runner
// passes what the scheduler runs). Linear: From + (To-From)*step/(steps-1), rounded to
// the nearest multiple of Quantum (From when steps is 1). Two-phase: From before step
// Switch, To from it on. Steps outside [0, steps) are clamped.
func (s *Schedule) RatioAt(step, steps int) float64 {
	step = max(0, min(step, steps-1))
	if s.Kind == ScheduleTwoPhase {
		if step < s.Switch {
			return s.From
		}
		return s.To
	}
	if steps <= 1 {
		return s.From
	}
	x := s.From + (s.To-s.From)*float64(step)/float64(steps-1)
	if s.Quantum > 0 {
		x = math.Round(x/s.Quantum) * s.Quantum
		// 12*0.05 is 0.6000000000000001 in binary; keep 12 significant digits.
		x, _ = strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	}
	return max(0, min(x, 1))
}

// Ratios is v's merge ratio at every one of steps steps (0 for method none; the
// constant ratio repeated when there is no schedule).
func (v Variant) Ratios(steps int) []float64 {
	r := make([]float64, steps)
	for i := range r {
		switch {
		case v.Method != MethodToMe || v.ToMe == nil:
		case v.Schedule != nil:
			r[i] = v.Schedule.RatioAt(i, steps)
		default:
			r[i] = v.ToMe.Ratio
		}
	}
	return r
}

// A VariantKey is everything that changes a variant's images, and nothing else; its
// hash is the variant's ID, so a rerun or an extended config finds the images already
// made, and a change that alters images gets a fresh folder.
//
// In: the model's content identity (not its path: a moved or re-downloaded model keeps
// its images), precision and provider (fp16 and GPU kernels change pixels), every
// GenerationPlan field (height, width, steps, scheduler class, guidance, batch size,
// which also fixes the ToMe partition shared by a batch, and the base seed), the method,
// its ToMe settings (nil for none) and its schedule.
//
// Out: the prompts (images are keyed by prompt index, and the runner compares the
// prompt text of every finished image, so more prompts extend a variant instead of
// renaming it), threads (a speed setting), the run name, out folder, label, warnings
// and the fid section (metrics, not images).
type VariantKey struct {
	Model     string `json:"model"`
	Precision string `json:"precision"`
	// Attention is set for fused attention only (ModelPlan.Attention), so earlier
	// IDs, all of plain attention, stay as they were.
	Attention string        `json:"attention,omitempty"`
	Provider  string        `json:"provider"`
	Height    int           `json:"height"`
	Width     int           `json:"width"`
	Steps     int           `json:"steps"`
	Scheduler string        `json:"scheduler"`
	Guidance  float64       `json:"guidance"`
	BatchSize int           `json:"batch_size"`
	Seed      uint64        `json:"seed"`
	Method    string        `json:"method"`
	ToMe      *ToMeSettings `json:"tome"`
	Schedule  *Schedule     `json:"schedule"`
	// The other methods' settings: omitted when nil, so that adding them kept every
	// earlier none/tome ID.
	ToDo      *ToDoSettings      `json:"todo,omitempty"`
	AgentSD   *AgentSDSettings   `json:"agentsd,omitempty"`
	DeepCache *DeepCacheSettings `json:"deepcache,omitempty"`
}

// KeyOf is the key of v run with model m and generation settings g.
func KeyOf(m ModelPlan, g GenerationPlan, v Variant) VariantKey {
	k := VariantKey{Model: m.Identity, Precision: m.Precision, Attention: m.Attention, Provider: m.Provider,
		Height: g.Height, Width: g.Width, Steps: g.Steps, Scheduler: g.Scheduler,
		Guidance: g.Guidance, BatchSize: g.BatchSize, Seed: g.Seed, Method: v.Method}
	switch v.Method {
	case MethodToMe:
		k.ToMe, k.Schedule = v.ToMe, v.Schedule
	case MethodToDo:
		k.ToDo = v.ToDo
	case MethodAgentSD:
		k.AgentSD = v.AgentSD
	case MethodDeepCache:
		k.DeepCache = v.DeepCache
	}
	return k
}

// canonical is k as JSON: fields in declaration order, floats in Go's shortest form.
func (k VariantKey) canonical() []byte {
	b, err := json.Marshal(k)
	if err != nil {
		panic("experiments: " + err.Error()) // plain data: cannot fail
	}
	return b
}

// ID is the first 12 hex digits of the SHA-256 of k's canonical JSON.
func (k VariantKey) ID() string {
	h := sha256.Sum256(k.canonical())
	return hex.EncodeToString(h[:])[:12]
}

func (c *Config) generationPlan() GenerationPlan {
	g := c.Generation
	return GenerationPlan{Height: g.Height, Width: g.Width, Steps: g.Steps, Scheduler: g.Scheduler,
		Guidance: g.Guidance, BatchSize: g.BatchSize, Seed: g.Seed}
}

// Expand turns the config into a Plan for the model whose content identity is
// modelIdentity (ModelIdentity's hash, or the runner's hash of a synthesised model):
// the prompts listed by image index (a prompt file is read now), the variants of
// c.Variants in their order (see expandSweep) with their IDs (VariantKey), and the
// baseline's ID. ConfigFile is c.File.
func (c *Config) Expand(modelIdentity string) (*Plan, error) {
	if modelIdentity == "" {
		return nil, fmt.Errorf("experiments: Expand %s: empty model identity", c.File)
	}
	prompts, err := c.PromptTexts()
	if err != nil {
		return nil, err
	}
	p := &Plan{
		Format:     FormatVersion,
		Name:       c.Name,
		ConfigFile: c.File,
		Model:      c.Model.plan(modelIdentity),
		Generation: c.generationPlan(),
		Prompts:    PromptsPlan{Prompts: prompts},
	}
	if ic := c.Prompts.ImageNet; ic != nil {
		p.Prompts.Source, p.Prompts.Template, p.Prompts.PerClass, p.Prompts.Classes = "imagenet", ic.Template, ic.PerClass, ic.Classes
	} else {
		p.Prompts.Source = c.Prompts.File
	}
	if f := c.FID; f != nil {
		p.FID = &FIDPlan{Reference: f.Reference, Weights: f.Weights, Dims: f.Dims, BatchSize: f.BatchSize,
			Method: f.Method, KID: f.KID, Interval: f.Interval, Reps: f.Reps}
	}
	if cl := c.CLIP; cl != nil {
		p.CLIP = &CLIPPlan{Model: cl.Model, BatchSize: cl.BatchSize}
	}
	ids := map[string]string{}
	for _, v := range c.Variants {
		v = cloneVariant(v)
		v.ID = KeyOf(p.Model, p.Generation, v).ID()
		if other, ok := ids[v.ID]; ok {
			return nil, fmt.Errorf("experiments: variants %q and %q have the same ID %s", other, v.Label, v.ID)
		}
		ids[v.ID] = v.Label
		if v.Label == c.Baseline {
			p.Baseline = v.ID
		}
		p.Variants = append(p.Variants, v)
	}
	return p, nil
}

func cloneVariant(v Variant) Variant {
	if v.ToMe != nil {
		t := *v.ToMe
		v.ToMe = &t
	}
	if v.Schedule != nil {
		s := *v.Schedule
		v.Schedule = &s
	}
	if v.ToDo != nil {
		t := *v.ToDo
		v.ToDo = &t
	}
	if v.AgentSD != nil {
		a := *v.AgentSD
		v.AgentSD = &a
	}
	if v.DeepCache != nil {
		d := *v.DeepCache
		v.DeepCache = &d
	}
	v.Warnings = append([]string(nil), v.Warnings...)
	return v
}

// Hash is the hex SHA-256 of p's JSON without ConfigFile (the same plan given by
// another path hashes the same); merge refuses shards whose plans differ.
func (p *Plan) Hash() string {
	q := *p
	q.ConfigFile = ""
	b, err := json.Marshal(&q)
	if err != nil {
		panic("experiments: " + err.Error())
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Compatible reports whether p may run into a folder whose plan.json holds old. Adding
// variants, prompts (a larger per_class or repeat) or an fid section is fine, and so is
// dropping variants; the variants both plans share keep their IDs by construction.
// What would make finished images wrong is an error: another model identity,
// precision, provider or generation setting (every ID would change, and the folder
// would mix two experiments), or a changed prompt at an index both plans have.
func (p *Plan) Compatible(old *Plan) error {
	const fix = "; use a new --out"
	if old.Format != p.Format {
		return fmt.Errorf("experiments: the run folder has format %q, this tomebench writes %q%s", old.Format, p.Format, fix)
	}
	if old.Model.Identity != p.Model.Identity {
		return fmt.Errorf("experiments: the model changed (identity %.12s of %s, now %.12s of %s)%s",
			old.Model.Identity, old.Model.Path, p.Model.Identity, p.Model.Path, fix)
	}
	if old.Model.Precision != p.Model.Precision || old.Model.Provider != p.Model.Provider {
		return fmt.Errorf("experiments: precision/provider changed (%s/%s, now %s/%s)%s",
			old.Model.Precision, old.Model.Provider, p.Model.Precision, p.Model.Provider, fix)
	}
	if old.Model.Attention != p.Model.Attention {
		return fmt.Errorf("experiments: attention changed (%s, now %s)%s",
			attentionName(old.Model.Attention), attentionName(p.Model.Attention), fix)
	}
	if old.Generation != p.Generation {
		return fmt.Errorf("experiments: the generation settings changed (%+v, now %+v)%s", old.Generation, p.Generation, fix)
	}
	n := min(len(old.Prompts.Prompts), len(p.Prompts.Prompts))
	for j := 0; j < n; j++ {
		if old.Prompts.Prompts[j] != p.Prompts.Prompts[j] {
			return fmt.Errorf("experiments: the prompts changed: image %d was %q, now %q; finished images would not match their prompts%s",
				j, old.Prompts.Prompts[j], p.Prompts.Prompts[j], fix)
		}
	}
	return nil
}

// plan is m as the plan records it, with the model's content identity; plain
// attention is recorded as "" (ModelPlan.Attention).
func (m ModelConfig) plan(identity string) ModelPlan {
	p := ModelPlan{Path: m.Ref(), Identity: identity, Precision: m.Precision, Provider: m.Provider, Threads: m.Threads}
	if m.Attention == AttentionFused {
		p.Attention = AttentionFused
	}
	return p
}

// attentionName names a ModelPlan.Attention: "" is plain.
func attentionName(a string) string {
	if a == "" {
		return AttentionPlain
	}
	return a
}
