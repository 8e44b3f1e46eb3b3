package runner

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/tomebench/tomebench/sd/diffusers"
	"github.com/tomebench/tomebench/sd/models"
	"github.com/tomebench/tomebench/sd/pipeline"
)

// A ModelSource names the model of a run: a folder or HF-cache repo id (Path), or a
// random-weight architecture synthesised once into the cache (SynthArch, SynthSeed).
type ModelSource struct {
	Path      string
	SynthArch string
	SynthSeed uint64
}

// CacheDir returns tomebench's cache folder: $XDG_CACHE_HOME/tomebench or
// ~/.cache/tomebench.
func CacheDir() (string, error) {
	conv, err := pipeline.DefaultCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Dir(conv), nil
}

// ResolveModel returns the folder of the model src on this machine: Path itself, the
// HF-cache snapshot of a repo id, or the synthesised folder cacheDir/synth/<arch>-seed<N>,
// written (atomically) on first use. log, if set, hears about a synthesis.
func ResolveModel(src ModelSource, cacheDir string, log io.Writer) (string, error) {
	if src.SynthArch == "" {
		dir, err := diffusers.Resolve(src.Path)
		if err != nil {
			return "", fmt.Errorf("model %s: %w", src.Path, err)
		}
		return dir, nil
	}
	dir := filepath.Join(cacheDir, "synth", fmt.Sprintf("%s-seed%d", src.SynthArch, src.SynthSeed))
	if isFile(filepath.Join(dir, "model_index.json")) {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("runner: %w", err)
	}
	if log != nil {
		fmt.Fprintf(log, "synthesising a random-weight %s model (seed %d) into %s\n", src.SynthArch, src.SynthSeed, dir)
	}
	if _, err := models.Synth(dir, models.SynthOptions{Arch: src.SynthArch, Seed: src.SynthSeed}); err != nil {
		// Another shard may have written it meanwhile.
		if isFile(filepath.Join(dir, "model_index.json")) {
			return dir, nil
		}
		return "", fmt.Errorf("runner: synthesising %s: %w", src.SynthArch, err)
	}
	return dir, nil
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
