package ort

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tomebench/tomebench/internal/fsutil"
)

// A pin names one npm package and the one file taken from it, with the
// checksums both must have.
type pin struct {
	spec       string // npm package spec, name@version
	tarballSHA string // sha256 of the .tgz that npm pack writes
	member     string // path of the library inside the tarball
	libSHA     string // sha256 of that member
}

// ortPin is the CPU build of ONNX Runtime 1.29.0 shipped in onnxruntime-node.
var ortPin = pin{
	spec:       "onnxruntime-node@" + ORTVersion,
	tarballSHA: "cfdfb45ec4044b1fdca43e5d2e180fb6817e649ff8ad1e0dfc90e18e51b67037",
	member:     "package/bin/napi-v6/linux/x64/" + LibraryName,
	libSHA:     "89688f5cf51c7e31befbb7b9101bc027799009b18d1baa9a5b1146a72e69538d",
}

// ErrChecksum is wrapped by Install's error when a download does not have
// its pinned sha256.
var ErrChecksum = errors.New("ort: sha256 mismatch")

// Install puts the pinned CPU build of libonnxruntime.so.1 into the per-user
// cache and returns its path. It runs `npm pack onnxruntime-node@1.29.0` in
// a temporary folder (never npm install: the package's install script
// downloads GPU parts from elsewhere), checks the tarball's sha256, extracts
// only the library, checks its sha256 and renames it into place, so that a
// reader never sees a partial file. Progress lines go to log (may be nil).
// An already installed library with the right checksum is kept as is.
func Install(ctx context.Context, log io.Writer) (string, error) {
	dst, err := CachedLibraryPath()
	if err != nil {
		return "", err
	}
	return installPin(ctx, log, ortPin, dst)
}

func installPin(ctx context.Context, log io.Writer, p pin, dst string) (string, error) {
	if log == nil {
		log = io.Discard
	}
	if sum, err := fileSHA256(dst); err == nil && sum == p.libSHA {
		fmt.Fprintf(log, "ort: %s already installed (sha256 ok)\n", dst)
		return dst, nil
	}
	tmp, err := os.MkdirTemp("", "tomebench-ort-*")
	if err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	}
	defer os.RemoveAll(tmp)

	fmt.Fprintf(log, "ort: npm pack %s\n", p.spec)
	cmd := exec.CommandContext(ctx, "npm", "pack", "--ignore-scripts", "--silent", p.spec)
	cmd.Dir = tmp
	var stderr strings.Builder
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ort: install: npm pack %s: %v: %s", p.spec, err, strings.TrimSpace(stderr.String()))
	}
	tgzs, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(tgzs) != 1 {
		return "", fmt.Errorf("ort: install: npm pack %s left %d .tgz files in %s, want 1", p.spec, len(tgzs), tmp)
	}
	if sum, err := fileSHA256(tgzs[0]); err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	} else if sum != p.tarballSHA {
		return "", fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksum, filepath.Base(tgzs[0]), sum, p.tarballSHA)
	}
	fmt.Fprintf(log, "ort: %s sha256 ok\n", filepath.Base(tgzs[0]))

	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	}
	part, err := os.CreateTemp(filepath.Dir(dst), ".part-*")
	if err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	}
	defer os.Remove(part.Name()) // no-op after the rename
	sum, err := extractMember(tgzs[0], p.member, part)
	if cerr := part.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	}
	if sum != p.libSHA {
		return "", fmt.Errorf("%w: %s in %s has sha256 %s, want %s", ErrChecksum, p.member, filepath.Base(tgzs[0]), sum, p.libSHA)
	}
	if err := os.Chmod(part.Name(), 0o644); err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	}
	if err := os.Rename(part.Name(), dst); err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	}
	fmt.Fprintf(log, "ort: installed %s (sha256 ok)\n", dst)
	return dst, nil
}

// extractMember copies the regular file named member out of the gzipped tar
// at tgz into w and returns the sha256 of what it copied.
func extractMember(tgz, member string, w io.Writer) (string, error) {
	f, err := os.Open(tgz)
	if err != nil {
		return "", err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("%s: %w", tgz, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "", fmt.Errorf("%s: no file %s in the archive", tgz, member)
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", tgz, err)
		}
		if h.Name != member {
			continue
		}
		if h.Typeflag != tar.TypeReg {
			return "", fmt.Errorf("%s: %s is not a regular file (type %q)", tgz, member, h.Typeflag)
		}
		hash := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, hash), tr); err != nil {
			return "", fmt.Errorf("%s: extracting %s: %w", tgz, member, err)
		}
		return hex.EncodeToString(hash.Sum(nil)), nil
	}
}

// fileSHA256 returns the hex sha256 of the file at path.
func fileSHA256(path string) (string, error) { return fsutil.SHA256(path) }
