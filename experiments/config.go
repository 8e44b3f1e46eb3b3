package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	Baseline   string      // label of the baseline variant ("" when there is none)
	FID        *FIDConfig  // nil: no fid section
	CLIP       *CLIPConfig // nil: no clip section

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
	Attention string       // plain or fused: the UNet attention a diffusers model is converted to
	Provider  string       // cpu or cuda
	Threads   int          // intra-op threads, 0 = ONNX Runtime's default
}

// SynthConfig asks for a random-weight model of a known architecture.
type SynthConfig struct {
	Arch string // tiny, sd15, sd2, tiny-sdxl or sdxl
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
	Method         string // none, tome, todo, agentsd or deepcache
	Ratio          []float64
	SX, SY         []int
	MaxDownsample  []int
	UseRand        []bool
	MergeAttn      []bool
	MergeCrossAttn []bool
	MergeMLP       []bool
	Schedules      []Schedule // when set, they replace Ratio

	// The other methods' options (see methods.go).
	Factor     []int     // todo
	Interp     []string  // todo
	AgentRatio []float64 // agentsd
	Interval   []int     // deepcache
	Branch     []int     // deepcache
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

// CLIPConfig is the clip section: score each image against its prompt with the user's
// CLIP model (package clipscore, torchmetrics' CLIPScore).
type CLIPConfig struct {
	Model     string // transformers CLIPModel folder or HF-cache repo id
	BatchSize int
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
//	  synth: {arch: tiny, seed: 1} # tiny | sd15 | sd2 | tiny-sdxl | sdxl
//	  precision: fp32              # fp32 | fp16
//	  attention: plain             # plain | fused (ONNX Runtime's MultiHeadAttention; diffusers/synth models only)
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
//	clip:                          # optional: CLIP score beside FID
//	  model: DIR | org/name        # transformers CLIPModel folder or HF-cache repo id
//	  batch_size: 32
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
	if cl := c.CLIP; cl != nil {
		if _, err := diffusers.Resolve(cl.Model); err != nil {
			bad("clip.model", err.Error())
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
		// yaml.v3 reports a tab in the indentation as "found a tab character..." on the
		// line before it, or as "found character that cannot start any token" on the line
		// itself: name the first line indented by a tab and say so.
		tabLine := 0
		for i, l := range strings.Split(string(data), "\n") {
			if ind := l[:len(l)-len(strings.TrimLeft(l, " \t"))]; strings.Contains(ind, "\t") {
				tabLine = i + 1
				break
			}
		}
		if tabLine > 0 && (strings.Contains(m[2], "tab character") || (strings.Contains(m[2], "cannot start any token") && tabLine <= line)) {
			if strings.Contains(m[2], "tab character") {
				m[2] += " (indent with spaces)"
			} else {
				m[2] += " (a tab in the indentation: indent with spaces)"
			}
			line = tabLine
		}
		return &ConfigError{File: name, Line: line, Msg: "not valid YAML: " + m[2]}
	}
	return &ConfigError{File: name, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}
