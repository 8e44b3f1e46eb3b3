package checkpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// cacheRecipe names the conversion recipe in cache keys; change it when ToONNX's output
// changes meaning.
const cacheRecipe = "tomebench-checkpoint/1"

// ContentKey returns the cache key of converting the checkpoint at path with opt: the
// SHA-256 of the recipe, the options that change the result (architecture source and
// its files' content, prediction type, EMA, fp16, opset, image size) and the
// checkpoint's identity — its size, modification time and
//
//   - for .safetensors, its header (every tensor's name, dtype, shape and offsets);
//   - for torch zips, the last 64 KiB, which hold the zip's central directory with the
//     CRC-32 of every stored tensor, and the first 64 KiB.
//
// Reading gigabytes on every generate is avoided; a file rewritten in place with the
// same size, mtime and header would not be noticed (remove the cache folder then).
func ContentKey(path string, opt Options) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00pred=%s\x00noema=%v\x00fp16=%v\x00fp32io=%v\x00opset=%d\x00size=%d\x00", cacheRecipe, opt.PredictionType, opt.NoEMA,
		opt.Models.Float16, opt.Models.Float32IO, opt.Models.Opset, opt.ImageSize)
	var files []string
	if opt.OriginalConfig != "" {
		files = append(files, opt.OriginalConfig)
	}
	if opt.ConfigDir != "" {
		for _, c := range []string{"unet/config.json", "vae/config.json", "text_encoder/config.json", "scheduler/scheduler_config.json", "tokenizer/vocab.json", "tokenizer/merges.txt"} {
			files = append(files, filepath.Join(opt.ConfigDir, c))
		}
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", &Error{Path: f, Msg: "cannot read", Err: err}
		}
		fmt.Fprintf(h, "%s %d\x00", filepath.Base(f), len(b))
		h.Write(b)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", &Error{Path: path, Msg: "cannot open checkpoint", Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", &Error{Path: path, Msg: "cannot stat checkpoint", Err: err}
	}
	fmt.Fprintf(h, "ckpt %d %d\x00", st.Size(), st.ModTime().UnixNano())
	var n [8]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return "", &Error{Path: path, Msg: "checkpoint too short", Err: err}
	}
	if hl := binary.LittleEndian.Uint64(n[:]); filepath.Ext(path) == ".safetensors" && hl <= uint64(st.Size())-8 && hl < 100<<20 {
		if _, err := io.CopyN(h, f, int64(hl)); err != nil {
			return "", &Error{Path: path, Msg: "cannot read the safetensors header", Err: err}
		}
	} else {
		for _, off := range []int64{0, max(st.Size()-64<<10, 0)} {
			if _, err := io.Copy(h, io.NewSectionReader(f, off, 64<<10)); err != nil {
				return "", &Error{Path: path, Msg: "cannot read", Err: err}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DefaultCacheDir is where ConvertedDir keeps conversions when none is given:
// $XDG_CACHE_HOME/tomebench/converted or ~/.cache/tomebench/converted (shared with
// pipeline.ConvertedDir; entries are named ckpt-<key>).
func DefaultCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "tomebench", "converted"), nil
}

// ConvertedDir returns the ONNX folder converted from the checkpoint at path with opt
// (ToONNX), kept in cacheDir ("" for DefaultCacheDir) under ckpt-<ContentKey>,
// converting it first when absent. The conversion is written beside its final place
// and renamed into it, so concurrent processes agree and an interruption leaves
// nothing. opt.Log hears about the architecture only when a conversion runs.
func ConvertedDir(path string, opt Options, cacheDir string) (string, error) {
	key, err := ContentKey(path, opt)
	if err != nil {
		return "", err
	}
	if cacheDir == "" {
		if cacheDir, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	final := filepath.Join(cacheDir, "ckpt-"+key[:32])
	if _, err := os.Stat(filepath.Join(final, "source.json")); err == nil {
		return final, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(cacheDir, ".converting-ckpt-"+key[:12]+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "onnx")
	l, err := ToONNX(path, out, opt)
	if err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(path)
	stamp, _ := json.MarshalIndent(map[string]any{"source": abs, "key": key, "recipe": cacheRecipe,
		"architecture": l.Arch.Describe(), "notes": l.Arch.Notes, "unet_weights": l.File.WeightsUsed()}, "", "  ")
	if err := os.WriteFile(filepath.Join(out, "source.json"), append(stamp, '\n'), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(out, final); err != nil {
		if _, serr := os.Stat(filepath.Join(final, "source.json")); serr == nil {
			return final, nil
		}
		return "", err
	}
	return final, nil
}
