package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tomebench/tomebench/clipscore"
	"github.com/tomebench/tomebench/inception"
	"github.com/tomebench/tomebench/internal/ort"
)

var clipscoreCommand = &command{
	name: "clipscore",
	args: "IMAGES...",
	summary: "Compute the CLIP score of images against their prompts, as torchmetrics' clip_score does.\n" +
		"The score is 100·cos(image, prompt) per pair, averaged, clamped at 0 after the mean. IMAGES are files or\n" +
		"folders (their images sorted by name). --model is a transformers CLIPModel folder or a Hub repo\n" +
		"id in the local cache (nothing is downloaded). --prompt gives every image the same prompt;\n" +
		"--prompts FILE gives one prompt per line, matched to the images in order. Plain output ends\n" +
		"with 'CLIP score: <value>'.",
	run: runCLIPScore,
}

func runCLIPScore(e *env, fs *flag.FlagSet, args []string) error {
	model := fs.String("model", "", "CLIPModel folder or Hugging Face repo id (e.g. openai/clip-vit-large-patch14) in the local cache")
	prompt := fs.String("prompt", "", "the prompt of every image")
	promptsFile := fs.String("prompts", "", "file with one prompt per line, in image order")
	perImage := fs.Bool("per-image", false, "print each image's file name and score")
	asJSON := fs.Bool("json", false, "print a JSON report instead of text")
	batch := fs.Int("batch-size", 32, "images per network call")
	threads := fs.Int("threads", 0, "intra-op threads (0: ONNX Runtime's default)")
	provider := fs.String("provider", "cpu", "execution provider: cpu or cuda")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("want at least one image file or folder")
	}
	if *model == "" {
		return usagef("--model is required")
	}
	if (*prompt == "") == (*promptsFile == "") {
		return usagef("give exactly one of --prompt and --prompts")
	}
	if *batch < 1 {
		return usagef("--batch-size must be >= 1")
	}
	files, err := imageArgs(pos)
	if err != nil {
		return err
	}
	prompts, err := promptList(*prompt, *promptsFile, len(files))
	if err != nil {
		return err
	}
	m, err := clipscore.Open(*model, clipscore.Options{BatchSize: *batch,
		Session: ort.SessionOptions{Threads: *threads, Provider: *provider}})
	if err != nil {
		return err
	}
	defer m.Close()
	pairs := make([]clipscore.Pair, len(files))
	for i, f := range files {
		pairs[i] = clipscore.Pair{Image: f, Prompt: prompts[i]}
	}
	r, err := m.ScoreFiles(context.Background(), pairs, nil)
	if err != nil {
		return err
	}
	if *asJSON {
		type image struct {
			File   string  `json:"file"`
			Prompt string  `json:"prompt"`
			Score  float64 `json:"score"`
		}
		rep := struct {
			Model  string  `json:"model"`
			Images []image `json:"images"`
			*clipscore.Result
		}{Model: m.Dir(), Result: r}
		for i, p := range pairs {
			rep.Images = append(rep.Images, image{p.Image, p.Prompt, r.Scores[i]})
		}
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	if *perImage {
		for i, p := range pairs {
			fmt.Fprintf(e.stdout, "%s\t%s\n", p.Image, fmtFloat(r.Scores[i]))
		}
	}
	fmt.Fprintf(e.stdout, "CLIP score: %s\n", fmtFloat(r.Score))
	return nil
}

// imageArgs expands folders into their images (sorted by name), keeping argument order.
func imageArgs(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		fs, err := inception.ListImages(a)
		if err != nil {
			return nil, err
		}
		if len(fs) == 0 {
			return nil, fmt.Errorf("%s: no images (%s)", a, strings.Join(inception.ImageExtensions, ", "))
		}
		files = append(files, fs...)
	}
	return files, nil
}

// promptList returns n prompts: the one prompt n times, or the file's lines (a final
// newline does not make an extra line; CR before LF is dropped).
func promptList(one, file string, n int) ([]string, error) {
	if file == "" {
		p := make([]string, n)
		for i := range p {
			p[i] = one
		}
		return p, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
	if len(b) == 0 {
		lines = nil
	}
	if len(lines) != n {
		return nil, usagef("%s has %d prompts for %d images (one per line, in image order)", filepath.Clean(file), len(lines), n)
	}
	return lines, nil
}
