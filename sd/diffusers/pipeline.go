package diffusers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// A ComponentRef is one component entry of model_index.json: "name": ["library", "Class"].
type ComponentRef struct {
	Name    string // folder name, e.g. "unet"
	Library string // "diffusers" or "transformers"
	Class   string // e.g. "UNet2DConditionModel"
}

// A ModelIndex is a parsed model_index.json.
type ModelIndex struct {
	ClassName        string                  // e.g. "StableDiffusionPipeline"
	DiffusersVersion string                  // version that saved it
	Components       map[string]ComponentRef // entries with a library and class
	Absent           []string                // entries saved as [null, null] (e.g. safety_checker), sorted
	// Extra holds the other keys (e.g. requires_safety_checker), as found.
	Extra map[string]json.RawMessage
}

// ParseModelIndex decodes model_index.json; name is used in errors.
func ParseModelIndex(name string, data []byte) (*ModelIndex, error) {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(data, &all); err != nil || all == nil {
		return nil, &Error{Path: name, Msg: "not a JSON object", Err: err}
	}
	mi := &ModelIndex{Components: map[string]ComponentRef{}, Extra: map[string]json.RawMessage{}}
	for k, raw := range all {
		switch {
		case k == "_class_name":
			if err := json.Unmarshal(raw, &mi.ClassName); err != nil {
				return nil, &Error{Path: name, Msg: "_class_name is not a string"}
			}
		case k == "_diffusers_version":
			json.Unmarshal(raw, &mi.DiffusersVersion) // informative only
		case strings.HasPrefix(k, "_") || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")):
			mi.Extra[k] = raw
		default:
			var pair []*string
			if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
				return nil, &Error{Path: name, Msg: fmt.Sprintf("component %q: want [library, class], got %s", k, raw)}
			}
			if pair[0] == nil || pair[1] == nil {
				mi.Absent = append(mi.Absent, k)
				continue
			}
			mi.Components[k] = ComponentRef{Name: k, Library: *pair[0], Class: *pair[1]}
		}
	}
	if mi.ClassName == "" {
		return nil, &Error{Path: name, Msg: "no _class_name: not a pipeline's model_index.json"}
	}
	sort.Strings(mi.Absent)
	return mi, nil
}

// A Pipeline is a diffusers pipeline folder.
type Pipeline struct {
	Dir     string
	Index   *ModelIndex
	Options Options // used for every component loaded through the Pipeline
}

// OpenPipeline reads dir/model_index.json and checks that every listed component has its
// folder. Components are loaded on demand (UNet, VAE, TextEncoder, ...).
func OpenPipeline(dir string, opt Options) (*Pipeline, error) {
	p := filepath.Join(dir, "model_index.json")
	data, err := os.ReadFile(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &Error{Path: dir, Msg: "no model_index.json: not a diffusers pipeline folder"}
		}
		return nil, &Error{Path: p, Msg: "cannot read", Err: err}
	}
	mi, err := ParseModelIndex(p, data)
	if err != nil {
		return nil, err
	}
	for _, name := range mi.ComponentNames() {
		cd := filepath.Join(dir, name)
		if st, err := os.Stat(cd); err != nil || !st.IsDir() {
			return nil, &Error{Path: cd, Msg: fmt.Sprintf("component folder missing (model_index.json lists %s %s)",
				mi.Components[name].Library, mi.Components[name].Class)}
		}
	}
	return &Pipeline{Dir: dir, Index: mi, Options: opt}, nil
}

// ComponentNames returns the names of the present components, sorted.
func (mi *ModelIndex) ComponentNames() []string {
	names := make([]string, 0, len(mi.Components))
	for n := range mi.Components {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Component returns the folder of component name after checking that model_index.json
// lists it with one of the classes in want (any class when want is empty).
func (p *Pipeline) Component(name string, want ...string) (string, error) {
	ref, ok := p.Index.Components[name]
	if !ok {
		return "", &Error{Path: filepath.Join(p.Dir, "model_index.json"),
			Msg: fmt.Sprintf("no component %q (components: %s)", name, strings.Join(p.Index.ComponentNames(), ", "))}
	}
	dir := filepath.Join(p.Dir, name)
	if len(want) > 0 {
		ok := false
		for _, w := range want {
			ok = ok || ref.Class == w
		}
		if !ok {
			return "", &Error{Path: dir, Msg: fmt.Sprintf("component %q is %s %s; supported: %s",
				name, ref.Library, ref.Class, strings.Join(want, ", "))}
		}
	}
	return dir, nil
}

// UNet loads the "unet" component (UNet2DConditionModel).
func (p *Pipeline) UNet() (*UNet, error) {
	dir, err := p.Component("unet", "UNet2DConditionModel")
	if err != nil {
		return nil, err
	}
	return LoadUNet(dir, p.Options)
}

// VAE loads the "vae" component (AutoencoderKL).
func (p *Pipeline) VAE() (*VAE, error) {
	dir, err := p.Component("vae", "AutoencoderKL")
	if err != nil {
		return nil, err
	}
	return LoadVAE(dir, p.Options)
}

// TextEncoder loads a text-encoder component: "text_encoder", or SDXL's "text_encoder_2".
func (p *Pipeline) TextEncoder(name string) (*TextEncoder, error) {
	dir, err := p.Component(name, "CLIPTextModel", "CLIPTextModelWithProjection")
	if err != nil {
		return nil, err
	}
	return LoadTextEncoder(dir, p.Options)
}

// TokenizerDir returns the folder of a CLIP tokenizer component ("tokenizer" or
// "tokenizer_2") after checking that it holds vocab.json and merges.txt.
func (p *Pipeline) TokenizerDir(name string) (string, error) {
	dir, err := p.Component(name, "CLIPTokenizer", "CLIPTokenizerFast")
	if err != nil {
		return "", err
	}
	for _, f := range []string{"vocab.json", "merges.txt"} {
		if !isFile(filepath.Join(dir, f)) {
			return "", &Error{Path: filepath.Join(dir, f), Msg: "tokenizer file missing"}
		}
	}
	return dir, nil
}

// SchedulerConfig returns the path of scheduler/scheduler_config.json and the scheduler
// class model_index.json names (e.g. "PNDMScheduler").
func (p *Pipeline) SchedulerConfig() (path, class string, err error) {
	dir, err := p.Component("scheduler")
	if err != nil {
		return "", "", err
	}
	path = filepath.Join(dir, "scheduler_config.json")
	if !isFile(path) {
		return "", "", &Error{Path: path, Msg: "missing config file"}
	}
	return path, p.Index.Components["scheduler"].Class, nil
}
