package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/tomebench/tomebench/fid"
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
	fmt.Fprintf(w, "cpu:           %s (%d logical cores)\n", cpuModel(), runtime.NumCPU())
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
	return nil
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

var installORTCommand = &command{
	name:    "install-ort",
	summary: "Install the pinned CPU build of ONNX Runtime into the per-user cache (via npm pack), unless one is already found.",
	run:     runInstallORT,
}

func runInstallORT(e *env, fs *flag.FlagSet, args []string) error {
	force := fs.Bool("force", false, "reinstall even if a library is found")
	if _, err := parse(fs, args); err != nil {
		return err
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
