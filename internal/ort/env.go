package ort

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// The runtime is process-wide: one library, one environment.
var env struct {
	mu      sync.Mutex
	ready   bool
	libPath string
}

// Init loads the ONNX Runtime library found by LibraryPath and creates the
// process-wide environment. It is idempotent and safe for concurrent use;
// after a failure (for example a missing library) a later call tries again.
func Init() error {
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.ready {
		return nil
	}
	p, err := LibraryPath()
	if err != nil {
		return err
	}
	if onnxruntime.IsInitialized() {
		// Someone initialised the binding directly; adopt it.
		env.ready, env.libPath = true, p
		return nil
	}
	onnxruntime.SetSharedLibraryPath(p)
	if err := onnxruntime.InitializeEnvironment(onnxruntime.WithLogLevelError()); err != nil {
		return fmt.Errorf("ort: initialising ONNX Runtime from %s: %w", p, err)
	}
	env.ready, env.libPath = true, p
	return nil
}

// LoadedLibrary returns the path of the library Init loaded, or "" before a
// successful Init.
func LoadedLibrary() string {
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.libPath
}

// Version returns the ONNX Runtime version string (for example "1.29.0"),
// calling Init first; it returns "" when the runtime cannot be initialised.
func Version() string {
	if Init() != nil {
		return ""
	}
	return onnxruntime.GetVersion()
}

// Provider names accepted by SessionOptions.Provider and listed by Providers.
const (
	ProviderCPU  = "cpu"
	ProviderCUDA = "cuda"
)

// cudaProviderLibs are the files that a GPU build of ONNX Runtime keeps
// beside libonnxruntime.so for the CUDA execution provider.
var cudaProviderLibs = []string{"libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"}

// Providers lists the execution providers the library offers: always
// ProviderCPU, and ProviderCUDA when the CUDA provider libraries lie beside
// the library (onnxruntime_go does not expose GetAvailableProviders, and the
// providers are separate shared objects in ONNX Runtime's GPU release). It
// uses the loaded library, else LibraryPath's; with neither it lists CPU
// only. A listed CUDA provider may still fail to start without a GPU.
func Providers() []string {
	lib := LoadedLibrary()
	if lib == "" {
		lib, _ = LibraryPath()
	}
	ps := []string{ProviderCPU}
	if lib != "" && len(missingProviderLibs(lib, cudaProviderLibs)) == 0 {
		ps = append(ps, ProviderCUDA)
	}
	return ps
}

// missingProviderLibs returns the paths of the files in names that are
// neither beside lib nor beside the file lib links to.
func missingProviderLibs(lib string, names []string) []string {
	dirs := []string{filepath.Dir(lib)}
	if real, err := filepath.EvalSymlinks(lib); err == nil && filepath.Dir(real) != dirs[0] {
		dirs = append(dirs, filepath.Dir(real))
	}
	var missing []string
	for _, n := range names {
		found := false
		for _, d := range dirs {
			if _, err := os.Stat(filepath.Join(d, n)); err == nil {
				found = true
			}
		}
		if !found {
			missing = append(missing, filepath.Join(dirs[0], n))
		}
	}
	return missing
}
