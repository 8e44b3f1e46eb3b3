package models

import (
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// SynthOptions configure Synth.
type SynthOptions struct {
	Arch string // an ArchNames entry
	Seed uint64
	Log  io.Writer // one line per component, if set
}

// A Synthesized reports what Synth wrote.
type Synthesized struct {
	Dir    string
	Arch   Arch
	Params map[string]int64 // per component folder: parameter values (torch's numel sum)
	Bytes  int64            // bytes of safetensors written
}

//go:embed assets/tokenizer
var tokenizerAssets embed.FS

// Synth writes a diffusers StableDiffusionPipeline folder at out (which must not exist or
// be empty) with the given architecture and seeded random weights:
//
//	model_index.json, scheduler/scheduler_config.json (PNDM, SD 1.5's settings)
//	unet/, text_encoder/, vae/     config.json + safetensors (float32)
//	tokenizer/                     CLIP's BPE vocabulary (49,408 tokens) and merges
//
// Weights follow torch's default initialisation (uniform ±1/sqrt(fan_in)), norm scales
// 1+0.2·N(0,1) and shifts 0.2·N(0,1), embeddings N(0, 0.02²); each tensor is drawn from
// its own generator seeded by (Seed, its name), so a folder is reproducible bit for
// bit. Files are streamed (an SD 1.5 folder is 4.3 GB) into a temporary sibling folder
// renamed to out at the end.
func Synth(out string, opt SynthOptions) (*Synthesized, error) {
	arch, err := LookupArch(opt.Arch)
	if err != nil {
		return nil, err
	}
	ucfg, tcfg, vcfg, err := arch.Configs()
	if err != nil {
		return nil, err
	}
	res := &Synthesized{Dir: out, Arch: arch, Params: map[string]int64{}}
	if err := writeFolder(out, func(dir string) error { return synthInto(dir, arch, ucfg, tcfg, vcfg, opt, res) }); err != nil {
		return nil, err
	}
	return res, nil
}

// synthInto writes the pipeline folder's files into dir, recording sizes in res.
func synthInto(dir string, arch Arch, ucfg, tcfg, vcfg Config, opt SynthOptions, res *Synthesized) error {
	comps := []struct {
		dir, weights, config string
		cfg                  Config
	}{
		{"unet", "diffusion_pytorch_model.safetensors", arch.UNet, ucfg},
		{"text_encoder", "model.safetensors", arch.TextEncoder, tcfg},
		{"vae", "diffusion_pytorch_model.safetensors", arch.VAE, vcfg},
	}
	for _, c := range comps {
		start := time.Now()
		ps, err := SynthParams(c.cfg)
		if err != nil {
			return err
		}
		d := filepath.Join(dir, c.dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(d, "config.json"), []byte(c.config+"\n"), 0o644); err != nil {
			return err
		}
		n, err := writeSynthSafetensors(filepath.Join(d, c.weights), ps, opt.Seed)
		if err != nil {
			return err
		}
		res.Params[c.dir] = numParams(ps)
		res.Bytes += n
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, "%s: %d parameters, %.1f MB, %.1fs\n", c.dir, numParams(ps), float64(n)/1e6, time.Since(start).Seconds())
		}
	}
	if err := writeTokenizer(filepath.Join(dir, "tokenizer"), arch.PadToken); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "scheduler"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "scheduler", "scheduler_config.json"), []byte(pndmConfig), 0o644); err != nil {
		return err
	}
	if arch.TextEncoder2 != "" {
		return synthSDXL(dir, arch, opt, res) // text_encoder_2, tokenizer_2, Euler, SDXL's model_index.json
	}
	return os.WriteFile(filepath.Join(dir, "model_index.json"), []byte(pipelineIndex), 0o644)
}

// writeTokenizer writes the embedded CLIP tokenizer files into dir, with pad as the pad
// token (SD 2.x pads with "!").
func writeTokenizer(dir, pad string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ents, err := tokenizerAssets.ReadDir("assets/tokenizer")
	if err != nil {
		return err
	}
	for _, e := range ents {
		b, err := tokenizerAssets.ReadFile("assets/tokenizer/" + e.Name())
		if err != nil {
			return err
		}
		name := e.Name()
		if filepath.Ext(name) == ".gz" {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return err
			}
			if b, err = io.ReadAll(zr); err != nil {
				return err
			}
			name = name[:len(name)-3]
		} else if pad != "<|endoftext|>" {
			b = bytes.ReplaceAll(b, []byte(`"pad_token": "<|endoftext|>"`), []byte(`"pad_token": "`+pad+`"`))
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
