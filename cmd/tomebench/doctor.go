package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/tomebench/tomebench/fid"
	"github.com/tomebench/tomebench/internal/measure"
	"github.com/tomebench/tomebench/internal/ort"
)

var doctorCommand = &command{
	name:    "doctor",
	summary: "Report the ONNX Runtime library, its version and execution providers, and the machine.",
	run:     runDoctor,
}

func runDoctor(e *env, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args); err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "go:            %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(w, "cpu:           %s (%d logical cores)\n", measure.CPUModel(), runtime.NumCPU())
	fmt.Fprintf(w, "fid linalg:    %s\n", fid.Backend())
	lib, err := ort.LibraryPath()
	if err != nil {
		fmt.Fprintf(w, "onnxruntime:   not found\n")
		return err
	}
	if err := ort.Init(); err != nil {
		fmt.Fprintf(w, "onnxruntime:   %s (cannot load)\n", lib)
		return err
	}
	fmt.Fprintf(w, "onnxruntime:   %s\n", ort.Version())
	fmt.Fprintf(w, "library:       %s\n", ort.LoadedLibrary())
	fmt.Fprintf(w, "providers:     %s\n", strings.Join(ort.Providers(), ", "))
	doctorCUDA(w)
	return nil
}

// doctorCUDA says what the CUDA execution provider needs and what is missing.
func doctorCUDA(w io.Writer) {
	var missing []string
	if m := ort.MissingCUDAProviderLibs(); len(m) > 0 {
		fmt.Fprintf(w, "cuda provider: missing %s (run 'tomebench install-ort --gpu' and set %s to what it prints)\n", strings.Join(m, ", "), ort.EnvLibrary)
	} else {
		fmt.Fprintf(w, "cuda provider: libraries beside %s\n", ort.LoadedLibrary())
	}
	for _, r := range ort.CUDARequirements() {
		if r.Found == "" {
			missing = append(missing, r.Name)
		} else {
			fmt.Fprintf(w, "  needs %-18s %s\n", r.Name, r.Found)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(w, "  missing:       %s (CUDA 13 runtime, cuBLAS, cuRAND, cuDNN 9 and the NVIDIA driver on LD_LIBRARY_PATH; a CUDA 13 PyTorch install carries them in site-packages/nvidia/*/lib)\n", strings.Join(missing, ", "))
	}
}

var installORTCommand = &command{
	name:    "install-ort",
	summary: "Install the pinned CPU build of ONNX Runtime into the per-user cache (via npm pack), unless one is already found.",
	run:     runInstallORT,
}

func runInstallORT(e *env, fs *flag.FlagSet, args []string) error {
	force := fs.Bool("force", false, "reinstall even if a library is found")
	gpu := fs.Bool("gpu", false, "install ONNX Runtime 1.29.0 with the CUDA 13 provider (onnxruntime-node's core library + the provider libraries of com.github.asus4.onnxruntime.linux-x64-gpu@0.4.9) beside the CPU one")
	from := fs.String("from", "", "with --gpu: take the two npm tarballs from this `folder` instead of npm pack")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if *gpu {
		lib, err := ort.InstallGPU(context.Background(), e.stderr, *from)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "onnxruntime (cuda): installed %s\nexport %s=%s\n", lib, ort.EnvLibrary, lib)
		return nil
	}
	if !*force {
		if lib, err := ort.LibraryPath(); err == nil {
			fmt.Fprintf(e.stdout, "onnxruntime: found %s\n", lib)
			return nil
		}
	}
	lib, err := ort.Install(context.Background(), e.stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "onnxruntime: installed %s\n", lib)
	return nil
}
