package ort

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// gpuTarball is the npm package that carries the CUDA 13 execution provider built for
// ONNX Runtime 1.29.0 (github.com/asus4/onnxruntime-unity, Unity package layout).
var gpuTarball = struct{ spec, sha string }{
	spec: "com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9",
	sha:  "2b459e0c17f340c92970c10ed86de4f37a3009f93c14053e6ad4334cbb6be412",
}

// gpuFiles are the files InstallGPU puts side by side: the core library of
// onnxruntime-node (built with the CUDA provider bridge) and the two provider
// libraries of gpuTarball, each with its sha256.
var gpuFiles = []struct{ name, member, sha string }{
	{LibraryName, ortPin.member, ortPin.libSHA},
	{"libonnxruntime_providers_shared.so", "package/Plugins/Linux/x64/libonnxruntime_providers_shared.so", "c6a12593396095f5670160e284c35d1700b7708cf3037b7042e2a5200ccae772"},
	{"libonnxruntime_providers_cuda.so", "package/Plugins/Linux/x64/libonnxruntime_providers_cuda.so", "56cf3254b118ad837ccc4ed8f6d1b23504bbf7ef91b34cbc0b289cb7f10b3037"},
}

// GPUCacheDir returns the folder InstallGPU installs into: CacheDir with "-gpu".
func GPUCacheDir() (string, error) {
	d, err := CacheDir()
	if err != nil {
		return "", err
	}
	return d + "-gpu", nil
}

// InstallGPU installs ONNX Runtime 1.29.0 with its CUDA execution provider into
// GPUCacheDir and returns the path of its libonnxruntime.so.1 (point ONNXRUNTIME_LIB
// at it). The two npm tarballs (onnxruntime-node@1.29.0 and
// com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9) come from `npm pack
// --ignore-scripts`, or, when from is set, from that folder (for machines without the
// registry); each tarball and each file taken from it must have its pinned sha256.
// The provider also needs CUDA 13 and cuDNN 9 libraries on the loader path:
// CUDARequirements lists them.
func InstallGPU(ctx context.Context, log io.Writer, from string) (string, error) {
	if log == nil {
		log = io.Discard
	}
	dst, err := GPUCacheDir()
	if err != nil {
		return "", err
	}
	lib := filepath.Join(dst, LibraryName)
	ok := true
	for _, f := range gpuFiles {
		if sum, err := fileSHA256(filepath.Join(dst, f.name)); err != nil || sum != f.sha {
			ok = false
		}
	}
	if ok {
		fmt.Fprintf(log, "ort: %s already installed (sha256 ok)\n", dst)
		return lib, nil
	}
	tmp, err := os.MkdirTemp("", "tomebench-ort-gpu-*")
	if err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	}
	defer os.RemoveAll(tmp)
	tarballs := map[string]string{}
	for _, t := range []struct{ spec, sha string }{{ortPin.spec, ortPin.tarballSHA}, gpuTarball} {
		name := strings.ReplaceAll(t.spec, "@", "-") + ".tgz"
		path := filepath.Join(from, name)
		if from == "" {
			fmt.Fprintf(log, "ort: npm pack %s\n", t.spec)
			cmd := exec.CommandContext(ctx, "npm", "pack", "--ignore-scripts", "--silent", t.spec)
			cmd.Dir = tmp
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = io.Discard, &stderr
			if err := cmd.Run(); err != nil {
				return "", fmt.Errorf("ort: install: npm pack %s: %v: %s", t.spec, err, strings.TrimSpace(stderr.String()))
			}
			path = filepath.Join(tmp, name)
		}
		sum, err := fileSHA256(path)
		if err != nil {
			return "", fmt.Errorf("ort: install: %w", err)
		}
		if sum != t.sha {
			return "", fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksum, path, sum, t.sha)
		}
		fmt.Fprintf(log, "ort: %s sha256 ok\n", filepath.Base(path))
		tarballs[t.spec] = path
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", fmt.Errorf("ort: install: %w", err)
	}
	for i, f := range gpuFiles {
		src := tarballs[gpuTarball.spec]
		if i == 0 {
			src = tarballs[ortPin.spec]
		}
		part, err := os.CreateTemp(dst, ".part-*")
		if err != nil {
			return "", fmt.Errorf("ort: install: %w", err)
		}
		sum, err := extractMember(src, f.member, part)
		if cerr := part.Close(); err == nil {
			err = cerr
		}
		if err == nil && sum != f.sha {
			err = fmt.Errorf("%w: %s in %s has sha256 %s, want %s", ErrChecksum, f.member, filepath.Base(src), sum, f.sha)
		}
		if err == nil {
			err = os.Chmod(part.Name(), 0o755)
		}
		if err == nil {
			err = os.Rename(part.Name(), filepath.Join(dst, f.name))
		}
		if err != nil {
			os.Remove(part.Name())
			return "", fmt.Errorf("ort: install: %w", err)
		}
	}
	fmt.Fprintf(log, "ort: installed %s (sha256 ok); export %s=%s\n", dst, EnvLibrary, lib)
	return lib, nil
}

// A Requirement is one shared library the CUDA provider loads, and where the loader
// would find it ("" when it would not).
type Requirement struct {
	Name  string
	Found string
}

// cudaNeeds are the libraries libonnxruntime_providers_cuda.so of ONNX Runtime 1.29.0
// (CUDA 13 build) needs: its DT_NEEDED entries beyond libc, and cuDNN 9, which it
// opens at run time.
var cudaNeeds = []string{"libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"}

// CUDARequirements reports, for each library the CUDA provider needs, where it lies
// on LD_LIBRARY_PATH or in the loader cache (ldconfig -p), so that doctor can say
// what is missing before a session fails.
func CUDARequirements() []Requirement {
	cache := map[string]string{}
	if out, err := exec.Command("ldconfig", "-p").Output(); err == nil {
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			name, rest, ok := strings.Cut(l, " ")
			if _, path, ok2 := strings.Cut(rest, "=> "); ok && ok2 {
				if _, seen := cache[name]; !seen {
					cache[name] = strings.TrimSpace(path)
				}
			}
		}
	}
	var out []Requirement
	for _, n := range cudaNeeds {
		r := Requirement{Name: n}
		for _, d := range filepath.SplitList(os.Getenv("LD_LIBRARY_PATH")) {
			if d != "" {
				if _, err := os.Stat(filepath.Join(d, n)); err == nil {
					r.Found = filepath.Join(d, n)
					break
				}
			}
		}
		if r.Found == "" {
			r.Found = cache[n]
		}
		out = append(out, r)
	}
	return out
}

// MissingCUDAProviderLibs returns the CUDA provider libraries missing beside the
// loaded library (or LibraryPath's when none is loaded).
func MissingCUDAProviderLibs() []string {
	lib := LoadedLibrary()
	if lib == "" {
		lib, _ = LibraryPath()
	}
	if lib == "" {
		return cudaProviderLibs
	}
	return missingProviderLibs(lib, cudaProviderLibs)
}
