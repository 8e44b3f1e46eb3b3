package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/tomebench/tomebench/internal/onnx"
	"github.com/tomebench/tomebench/tome"
)

var inspectCommand = &command{
	name: "inspect",
	args: "MODEL.onnx",
	summary: "List a UNet's transformer blocks, their token counts and which ones the ToMe flags would merge.\n" +
		"The flags are those of 'tomebench patch'; nothing is written.",
	run: runInspect,
}

var patchCommand = &command{
	name: "patch",
	args: "MODEL.onnx --out OUT.onnx",
	summary: "Insert Token Merging (ToMe for SD, as tomesd.apply_patch) into an ONNX UNet and write it.\n" +
		"External weights are referred to, not copied. With random partitions (the default) the\n" +
		"patched model takes one int64 input tome_rand_idx_K [h/sy, w/sx] per patched block.",
	run: runPatch,
}

// patchFlags registers the ToMe flags (tomeflags.go) and --latent on fs and returns a
// function that reads them once fs is parsed. --ratio defaults to tomesd's 0.5: a user
// asking to patch (or to see what a patch would do) wants apply_patch's default.
func patchFlags(fs *flag.FlagSet) func() (tome.PatchOptions, error) {
	var tf tomeFlags
	tf.register(fs, tome.DefaultOptions().Ratio, "The default is tomesd's apply_patch default: asking to patch is asking for ToMe.")
	latent := fs.String("latent", "", "`HxW` latent size to plan for (default: the static size of the sample input)")
	return func() (tome.PatchOptions, error) {
		to, err := tf.options()
		o := tome.PatchOptions{Options: to}
		if err != nil {
			return o, err
		}
		if *latent != "" {
			h, w, ok := strings.Cut(*latent, "x")
			H, err1 := strconv.Atoi(h)
			W, err2 := strconv.Atoi(w)
			if !ok || err1 != nil || err2 != nil || H <= 0 || W <= 0 {
				return o, usagef("--latent wants HxW with positive sizes, got %q", *latent)
			}
			o.Latent = [2]int{H, W}
		}
		return o, nil
	}
}

// loadModelArg parses a command line naming one model file, runs check on the other
// flags (if not nil), reads the ToMe options and loads the model.
func loadModelArg(fs *flag.FlagSet, args []string, opts func() (tome.PatchOptions, error), check func() error) (string, *onnx.Model, tome.PatchOptions, error) {
	var o tome.PatchOptions
	pos, err := parse(fs, args)
	if err != nil {
		return "", nil, o, err
	}
	if len(pos) != 1 {
		return "", nil, o, usagef("want one model file, got %d arguments", len(pos))
	}
	if check != nil {
		if err := check(); err != nil {
			return "", nil, o, err
		}
	}
	if o, err = opts(); err != nil {
		return "", nil, o, err
	}
	m, err := onnx.Load(pos[0])
	return pos[0], m, o, err
}

func runInspect(e *env, fs *flag.FlagSet, args []string) error {
	path, m, o, err := loadModelArg(fs, args, patchFlags(fs), nil)
	if err != nil {
		return err
	}
	rep, err := tome.Inspect(m, o)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return rep.WriteText(e.stdout)
}

func runPatch(e *env, fs *flag.FlagSet, args []string) error {
	opts := patchFlags(fs)
	out := fs.String("out", "", "`OUT.onnx`: where to write the patched model (required)")
	path, m, o, err := loadModelArg(fs, args, opts, func() error {
		if *out == "" {
			return usagef("--out is required")
		}
		return nil
	})
	if err != nil {
		return err
	}
	rep, err := tome.Patch(m, o)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := rep.WriteText(e.stdout); err != nil {
		return err
	}
	if err := m.Save(*out, onnx.SaveOptions{}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s\n", *out)
	return nil
}
