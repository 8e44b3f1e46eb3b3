package ort

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// ProfileFiles returns the trace files that sessions opened with
// SessionOptions.Profile = prefix wrote (ONNX Runtime appends a timestamp
// and ".json"), oldest name first.
func ProfileFiles(prefix string) ([]string, error) {
	m, err := filepath.Glob(prefix + "*.json")
	if err != nil {
		return nil, fmt.Errorf("ort: profile files %s*: %w", prefix, err)
	}
	sort.Strings(m)
	return m, nil
}

// A NodeTime is the kernel time of one node in one run, from a profile.
type NodeTime struct {
	Node   string // the node's name in the (optimised) graph
	Op     string // its operator
	Micros int64  // kernel time in microseconds
}

// A ProfiledRun is one Run of a profiled session: its wall time and the kernel
// time of each node it ran.
type ProfiledRun struct {
	Micros int64
	Nodes  []NodeTime
}

// ReadProfile reads an ONNX Runtime profile (Chrome trace JSON) and returns its
// runs in order: each "model_run" session event with the "Node" events of
// category kernel_time that lie inside it.
func ReadProfile(path string) ([]ProfiledRun, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ort: reading profile: %w", err)
	}
	var evs []struct {
		Cat  string `json:"cat"`
		Name string `json:"name"`
		TS   int64  `json:"ts"`
		Dur  int64  `json:"dur"`
		Args struct {
			OpName string `json:"op_name"`
		} `json:"args"`
	}
	if err := json.Unmarshal(b, &evs); err != nil {
		return nil, fmt.Errorf("ort: profile %s: %w", path, err)
	}
	var runs []ProfiledRun
	var spans [][2]int64
	for _, e := range evs {
		if e.Cat == "Session" && e.Name == "model_run" {
			runs = append(runs, ProfiledRun{Micros: e.Dur})
			spans = append(spans, [2]int64{e.TS, e.TS + e.Dur})
		}
	}
	const suffix = "_kernel_time"
	for _, e := range evs {
		if e.Cat != "Node" || len(e.Name) <= len(suffix) || e.Name[len(e.Name)-len(suffix):] != suffix {
			continue
		}
		for i, s := range spans {
			if e.TS >= s[0] && e.TS <= s[1] {
				runs[i].Nodes = append(runs[i].Nodes, NodeTime{Node: e.Name[:len(e.Name)-len(suffix)], Op: e.Args.OpName, Micros: e.Dur})
				break
			}
		}
	}
	return runs, nil
}

// ArenaConfig configures the process-wide CPU memory arena that
// RegisterCPUArena registers (ONNX Runtime's OrtArenaCfg).
type ArenaConfig struct {
	// MaxMem caps the arena in bytes; 0 leaves it unlimited. An allocation
	// beyond it fails the Run.
	MaxMem int64
	// SameAsRequested grows the arena by exactly what an allocation needs
	// (kSameAsRequested) instead of ONNX Runtime's default, doubling the
	// last extension (kNextPowerOfTwo).
	SameAsRequested bool
}

var arenaOnce struct {
	sync.Mutex
	done bool
	cfg  ArenaConfig
}

// RegisterCPUArena registers a CPU allocator with an arena configured by cfg
// in the process-wide environment; sessions opened with
// SessionOptions.EnvAllocators then share it. It calls Init first. One arena
// per process: a second call with a different cfg is an error.
func RegisterCPUArena(cfg ArenaConfig) error {
	if err := Init(); err != nil {
		return err
	}
	arenaOnce.Lock()
	defer arenaOnce.Unlock()
	if arenaOnce.done {
		if arenaOnce.cfg != cfg {
			return fmt.Errorf("ort: a CPU arena with %+v is registered already; want %+v", arenaOnce.cfg, cfg)
		}
		return nil
	}
	strategy := 0 // kNextPowerOfTwo
	if cfg.SameAsRequested {
		strategy = 1
	}
	ac, err := onnxruntime.NewArenaCfg(int(cfg.MaxMem), strategy, -1, -1)
	if err != nil {
		return fmt.Errorf("ort: arena config: %w", err)
	}
	defer ac.Destroy()
	mi, err := onnxruntime.GetMemoryInfo()
	if err != nil {
		return fmt.Errorf("ort: memory info: %w", err)
	}
	if err := onnxruntime.CreateAndRegisterAllocator(mi, ac); err != nil {
		return fmt.Errorf("ort: registering the CPU arena: %w", err)
	}
	arenaOnce.done, arenaOnce.cfg = true, cfg
	return nil
}
