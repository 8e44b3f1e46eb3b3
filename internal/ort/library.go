package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Version pins of the ONNX Runtime build that tomebench installs.
const (
	// ORTVersion is the ONNX Runtime release that Install provides.
	ORTVersion = "1.29.0"
	// LibraryName is the file name of the ONNX Runtime shared library.
	LibraryName = "libonnxruntime.so.1"
	// EnvLibrary names the environment variable that overrides the library
	// location (for example to point at a GPU build of ONNX Runtime).
	EnvLibrary = "ONNXRUNTIME_LIB"
	// InstallCommand is the command a user runs to fill the per-user cache.
	InstallCommand = "tomebench install-ort"
	// InstallScript is the shell alternative to InstallCommand for users
	// without a Go toolchain or tomebench binary.
	InstallScript = "scripts/install-ort.sh"
)

// ErrLibraryMissing is wrapped by LibraryPath's error when no library was
// found; test with errors.Is.
var ErrLibraryMissing = errors.New("ort: ONNX Runtime library not found")

// CacheDir returns the per-user folder that holds the installed library:
// $XDG_CACHE_HOME/tomebench/onnxruntime-1.29.0, or ~/.cache/... when
// XDG_CACHE_HOME is unset or not absolute.
func CacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" || !filepath.IsAbs(base) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("ort: locating the cache folder: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "tomebench", "onnxruntime-"+ORTVersion), nil
}

// CachedLibraryPath returns where Install puts the library, whether or not
// it is there.
func CachedLibraryPath() (string, error) {
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, LibraryName), nil
}

// LibraryPath returns the ONNX Runtime shared library to load: the file named
// by $ONNXRUNTIME_LIB when set (it must exist), else the cached copy from
// CachedLibraryPath. When neither exists the error wraps ErrLibraryMissing
// and names the command that installs the library.
func LibraryPath() (string, error) {
	if p := os.Getenv(EnvLibrary); p != "" {
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("%w: %s=%s: %v (unset it to use the cached copy installed by `%s`)",
				ErrLibraryMissing, EnvLibrary, p, err, InstallCommand)
		}
		if st.IsDir() {
			return "", fmt.Errorf("%w: %s=%s is a folder; it must name the library file %s",
				ErrLibraryMissing, EnvLibrary, p, LibraryName)
		}
		return p, nil
	}
	p, err := CachedLibraryPath()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%w at %s: install it with `%s` (or `%s`; needs npm and network access to the npm registry), or set %s to an existing %s",
			ErrLibraryMissing, p, InstallCommand, InstallScript, EnvLibrary, LibraryName)
	}
	return p, nil
}
