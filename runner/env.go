package runner

import (
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tomebench/tomebench/experiments"
	"github.com/tomebench/tomebench/internal/measure"
	"github.com/tomebench/tomebench/internal/ort"
)

// environment describes this machine and build for records/env<S>.json.
func environment(provider string, threads int) experiments.Environment {
	host, _ := os.Hostname()
	e := experiments.Environment{
		Hostname:    host,
		OS:          runtime.GOOS + "/" + runtime.GOARCH,
		CPU:         measure.CPUModel(),
		Cores:       runtime.NumCPU(),
		MemoryBytes: measure.MemTotal(),
		Provider:    provider,
		Threads:     threads,
		Session:     ort.SessionOptions{}.MemorySettings(),
		ORTVersion:  ortVersion(),
		GoVersion:   runtime.Version(),
		Commit:      Commit(),
		Started:     time.Now().UTC().Format(time.RFC3339),
	}
	if provider == "cuda" {
		e.GPU = measure.GPUName()
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
