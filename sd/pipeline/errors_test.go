package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/internal/ort/orttest"
	"github.com/tomebench/tomebench/tome"
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
				g.AddInput("text_embeds", onnx.Float, []int64{-1, 1280}, "batch")
			})
		}, Options{}, "unet/model.onnx", `UNet input "text_embeds" is not one the pipeline feeds`},
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
		{"bad ToMe options", empty, Options{ToMe: &tome.Options{Ratio: 2, MaxDownsample: 1, SX: 2, SY: 2}}, "ratio 2 is outside [0, 1]"},
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
