package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort/orttest"
)

// TestOpenErrors breaks one part of the fixture ONNX folder per case; Open must fail
// with one *FolderError naming the file (or part) at fault and what is wrong.
func TestOpenErrors(t *testing.T) {
	orttest.Require(t)
	remove := func(rel string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, rel)); err != nil {
				t.Fatal(err)
			}
		}
	}
	write := func(rel, content string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			p := filepath.Join(dir, rel)
			if err := os.Remove(p); err != nil { // a copy or a link: never write through a link
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name   string
		break_ func(t *testing.T, dir string)
		opts   Options
		path   string // the error must name this file, relative to the folder
		msg    string // and say this
	}{
		{"no UNet", remove("unet/model.onnx"), Options{}, "unet/model.onnx", "missing UNet model"},
		{"no text encoder", remove("text_encoder/model.onnx"), Options{}, "text_encoder/model.onnx", "missing text encoder model"},
		{"no VAE decoder", remove("vae_decoder/model.onnx"), Options{}, "vae_decoder/model.onnx", "missing VAE decoder model"},
		{"no tokenizer", remove("tokenizer"), Options{}, "tokenizer/vocab.json", "missing tokenizer vocabulary"},
		{"no scheduler", remove("scheduler"), Options{}, "scheduler/scheduler_config.json", "missing scheduler config"},
		{"unknown scheduler class", write("scheduler/scheduler_config.json", `{"_class_name": "LMSDiscreteScheduler", "beta_schedule": "scaled_linear"}`),
			Options{}, "scheduler/scheduler_config.json", `"LMSDiscreteScheduler" is not implemented`},
		{"bad scheduler JSON", write("scheduler/scheduler_config.json", `{"_class_name": `), Options{}, "scheduler/scheduler_config.json", "invalid JSON"},
		{"bad VAE config", write("vae_decoder/config.json", `{"scaling_factor": -1}`), Options{}, "vae_decoder/config.json", "scaling_factor -1 is not positive"},
		{"not a model", write("unet/model.onnx", "not a protobuf"), Options{}, "unet/model.onnx", "cannot open model"},
		{"UNet with an unknown input", func(t *testing.T, dir string) {
			editModel(t, filepath.Join(dir, "unet", "model.onnx"), func(m *onnx.Model, g *onnx.Graph) {
				g.AddInput("class_labels", onnx.Float, []int64{-1, 1280}, "batch")
			})
		}, Options{}, "unet/model.onnx", `UNet input "class_labels" is not one the pipeline feeds`},
		{"SDXL UNet input half there", func(t *testing.T, dir string) {
			editModel(t, filepath.Join(dir, "unet", "model.onnx"), func(m *onnx.Model, g *onnx.Graph) {
				g.AddInput("text_embeds", onnx.Float, []int64{-1, 1280}, "batch")
			})
		}, Options{}, "unet/model.onnx", "SDXL UNet must take both text_embeds and time_ids"},
		{"SDXL UNet without text_encoder_2", func(t *testing.T, dir string) {
			editModel(t, filepath.Join(dir, "unet", "model.onnx"), func(m *onnx.Model, g *onnx.Graph) {
				g.AddInput("text_embeds", onnx.Float, []int64{-1, 1280}, "batch")
				g.AddInput("time_ids", onnx.Float, []int64{-1, 6}, "batch")
			})
		}, Options{}, "text_encoder_2/model.onnx", "the UNet is an SDXL one"},
		{"UNet without encoder_hidden_states", func(t *testing.T, dir string) {
			editModel(t, filepath.Join(dir, "unet", "model.onnx"), func(m *onnx.Model, g *onnx.Graph) {
				g.ReplaceUses("encoder_hidden_states", "cond")
				g.Input("encoder_hidden_states").Name = "cond"
			})
		}, Options{}, "unet/model.onnx", "UNet has no encoder_hidden_states input"},
		{"text encoder with attention_mask", func(t *testing.T, dir string) {
			editModel(t, filepath.Join(dir, "text_encoder", "model.onnx"), func(m *onnx.Model, g *onnx.Graph) {
				g.AddInput("attention_mask", onnx.Int64, []int64{-1, -1}, "batch", "sequence")
			})
		}, Options{}, "text_encoder/model.onnx", "exactly one input, input_ids"},
		{"precision", func(*testing.T, string) {}, Options{Precision: "fp16"}, "unet/model.onnx", "UNet is fp32, but precision fp16 was asked for"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := fixtureONNXFolder(t)
			c.break_(t, dir)
			c.opts.Threads = 1
			p, err := Open(dir, c.opts)
			if err == nil {
				p.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			var fe *FolderError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v, want *FolderError", err, err)
			}
			if want := filepath.Join(dir, c.path); fe.Path != want || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q\nwant path %s and %q", err, want, c.msg)
			}
		})
	}
}

// TestOptionAndFolderErrors covers mistakes found before any model is read.
func TestOptionAndFolderErrors(t *testing.T) {
	empty := t.TempDir()
	notDir := filepath.Join(empty, "file")
	os.WriteFile(notDir, nil, 0o644)
	diffusersNoUNet := t.TempDir()
	for _, part := range []string{"model_index.json", "text_encoder", "vae", "tokenizer", "scheduler"} {
		abs, _ := filepath.Abs(filepath.Join(tinyPipeline, part))
		os.Symlink(abs, filepath.Join(diffusersNoUNet, part))
	}
	cases := []struct {
		name string
		dir  string
		opts Options
		msg  string
	}{
		{"empty folder", empty, Options{}, "neither an ONNX model folder (no unet/model.onnx) nor a diffusers folder (no model_index.json)"},
		{"missing folder", filepath.Join(empty, "nope"), Options{}, "cannot open model folder"},
		{"a file", notDir, Options{}, "not a folder"},
		{"diffusers folder without unet", diffusersNoUNet, Options{CacheDir: t.TempDir()}, "unet"},
		{"unknown scheduler option", empty, Options{Scheduler: "heun"}, `unknown scheduler "heun" (want pndm, ddim or euler)`},
		{"bad precision", empty, Options{Precision: "bf16"}, `precision "bf16": want fp32 or fp16`},
		{"bad attention", empty, Options{Attention: "flash"}, `attention "flash": want plain or fused`},
		{"fused attention on an ONNX folder", fixtureONNXFolder(t), Options{Attention: AttentionFused}, "attention fused needs a diffusers folder to convert"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Open(c.dir, c.opts)
			if err == nil {
				p.Close()
				t.Fatal("Open succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not say %q", err, c.msg)
			}
		})
	}
}

// TestRequestErrors: mistakes in a Request come back as errors (never a panic), and a
// context done between steps stops Generate with an error wrapping ctx.Err().
func TestRequestErrors(t *testing.T) {
	orttest.Require(t)
	p, err := Open(fixtureONNXFolder(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	other, err := Open(fixtureONNXFolder(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	cases := []struct {
		name string
		req  Request
		msg  string
	}{
		{"no prompts", Request{Steps: 1}, "no prompts"},
		{"negative prompts", Request{Prompts: []string{"a", "b"}, NegativePrompts: []string{"c"}, Steps: 1}, "1 negative prompts for 2 prompts"},
		{"negative steps", Request{Prompts: []string{"a"}, Steps: -3}, "-3 steps"},
		{"latents", Request{Prompts: []string{"a"}, Steps: 1, Latents: make([]float32, 7)}, "7 initial latent values"},
		{"another pipeline's UNet", Request{Prompts: []string{"a"}, Steps: 1, UNet: other.BaseUNet()}, "was not opened by this pipeline"},
		{"another pipeline's UNet for a step", Request{Prompts: []string{"a"}, Steps: 1,
			UNetForStep: func(int) *UNet { return other.BaseUNet() }}, "step 0: pipeline: UNet"},
	}
	for _, c := range cases {
		res, err := p.Generate(t.Context(), c.req)
		if err == nil || !strings.Contains(err.Error(), c.msg) || !strings.HasPrefix(err.Error(), "pipeline: ") {
			t.Errorf("%s: %v, %v; want an error saying %q", c.name, res, err, c.msg)
		}
	}
	if _, err := p.EncodeText(nil, 0); err == nil {
		t.Error("EncodeText of no texts succeeded")
	}

	// Cancelled after the first step: one UNet call, then the context's error.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	calls := 0
	req := Request{Prompts: []string{"a"}, Steps: 3, GuidanceScale: 7.5,
		AfterStep: func(s *StepInfo) error { calls++; cancel(); return nil }}
	if _, err := p.Generate(ctx, req); !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("cancelled after step 0: %d steps, error %v; want 1 and context.Canceled", calls, err)
	}
}

// TestResultTiming: a Result counts its UNet calls (one per timestep) and their time,
// which is part of the whole call's.
func TestResultTiming(t *testing.T) {
	orttest.Require(t)
	p, err := Open(fixtureONNXFolder(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res, err := p.Generate(t.Context(), Request{Prompts: []string{"a"}, Steps: 3, GuidanceScale: 7.5})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d UNet calls in %.4fs of %.4fs", res.UNetCalls, res.UNetSeconds, res.Seconds)
	if res.UNetCalls != len(res.Timesteps) || res.UNetSeconds <= 0 || res.Seconds < res.UNetSeconds {
		t.Errorf("%d UNet calls for %d timesteps, %gs of %gs; want one per timestep taking part of the whole", res.UNetCalls, len(res.Timesteps), res.UNetSeconds, res.Seconds)
	}
}
