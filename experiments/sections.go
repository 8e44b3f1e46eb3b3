// The sections of a run config: one decoder method per YAML section.

package experiments

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

func (d *decoder) config(doc *yaml.Node) *Config {
	c := &Config{File: d.file}
	d.lines = map[string]int{}
	defer func() { c.lines = d.lines }()
	m := d.mapping(doc, "", "name", "out", "model", "generation", "prompts", "sweep", "baseline", "fid", "clip")
	if d.err != nil {
		return c
	}
	if n := m.get("name"); n == nil {
		d.fail(doc, "name", "required (a run name of letters, digits, '.', '_' or '-')")
	} else if c.Name = d.str(n, "name"); d.err == nil && !namePattern.MatchString(c.Name) {
		d.fail(n, "name", fmt.Sprintf("%q: use only letters, digits, '.', '_' and '-'", c.Name))
	}
	c.Out = "runs/" + c.Name
	if n := m.get("out"); n != nil {
		if c.Out = d.str(n, "out"); d.err == nil && c.Out == "" {
			d.fail(n, "out", "empty; remove the key for runs/<name>")
		}
	}
	if n := m.get("model"); n == nil {
		d.fail(doc, "model", "required (path or synth)")
	} else {
		c.Model = d.model(n)
	}
	c.Generation = d.generation(m.get("generation"))
	d.steps = c.Generation.Steps
	if n := m.get("prompts"); n == nil {
		d.fail(doc, "prompts", "required (imagenet or file)")
	} else {
		c.Prompts = d.prompts(n)
	}
	if n := m.get("sweep"); n == nil {
		d.fail(doc, "sweep", "required: a list of variants, e.g. [{method: none}, {method: tome, ratio: 0.5}]")
	} else {
		c.Sweep = d.sweep(n)
	}
	if n := m.get("fid"); n != nil {
		c.FID = d.fid(n)
	}
	if n := m.get("clip"); n != nil {
		c.CLIP = d.clip(n)
	}
	if d.err != nil {
		return c
	}
	expandSweep(d, c)
	if d.err != nil {
		return c
	}
	// The baseline: a variant label, or the none variant by default.
	if n := m.get("baseline"); n != nil {
		c.Baseline = d.str(n, "baseline")
		if d.err == nil && findLabel(c.Variants, c.Baseline) < 0 {
			d.fail(n, "baseline", fmt.Sprintf("%q is not a variant label (labels: %s)", c.Baseline, labelList(c.Variants)))
		}
	} else {
		for _, v := range c.Variants {
			if v.Method == MethodNone {
				c.Baseline = v.Label
				break
			}
		}
	}
	if c.FID != nil && c.FID.Reference == "baseline" && c.Baseline == "" && d.err == nil {
		d.fail(m.get("fid"), "fid.reference", `"baseline" needs a baseline variant: add {method: none} to the sweep or set baseline`)
	}
	return c
}

func (d *decoder) model(n *yaml.Node) ModelConfig {
	mc := ModelConfig{Precision: "fp32", Attention: AttentionPlain, Provider: "cpu"}
	m := d.mapping(n, "model", "path", "synth", "precision", "attention", "provider", "threads")
	if d.err != nil {
		return mc
	}
	p, s := m.get("path"), m.get("synth")
	switch {
	case p != nil && s != nil:
		d.fail(s, "model.synth", "path and synth are exclusive: give one")
	case p == nil && s == nil:
		d.fail(n, "model", "give path (a model folder or Hugging Face repo id) or synth ({arch: tiny, seed: 1})")
	case p != nil:
		if mc.Path = d.str(p, "model.path"); d.err == nil && mc.Path == "" {
			d.fail(p, "model.path", "empty")
		}
	default:
		sm := d.mapping(s, "model.synth", "arch", "seed")
		if d.err != nil {
			return mc
		}
		mc.Synth = &SynthConfig{}
		if a := sm.get("arch"); a == nil {
			d.fail(s, "model.synth.arch", "required (tiny, sd15, sd2, tiny-sdxl or sdxl)")
		} else {
			mc.Synth.Arch = d.oneOf(a, "model.synth.arch", "tiny", "sd15", "sd2", "tiny-sdxl", "sdxl")
		}
		if v := sm.get("seed"); v != nil {
			mc.Synth.Seed = d.uint(v, "model.synth.seed")
		}
	}
	if v := m.get("precision"); v != nil {
		mc.Precision = d.oneOf(v, "model.precision", "fp32", "fp16")
	}
	if v := m.get("attention"); v != nil {
		mc.Attention = d.oneOf(v, "model.attention", AttentionPlain, AttentionFused)
	}
	if v := m.get("provider"); v != nil {
		mc.Provider = d.oneOf(v, "model.provider", "cpu", "cuda")
	}
	if v := m.get("threads"); v != nil {
		mc.Threads = d.intIn(v, "model.threads", 0, 1<<16)
	}
	return mc
}

func (d *decoder) generation(n *yaml.Node) GenerationConfig {
	g := GenerationConfig{Height: 512, Width: 512, Steps: 50, Scheduler: "pndm", Guidance: 7.5, BatchSize: 1}
	if n == nil {
		return g
	}
	m := d.mapping(n, "generation", "size", "height", "width", "steps", "scheduler", "guidance", "batch_size", "seed")
	if d.err != nil {
		return g
	}
	side := func(v *yaml.Node, key string) int {
		x := d.intIn(v, key, 8, 1<<16)
		if d.err == nil && x%8 != 0 {
			d.fail(v, key, fmt.Sprintf("%d is not a multiple of 8 (the VAE downsamples by 8)", x))
		}
		return x
	}
	h, w, s := m.get("height"), m.get("width"), m.get("size")
	switch {
	case s != nil && (h != nil || w != nil):
		k, kn := "height", h
		if h == nil {
			k, kn = "width", w
		}
		d.fail(kn, "generation."+k, "size and height/width are exclusive: give size, or height and width")
	case s != nil:
		g.Height = side(s, "generation.size")
		g.Width = g.Height
	case h != nil && w != nil:
		g.Height = side(h, "generation.height")
		g.Width = side(w, "generation.width")
	case h != nil || w != nil:
		d.fail(n, "generation", "give both height and width (or size)")
	}
	if v := m.get("steps"); v != nil {
		g.Steps = d.intIn(v, "generation.steps", 1, 1000)
	}
	if v := m.get("scheduler"); v != nil {
		if g.Scheduler = d.oneOf(v, "generation.scheduler", "pndm", "plms", "ddim", "euler"); g.Scheduler == "plms" {
			g.Scheduler = "pndm"
		}
	}
	if v := m.get("guidance"); v != nil {
		g.Guidance = d.floatIn(v, "generation.guidance", 0, 1000)
	}
	if v := m.get("batch_size"); v != nil {
		g.BatchSize = d.intIn(v, "generation.batch_size", 1, 1<<16)
	}
	if v := m.get("seed"); v != nil {
		g.Seed = d.uint(v, "generation.seed")
	}
	return g
}

func (d *decoder) prompts(n *yaml.Node) PromptsConfig {
	pc := PromptsConfig{Repeat: 1}
	m := d.mapping(n, "prompts", "imagenet", "file", "repeat")
	if d.err != nil {
		return pc
	}
	in, f := m.get("imagenet"), m.get("file")
	switch {
	case in != nil && f != nil:
		d.fail(f, "prompts.file", "imagenet and file are exclusive: give one")
		return pc
	case in == nil && f == nil:
		d.fail(n, "prompts", "give imagenet ({per_class: 2}) or file (one prompt per line)")
		return pc
	case f != nil:
		if pc.File = d.str(f, "prompts.file"); d.err == nil && pc.File == "" {
			d.fail(f, "prompts.file", "empty")
		}
		if v := m.get("repeat"); v != nil {
			pc.Repeat = d.intIn(v, "prompts.repeat", 1, maxPerClass)
		}
		return pc
	}
	if v := m.get("repeat"); v != nil {
		d.fail(v, "prompts.repeat", "applies to file prompts; for imagenet use imagenet.per_class")
		return pc
	}
	pc.Repeat = 0
	ip := &ImageNetConfig{Template: DefaultTemplate, PerClass: 1, Classes: len(imagenetClasses)}
	pc.ImageNet = ip
	im := d.mapping(in, "prompts.imagenet", "template", "per_class", "classes")
	if d.err != nil {
		return pc
	}
	if v := im.get("template"); v != nil {
		ip.Template = d.str(v, "prompts.imagenet.template")
		if d.err == nil && strings.Count(ip.Template, "{}") != 1 {
			d.fail(v, "prompts.imagenet.template", fmt.Sprintf("%q must contain {} (the class name) exactly once", ip.Template))
		}
	}
	if v := im.get("per_class"); v != nil {
		ip.PerClass = d.intIn(v, "prompts.imagenet.per_class", 1, maxPerClass)
	}
	if v := im.get("classes"); v != nil {
		ip.Classes = d.intIn(v, "prompts.imagenet.classes", 1, len(imagenetClasses))
	}
	return pc
}

func (d *decoder) fid(n *yaml.Node) *FIDConfig {
	fc := &FIDConfig{Dims: 2048, BatchSize: 50, Method: "exact"}
	m := d.mapping(n, "fid", "reference", "weights", "dims", "batch_size", "method", "kid", "interval")
	if d.err != nil {
		return fc
	}
	if v := m.get("reference"); v == nil {
		d.fail(n, "fid.reference", `required: an image folder, a .npz of statistics, or "baseline"`)
	} else if fc.Reference = d.str(v, "fid.reference"); d.err == nil && fc.Reference == "" {
		d.fail(v, "fid.reference", "empty")
	}
	if v := m.get("weights"); v != nil {
		fc.Weights = d.str(v, "fid.weights")
	}
	if v := m.get("dims"); v != nil {
		fc.Dims = d.intIn(v, "fid.dims", 1, 2048)
		if d.err == nil && fc.Dims != 64 && fc.Dims != 192 && fc.Dims != 768 && fc.Dims != 2048 {
			d.fail(v, "fid.dims", fmt.Sprintf("%d: want 64, 192, 768 or 2048 (pytorch-fid's feature blocks)", fc.Dims))
		}
	}
	if v := m.get("batch_size"); v != nil {
		fc.BatchSize = d.intIn(v, "fid.batch_size", 1, 1<<16)
	}
	if v := m.get("method"); v != nil {
		fc.Method = d.oneOf(v, "fid.method", "exact", "pytorch-fid")
	}
	if v := m.get("kid"); v != nil {
		fc.KID = d.bool(v, "fid.kid")
	}
	if v := m.get("interval"); v != nil {
		im := d.mapping(v, "fid.interval", "size", "reps")
		if d.err != nil {
			return fc
		}
		s, r := im.get("size"), im.get("reps")
		if s == nil || r == nil {
			d.fail(v, "fid.interval", "give both size (images per subsample) and reps (subsamples)")
			return fc
		}
		fc.Interval = d.intIn(s, "fid.interval.size", 2, 1<<30)
		fc.Reps = d.intIn(r, "fid.interval.reps", 2, 1<<20)
	}
	return fc
}

func (d *decoder) clip(n *yaml.Node) *CLIPConfig {
	cc := &CLIPConfig{BatchSize: 32}
	m := d.mapping(n, "clip", "model", "batch_size")
	if d.err != nil {
		return cc
	}
	if v := m.get("model"); v == nil {
		d.fail(n, "clip.model", "required: a transformers CLIPModel folder or Hugging Face cache repo id")
	} else if cc.Model = d.str(v, "clip.model"); d.err == nil && cc.Model == "" {
		d.fail(v, "clip.model", "empty")
	}
	if v := m.get("batch_size"); v != nil {
		cc.BatchSize = d.intIn(v, "clip.batch_size", 1, 1<<16)
	}
	return cc
}

func (d *decoder) sweep(n *yaml.Node) []SweepEntry {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "sweep", "want a list of variants, got "+describe(n))
		return nil
	}
	if len(n.Content) == 0 {
		d.fail(n, "sweep", "empty: give at least one variant")
		return nil
	}
	var out []SweepEntry
	for i, e := range n.Content {
		key := fmt.Sprintf("sweep[%d]", i)
		m := d.mapping(e, key, "method", "ratio", "sx", "sy", "max_downsample", "use_rand",
			"merge_attn", "merge_crossattn", "merge_mlp", "schedule",
			"factor", "interp", "agent_ratio", "interval", "branch")
		if d.err != nil {
			return out
		}
		se := SweepEntry{Line: e.Line}
		mn := m.get("method")
		if mn == nil {
			d.fail(e, key+".method", "required (none or tome)")
			return out
		}
		se.Method = d.oneOf(mn, key+".method", MethodNone, MethodToMe, MethodToDo, MethodAgentSD, MethodDeepCache)
		if d.err != nil {
			return out
		}
		if se.Method != MethodNone && se.Method != MethodToMe {
			if d.otherMethod(e, key, &se); d.err != nil {
				return out
			}
			out = append(out, se)
			continue
		}
		if se.Method == MethodNone {
			for _, k := range m.keys {
				if k.Value != "method" {
					d.fail(k, key+"."+k.Value, "method none takes no options")
					return out
				}
			}
			out = append(out, se)
			continue
		}
		for _, k := range m.keys {
			switch k.Value {
			case "factor", "interp", "agent_ratio", "interval", "branch":
				d.fail(k, key+"."+k.Value, "not a tome option (tome takes ratio, sx, sy, max_downsample, use_rand, merge_attn, merge_crossattn, merge_mlp, schedule)")
				return out
			}
		}
		ints := func(k string, lo, hi, def int) []int { return d.intsOf(m, key, k, lo, hi, def) }
		bools := func(k string, def bool) []bool { return d.boolsOf(m, key, k, def) }
		se.SX = ints("sx", 1, 64, 2)
		se.SY = ints("sy", 1, 64, 2)
		se.MaxDownsample = ints("max_downsample", 1, 8, 1)
		se.UseRand = bools("use_rand", true)
		se.MergeAttn = bools("merge_attn", true)
		se.MergeCrossAttn = bools("merge_crossattn", false)
		se.MergeMLP = bools("merge_mlp", false)
		for _, sx := range se.SX {
			for _, sy := range se.SY {
				if sx*sy < 2 && d.err == nil {
					at := m.get("sy")
					if at == nil {
						at = m.get("sx")
					}
					d.fail(at, key+".sx/sy", fmt.Sprintf("sx*sy = %d: every token is a dst, nothing can merge", sx*sy))
				}
			}
		}
		r, s := m.get("ratio"), m.get("schedule")
		switch {
		case r != nil && s != nil:
			d.fail(s, key+".schedule", "ratio and schedule are exclusive: a schedule sets the ratio of every step")
		case s != nil:
			d.list(s, key+".schedule", func(x *yaml.Node, kk string) { se.Schedules = append(se.Schedules, d.schedule(x, kk)) })
		case r != nil:
			d.list(r, key+".ratio", func(x *yaml.Node, kk string) { se.Ratio = append(se.Ratio, d.floatIn(x, kk, 0, 1)) })
		default:
			se.Ratio = []float64{0.5}
		}
		if d.err != nil {
			return out
		}
		if n := se.count(); n > maxVariantsInEntry {
			d.fail(e, key, fmt.Sprintf("expands to %d variants (at most %d)", n, maxVariantsInEntry))
			return out
		}
		out = append(out, se)
	}
	return out
}

// schedule reads {linear: [a, b], quantum: q} or {two_phase: {first: a, steps: k, then: b}}.
func (d *decoder) schedule(n *yaml.Node, key string) Schedule {
	m := d.mapping(n, key, "linear", "quantum", "two_phase")
	if d.err != nil {
		return Schedule{}
	}
	l, t := m.get("linear"), m.get("two_phase")
	switch {
	case l != nil && t != nil:
		d.fail(t, key+".two_phase", "linear and two_phase are exclusive: one schedule per list item")
	case l != nil:
		s := Schedule{Kind: ScheduleLinear, Quantum: 0.05}
		if l.Kind != yaml.SequenceNode || len(l.Content) != 2 {
			d.fail(l, key+".linear", "want [from, to], e.g. [0.6, 0.4], got "+describe(l))
			return s
		}
		s.From = d.floatIn(l.Content[0], key+".linear[0]", 0, 1)
		s.To = d.floatIn(l.Content[1], key+".linear[1]", 0, 1)
		if q := m.get("quantum"); q != nil {
			s.Quantum = d.float(q, key+".quantum")
			if d.err == nil && !(s.Quantum > 0 && s.Quantum <= 1) {
				d.fail(q, key+".quantum", fmt.Sprintf("%v is outside (0, 1]", s.Quantum))
			}
		}
		return s
	case t != nil:
		s := Schedule{Kind: ScheduleTwoPhase}
		if q := m.get("quantum"); q != nil {
			d.fail(q, key+".quantum", "applies to linear schedules only")
			return s
		}
		tm := d.mapping(t, key+".two_phase", "first", "steps", "then")
		if d.err != nil {
			return s
		}
		for _, k := range []string{"first", "steps", "then"} {
			if tm.get(k) == nil {
				d.fail(t, key+".two_phase."+k, "required (two_phase: {first: 0.6, steps: 20, then: 0.3})")
				return s
			}
		}
		s.From = d.floatIn(tm.get("first"), key+".two_phase.first", 0, 1)
		s.Switch = d.intIn(tm.get("steps"), key+".two_phase.steps", 1, 1000)
		s.To = d.floatIn(tm.get("then"), key+".two_phase.then", 0, 1)
		if d.err == nil && s.Switch >= d.steps {
			d.fail(tm.get("steps"), key+".two_phase.steps", fmt.Sprintf("%d is outside [1, %d] (generation.steps is %d)", s.Switch, d.steps-1, d.steps))
		}
		return s
	default:
		d.fail(n, key, "give linear: [from, to] or two_phase: {first, steps, then}")
	}
	return Schedule{}
}
