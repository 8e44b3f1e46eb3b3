package runner

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/internal/ort"
)

// environment describes this machine and build for records/env<S>.json.
func environment(provider string, threads int) experiments.Environment {
	host, _ := os.Hostname()
	e := experiments.Environment{
		Hostname:    host,
		OS:          runtime.GOOS + "/" + runtime.GOARCH,
		CPU:         cpuModel(),
		Cores:       runtime.NumCPU(),
		MemoryBytes: memTotal(),
		Provider:    provider,
		Threads:     threads,
		ORTVersion:  ortVersion(),
		GoVersion:   runtime.Version(),
		Commit:      Commit(),
		Started:     time.Now().UTC().Format(time.RFC3339),
	}
	if provider == "cuda" {
		e.GPU = gpuName()
	}
	return e
}

func ortVersion() string {
	if err := ort.Init(); err != nil {
		return "unavailable: " + err.Error()
	}
	return ort.Version()
}

// Commit returns the VCS revision this binary was built from (with "+dirty" when the
// tree had changes), from the build info that `go build` stamps; failing that, git's
// HEAD in the current folder; else "unknown".
func Commit() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			if dirty {
				rev += "+dirty"
			}
			return rev
		}
	}
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	if err := exec.Command("git", "diff", "--quiet", "HEAD").Run(); err != nil {
		rev += "+dirty"
	}
	return rev
}

// cpuModel is /proc/cpuinfo's first "model name".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// memTotal is /proc/meminfo's MemTotal in bytes (0 when unknown).
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n * 1024
		}
	}
	return 0
}

// gpuName asks nvidia-smi for the GPU's name ("" when there is none).
func gpuName() string {
	out, err := exec.Command("nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
