// Package experiments defines what a tomebench run does and what it leaves behind.
//
// The pipeline, in order:
//
//  1. Load (or Parse) reads a run config, a YAML file, strictly: unknown keys, wrong
//     types and out-of-range values are *ConfigError values naming the file, the line
//     and the key path ("configs/x.yaml:14: sweep[1].ratio[2]: 1.5 is outside [0, 1]").
//     Everything that needs only the YAML is checked here, and the sweep is expanded
//     into Config.Variants (normalised, deduplicated, with warnings).
//  2. (*Config).CheckPaths checks what needs the file system: the model folder or
//     Hugging Face cache entry, the FID reference and weights, the prompt file.
//  3. ModelIdentity hashes the model's files; (*Config).Expand turns the config and that
//     identity into a Plan whose variants carry stable IDs (VariantKey).
//  4. The runner writes the run folder described in records.go; (*Plan).Compatible
//     guards reruns into an existing folder and (*Plan).Hash lets merge refuse shards of
//     different plans.
//
// Relative paths in a config (model.path, out, prompts.file, fid.reference,
// fid.weights) are used as given, that is relative to the current directory of the
// process, not to the config file: `tomebench run configs/x.yaml` run from the
// repository root reads `data/...` below the repository root.
package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// A ConfigError is a problem with a config file: File is the file name as given, Line
// the 1-based line of the offending value (0 when the whole file is at fault) and Key
// its path in the document, e.g. "sweep[1].ratio[2]".
type ConfigError struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// A Config is a run config as loaded: every default filled in and every value checked.
// See Parse for the schema.
type Config struct {
	File       string // the file name given to Load or Parse
	Name       string
	Out        string // output folder; "runs/<name>" unless set
	Model      ModelConfig
	Generation GenerationConfig
	Prompts    PromptsConfig
	Sweep      []SweepEntry
	Baseline   string     // label of the baseline variant ("" when there is none)
	FID        *FIDConfig // nil: no fid section

	// Variants is the sweep expanded (see Expand for the order), without IDs: ratio-0
	// ToMe variants are normalised to method none and duplicates are merged.
	Variants []Variant
	// Warnings are config-level remarks (duplicate variants merged); per-variant ones
	// are in Variants[i].Warnings.
	Warnings []string

	lines map[string]int // line of each path-valued key, for CheckPaths' errors
}

// ModelConfig is the model section. Exactly one of Path and Synth is set.
type ModelConfig struct {
	Path      string       // diffusers or ONNX folder, or a Hugging Face cache repo id ("org/name[@rev]")
	Synth     *SynthConfig // a random-weight model synthesised into the cache
	Precision string       // fp32 or fp16
	Provider  string       // cpu or cuda
	Threads   int          // intra-op threads, 0 = ONNX Runtime's default
}

// SynthConfig asks for a random-weight model of a known architecture.
type SynthConfig struct {
	Arch string // tiny, sd15 or sd2
	Seed uint64
}

// Ref is how the plan names the model: Path, or "synth:<arch>:<seed>".
func (m ModelConfig) Ref() string {
	if m.Synth != nil {
		return fmt.Sprintf("synth:%s:%d", m.Synth.Arch, m.Synth.Seed)
	}
	return m.Path
}

// GenerationConfig holds the sampling settings. Scheduler is the scheduler class
// (pndm, ddim or euler): "plms" in a config reads as pndm.
type GenerationConfig struct {
	Height, Width int
	Steps         int
	Scheduler     string
	Guidance      float64
	BatchSize     int
	Seed          uint64
}

// PromptsConfig is the prompts section: ImageNet class prompts or a prompt file.
type PromptsConfig struct {
	ImageNet *ImageNetConfig // nil when File is set
	File     string
	Repeat   int // file prompts: images per prompt
}

// ImageNetConfig builds one prompt per ImageNet class from Template (see Prompts for
// the order).
type ImageNetConfig struct {
	Template string // contains "{}" exactly once
	PerClass int
	Classes  int // the first Classes classes in class-index order
}

// DefaultTemplate is the ToMe for SD paper's prompt.
const DefaultTemplate = "A high quality photograph of a {}."

// A SweepEntry is one item of the sweep list as written; Variants holds its expansion.
// For method none only Method and Line are set.
type SweepEntry struct {
	Line           int
	Method         string // none or tome
	Ratio          []float64
	SX, SY         []int
	MaxDownsample  []int
	UseRand        []bool
	MergeAttn      []bool
	MergeCrossAttn []bool
	MergeMLP       []bool
	Schedules      []Schedule // when set, they replace Ratio
}

// FIDConfig is the fid section.
type FIDConfig struct {
	Reference string // image folder, .npz file, or "baseline"
	Weights   string // Inception .pth, "formula:det", or "" (the default cache)
	Dims      int
	BatchSize int
	Method    string // exact or pytorch-fid
	KID       bool
	Interval  int // subsample size (0: no interval)
	Reps      int
}

// Load reads and parses the config file at path (see Parse).
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{File: path, Msg: "cannot read config: " + unwrapPathError(err)}
	}
	return Parse(path, data)
}

func unwrapPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

var (
	namePattern     = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	yamlLinePattern = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
)

// Limits that keep a typo from asking for billions of images or variants.
const (
	maxPerClass        = 100000
	maxVariantsInEntry = 10000
	maxVariants        = 100000 // in the whole sweep, before duplicates are merged
)

// Parse reads a config from data; name is the file name used in errors. The schema,
// with defaults (every key not marked required is optional):
//
//	name: smoke                    # required; [A-Za-z0-9._-]+
//	out: runs/smoke                # default runs/<name>
//	model:
//	  path: DIR | org/repo[@rev]   # exactly one of path / synth
//	  synth: {arch: tiny, seed: 1} # tiny | sd15 | sd2
//	  precision: fp32              # fp32 | fp16
//	  provider: cpu                # cpu | cuda
//	  threads: 0                   # >= 0
//	generation:
//	  size: 512                    # or height + width; multiples of 8, >= 8
//	  steps: 50                    # 1..1000
//	  scheduler: pndm              # pndm | plms (= pndm) | ddim | euler
//	  guidance: 7.5                # >= 0
//	  batch_size: 1                # >= 1
//	  seed: 0                      # image j starts from seed+j
//	prompts:                       # exactly one of imagenet / file
//	  imagenet: {template: "A high quality photograph of a {}.", per_class: 1, classes: 1000}
//	  file: prompts.txt            # one prompt per line, blank lines skipped
//	  repeat: 1                    # file prompts only
//	sweep:                         # required, >= 1 entry
//	  - method: none
//	  - method: tome               # every option below: a scalar or a list
//	    ratio: [0.1, 0.5]          # [0, 1]; default 0.5 unless schedule is set
//	    sx: 2                      # >= 1; sx*sy >= 2
//	    sy: 2
//	    max_downsample: 1          # 1..8
//	    use_rand: true
//	    merge_attn: true
//	    merge_crossattn: false
//	    merge_mlp: false
//	    schedule:                  # one schedule or a list; exclusive with ratio
//	      - {linear: [0.6, 0.4], quantum: 0.05}
//	      - {two_phase: {first: 0.6, steps: 20, then: 0.3}}
//	baseline: none                 # label of the baseline; default: the none variant
//	fid:
//	  reference: DIR | FILE.npz | baseline   # required in the section
//	  weights: ""                  # .pth, "formula:det", or "" (default cache)
//	  dims: 2048                   # 64 | 192 | 768 | 2048
//	  batch_size: 50
//	  method: exact                # exact | pytorch-fid
//	  kid: false
//	  interval: {size: 1000, reps: 20}   # size >= 2, reps >= 2
//
// Every error is a *ConfigError; the first problem found is reported.
func Parse(name string, data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if err == io.EOF {
			return nil, &ConfigError{File: name, Msg: "empty config"}
		}
		return nil, yamlError(name, data, err)
	}
	var second yaml.Node
	if err := dec.Decode(&second); err == nil {
		return nil, &ConfigError{File: name, Line: second.Line, Msg: "more than one YAML document (---)"}
	} else if err != io.EOF {
		return nil, yamlError(name, data, err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, &ConfigError{File: name, Msg: "empty config"}
		}
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.ShortTag() == "!!null" {
		return nil, &ConfigError{File: name, Msg: "empty config"}
	}
	d := &decoder{file: name}
	c := d.config(doc)
	if d.err != nil {
		return nil, d.err
	}
	return c, nil
}

// CheckPaths checks what Load cannot: that the files the config names exist. The model
// path must be a folder or a Hugging Face repo id in the local cache (a synth model is
// made by the runner); the FID reference must exist unless it is "baseline"; the FID
// weights must exist unless "" (the default cache) or "formula:det"; a prompt file must
// hold at least one prompt. Every problem found is reported (errors.Join of
// *ConfigError values).
func (c *Config) CheckPaths() error {
	var errs []error
	bad := func(key, msg string) {
		errs = append(errs, &ConfigError{File: c.File, Line: c.lines[key], Key: key, Msg: msg})
	}
	exists := func(key, p, what string) {
		if _, err := os.Stat(p); err != nil {
			bad(key, fmt.Sprintf("%s %s: %s", what, p, unwrapPathError(err)))
		}
	}
	if c.Model.Synth == nil {
		if _, err := diffusers.Resolve(c.Model.Path); err != nil {
			bad("model.path", err.Error())
		}
	}
	if c.Prompts.ImageNet == nil {
		if _, err := ReadPromptFile(c.Prompts.File); err != nil {
			bad("prompts.file", strings.TrimPrefix(err.Error(), "experiments: "))
		}
	}
	if f := c.FID; f != nil {
		if f.Reference != "baseline" {
			exists("fid.reference", f.Reference, "reference")
		}
		if f.Weights != "" && f.Weights != "formula:det" {
			exists("fid.weights", f.Weights, "Inception weights")
		}
	}
	return errors.Join(errs...)
}

func yamlError(name string, data []byte, err error) error {
	msg := err.Error()
	if m := yamlLinePattern.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if strings.Contains(m[2], "tab character") {
			// yaml.v3 reports the line before the tab; name the first line indented by one.
			for i, l := range strings.Split(string(data), "\n") {
				if ind := l[:len(l)-len(strings.TrimLeft(l, " \t"))]; strings.Contains(ind, "\t") {
					line = i + 1
					break
				}
			}
			m[2] += " (indent with spaces)"
		}
		return &ConfigError{File: name, Line: line, Msg: "not valid YAML: " + m[2]}
	}
	return &ConfigError{File: name, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

func (d *decoder) config(doc *yaml.Node) *Config {
	c := &Config{File: d.file}
	d.lines = map[string]int{}
	defer func() { c.lines = d.lines }()
	m := d.mapping(doc, "", "name", "out", "model", "generation", "prompts", "sweep", "baseline", "fid")
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
	mc := ModelConfig{Precision: "fp32", Provider: "cpu"}
	m := d.mapping(n, "model", "path", "synth", "precision", "provider", "threads")
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
			d.fail(s, "model.synth.arch", "required (tiny, sd15 or sd2)")
		} else {
			mc.Synth.Arch = d.oneOf(a, "model.synth.arch", "tiny", "sd15", "sd2")
		}
		if v := sm.get("seed"); v != nil {
			mc.Synth.Seed = d.uint(v, "model.synth.seed")
		}
	}
	if v := m.get("precision"); v != nil {
		mc.Precision = d.oneOf(v, "model.precision", "fp32", "fp16")
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
			"merge_attn", "merge_crossattn", "merge_mlp", "schedule")
		if d.err != nil {
			return out
		}
		se := SweepEntry{Line: e.Line}
		mn := m.get("method")
		if mn == nil {
			d.fail(e, key+".method", "required (none or tome)")
			return out
		}
		se.Method = d.oneOf(mn, key+".method", MethodNone, MethodToMe)
		if d.err != nil {
			return out
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
		ints := func(k string, lo, hi, def int) []int {
			v := m.get(k)
			if v == nil {
				return []int{def}
			}
			var r []int
			d.list(v, key+"."+k, func(x *yaml.Node, kk string) { r = append(r, d.intIn(x, kk, lo, hi)) })
			return r
		}
		bools := func(k string, def bool) []bool {
			v := m.get(k)
			if v == nil {
				return []bool{def}
			}
			var r []bool
			d.list(v, key+"."+k, func(x *yaml.Node, kk string) { r = append(r, d.bool(x, kk)) })
			return r
		}
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

// A decoder walks the yaml.Node tree and keeps the first error.
type decoder struct {
	file  string
	steps int            // generation.steps, for two_phase schedules
	lines map[string]int // Config.lines
	err   *ConfigError
}

func (d *decoder) fail(n *yaml.Node, key, msg string) {
	if d.err != nil {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.err = &ConfigError{File: d.file, Line: line, Key: key, Msg: msg}
}

// A mapping is a YAML mapping's keys and values in document order.
type mapping struct {
	keys, values []*yaml.Node
}

func (m mapping) get(k string) *yaml.Node {
	for i, kn := range m.keys {
		if kn.Value == k {
			return m.values[i]
		}
	}
	return nil
}

// mapping checks that n is a mapping whose keys are all in allowed, each at most once.
func (d *decoder) mapping(n *yaml.Node, path string, allowed ...string) mapping {
	var m mapping
	if d.err != nil {
		return m
	}
	where := path
	if where == "" {
		where = "the config"
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, fmt.Sprintf("%s must be a mapping (keys: %s), got %s", where, strings.Join(allowed, ", "), describe(n)))
		return m
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.fail(k, path, "keys must be plain names (no merge keys or complex keys)")
			return m
		}
		known := false
		for _, a := range allowed {
			known = known || a == k.Value
		}
		if !known {
			d.fail(k, kp, fmt.Sprintf("unknown key (allowed in %s: %s)", where, strings.Join(allowed, ", ")))
			return m
		}
		if m.get(k.Value) != nil {
			d.fail(k, kp, "given twice")
			return m
		}
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			d.fail(v, kp, "no value (remove the key for the default)")
			return m
		}
		m.keys = append(m.keys, k)
		m.values = append(m.values, v)
	}
	return m
}

// list calls f for each item of a sequence, or once for a scalar.
func (d *decoder) list(n *yaml.Node, key string, f func(*yaml.Node, string)) {
	if d.err != nil {
		return
	}
	if n.Kind != yaml.SequenceNode {
		f(n, key)
		return
	}
	if len(n.Content) == 0 {
		d.fail(n, key, "empty list")
		return
	}
	for i, x := range n.Content {
		if x.Kind == yaml.AliasNode {
			x = x.Alias
		}
		f(x, fmt.Sprintf("%s[%d]", key, i))
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		kind := map[string]string{"!!str": "string", "!!int": "integer", "!!float": "number",
			"!!bool": "boolean", "!!null": "null"}[n.ShortTag()]
		if kind == "" {
			kind = n.ShortTag()
		}
		return fmt.Sprintf("%s %q", kind, n.Value)
	}
	return "something else"
}

func (d *decoder) scalar(n *yaml.Node, key, want string, tags ...string) bool {
	if d.err != nil {
		return false
	}
	if n.Kind == yaml.ScalarNode {
		for _, t := range tags {
			if n.ShortTag() == t {
				return true
			}
		}
	}
	d.fail(n, key, fmt.Sprintf("want %s, got %s", want, describe(n)))
	return false
}

func (d *decoder) str(n *yaml.Node, key string) string {
	if !d.scalar(n, key, "a string (quote it)", "!!str") {
		return ""
	}
	d.lines[key] = n.Line
	return n.Value
}

func (d *decoder) oneOf(n *yaml.Node, key string, allowed ...string) string {
	s := d.str(n, key)
	if d.err != nil {
		return s
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	d.fail(n, key, fmt.Sprintf("%q: want one of %s", s, strings.Join(allowed, ", ")))
	return s
}

func (d *decoder) bool(n *yaml.Node, key string) bool {
	if !d.scalar(n, key, "true or false", "!!bool") {
		return false
	}
	var b bool
	if err := n.Decode(&b); err != nil {
		d.fail(n, key, err.Error())
	}
	return b
}

func (d *decoder) int(n *yaml.Node, key string) int64 {
	if !d.scalar(n, key, "an integer", "!!int") {
		return 0
	}
	var x int64
	if err := n.Decode(&x); err != nil {
		d.fail(n, key, fmt.Sprintf("%s is not a 64-bit integer", n.Value))
	}
	return x
}

func (d *decoder) intIn(n *yaml.Node, key string, lo, hi int) int {
	x := d.int(n, key)
	if d.err == nil && (x < int64(lo) || x > int64(hi)) {
		if hi >= 1<<16 {
			d.fail(n, key, fmt.Sprintf("%d is below %d", x, lo))
			if x > int64(hi) {
				d.err.Msg = fmt.Sprintf("%d is above %d", x, hi)
			}
		} else {
			d.fail(n, key, fmt.Sprintf("%d is outside [%d, %d]", x, lo, hi))
		}
	}
	return int(x)
}

func (d *decoder) uint(n *yaml.Node, key string) uint64 {
	if !d.scalar(n, key, "an unsigned integer", "!!int") {
		return 0
	}
	var x uint64
	if err := n.Decode(&x); err != nil {
		d.fail(n, key, fmt.Sprintf("%s is not an unsigned 64-bit integer", n.Value))
	}
	return x
}

func (d *decoder) float(n *yaml.Node, key string) float64 {
	if !d.scalar(n, key, "a number", "!!float", "!!int") {
		return 0
	}
	var x float64
	if err := n.Decode(&x); err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		d.fail(n, key, fmt.Sprintf("%s is not a finite number", n.Value))
	}
	if x == 0 {
		x = 0 // -0 and 0 give the same variant ID
	}
	return x
}

func (d *decoder) floatIn(n *yaml.Node, key string, lo, hi float64) float64 {
	x := d.float(n, key)
	if d.err == nil && (x < lo || x > hi) {
		d.fail(n, key, fmt.Sprintf("%s is outside [%g, %g]", strconv.FormatFloat(x, 'g', -1, 64), lo, hi))
	}
	return x
}
