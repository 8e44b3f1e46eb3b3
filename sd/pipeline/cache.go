package pipeline

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// convertVersion names the conversion recipe in the cache key; change it when the
// converted folders change meaning.
const convertVersion = "tomebench-convert/2" // 2: vae_encoder/ added

// DefaultCacheDir returns where converted diffusers folders are kept:
// $XDG_CACHE_HOME/tomebench/converted, or ~/.cache/tomebench/converted.
func DefaultCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("pipeline: locating the cache folder: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "tomebench", "converted"), nil
}

// cachedComponents are the parts of a diffusers folder that a conversion reads.
var cachedComponents = []string{"model_index.json", "unet", "text_encoder", "vae", "tokenizer", "scheduler",
	"text_encoder_2", "tokenizer_2"} // SDXL's second encoder; absent elsewhere, so SD 1.x/2.x keys are unchanged

// ContentKey returns the cache key of the diffusers folder dir converted at precision:
// the SHA-256, in hex, of the conversion recipe's version, the precision and, for every
// file of model_index.json, unet/, text_encoder/, vae/, tokenizer/ and scheduler/ in
// path order, its relative path and
//
//   - for .safetensors files: the size, the modification time (ns) and the safetensors
//     header (tensor names, dtypes, shapes and offsets) — not the content, which would
//     mean reading gigabytes on every Open;
//   - for every other file (configs, vocabulary, merges): the content.
//
// So a copied or re-saved weights file is converted again (new mtime), while an edit
// that keeps a weights file's size, header and mtime is not noticed: remove the cache
// folder after such an edit. Symbolic links (Hugging Face cache snapshots) are followed.
func ContentKey(dir, precision string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", convertVersion, precision)
	var files []string
	for _, c := range cachedComponents {
		root := filepath.Join(dir, c)
		st, err := os.Stat(root)
		if err != nil {
			continue // absent components are caught by the conversion
		}
		if !st.IsDir() {
			files = append(files, c)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				rel, _ := filepath.Rel(dir, p)
				files = append(files, rel)
			}
			return nil
		})
		if err != nil {
			return "", &FolderError{Path: root, Msg: "cannot list files", Err: err}
		}
	}
	slices.Sort(files)
	for _, rel := range files {
		if err := hashFile(h, dir, rel); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile adds one file's path and identity to h (see ContentKey).
func hashFile(h io.Writer, dir, rel string) error {
	p := filepath.Join(dir, rel)
	st, err := os.Stat(p)
	if err != nil {
		return &FolderError{Path: p, Msg: "cannot read", Err: err}
	}
	if st.IsDir() {
		return nil // a link to a folder: its files are not part of the layout
	}
	fmt.Fprintf(h, "%s\x00", filepath.ToSlash(rel))
	f, err := os.Open(p)
	if err != nil {
		return &FolderError{Path: p, Msg: "cannot read", Err: err}
	}
	defer f.Close()
	if !strings.HasSuffix(rel, ".safetensors") {
		fmt.Fprintf(h, "content %d\x00", st.Size())
		if _, err := io.Copy(h, f); err != nil {
			return &FolderError{Path: p, Msg: "cannot read", Err: err}
		}
		return nil
	}
	fmt.Fprintf(h, "weights %d %d\x00", st.Size(), st.ModTime().UnixNano())
	var n [8]byte
	if _, err := io.ReadFull(f, n[:]); err != nil {
		return &FolderError{Path: p, Msg: "not a safetensors file (no header length)", Err: err}
	}
	hl := binary.LittleEndian.Uint64(n[:])
	if hl > uint64(st.Size())-8 || hl > 100<<20 {
		return &FolderError{Path: p, Msg: fmt.Sprintf("not a safetensors file (header length %d, file size %d)", hl, st.Size())}
	}
	if _, err := io.CopyN(h, f, int64(hl)); err != nil {
		return &FolderError{Path: p, Msg: "cannot read safetensors header", Err: err}
	}
	return nil
}

// A cacheStamp is written into each converted folder as source.json, for people
// wondering where a cache entry came from.
type cacheStamp struct {
	Source    string `json:"source"`
	Precision string `json:"precision"`
	Attention string `json:"attention,omitempty"`
	Key       string `json:"key"`
	Recipe    string `json:"recipe"`
}

// ConvertedDir returns the ONNX folder converted from the diffusers folder dir at
// opts.Precision (fp32 when unset) with opts.Attention's attention: <cache>/<key>/
// where key is ContentKey (of the precision, "+fused-attention" appended for fused
// attention), converting it first when absent. The conversion is written to a
// temporary folder in the cache and renamed into place, so an interrupted conversion
// leaves nothing behind and concurrent processes agree on the result.
func ConvertedDir(dir string, opts Options) (string, error) {
	prec := opts.Precision
	if prec == "" {
		prec = "fp32"
	}
	fused := opts.Attention == AttentionFused
	variant := prec
	if fused {
		variant += "+fused-attention" // plain keys stay as they were
	}
	key, err := ContentKey(dir, variant)
	if err != nil {
		return "", err
	}
	root := opts.CacheDir
	if root == "" {
		if root, err = DefaultCacheDir(); err != nil {
			return "", err
		}
	}
	final := filepath.Join(root, key[:32])
	if isFile(filepath.Join(final, "source.json")) {
		return final, nil
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("pipeline: creating cache folder: %w", err)
	}
	tmp, err := os.MkdirTemp(root, ".converting-"+key[:12]+"-")
	if err != nil {
		return "", fmt.Errorf("pipeline: creating cache folder: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up after a failure
	if err := convertDiffusers(dir, tmp, prec == "fp16", fused); err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(dir)
	stamp := cacheStamp{Source: abs, Precision: prec, Key: key, Recipe: convertVersion}
	if fused {
		stamp.Attention = AttentionFused
	}
	stampJSON, _ := json.MarshalIndent(stamp, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "source.json"), append(stampJSON, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("pipeline: writing cache stamp: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		if isFile(filepath.Join(final, "source.json")) {
			return final, nil // another process finished first
		}
		return "", fmt.Errorf("pipeline: moving conversion into the cache: %w", err)
	}
	return final, nil
}
