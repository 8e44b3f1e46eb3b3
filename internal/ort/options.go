package ort

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	onnxruntime "github.com/yalue/onnxruntime_go"
)

// OptLevel is ONNX Runtime's graph optimisation level.
type OptLevel int

// Graph optimisation levels; the zero value keeps ONNX Runtime's default
// (which is OptAll).
const (
	OptDefault OptLevel = iota
	OptDisable
	OptBasic
	OptExtended
	OptAll
)

// String returns the level's name as used in configs ("default", "disable",
// "basic", "extended", "all").
func (l OptLevel) String() string {
	switch l {
	case OptDefault:
		return "default"
	case OptDisable:
		return "disable"
	case OptBasic:
		return "basic"
	case OptExtended:
		return "extended"
	case OptAll:
		return "all"
	}
	return "OptLevel(" + strconv.Itoa(int(l)) + ")"
}

// ParseOptLevel reads a level name as written by OptLevel.String.
func ParseOptLevel(s string) (OptLevel, error) {
	for l := OptDefault; l <= OptAll; l++ {
		if strings.EqualFold(s, l.String()) {
			return l, nil
		}
	}
	return 0, fmt.Errorf("ort: unknown graph optimisation level %q (want default, disable, basic, extended or all)", s)
}

// SessionOptions configures a Session. The zero value runs on the CPU with
// ONNX Runtime's default threads and optimisations.
type SessionOptions struct {
	// Threads is the intra-op thread count; 0 keeps ONNX Runtime's default
	// (one per physical core).
	Threads int
	// InterOpThreads is the inter-op thread count; 0 keeps the default.
	InterOpThreads int
	// OptLevel is the graph optimisation level.
	OptLevel OptLevel
	// Provider is ProviderCPU ("cpu", also "") or ProviderCUDA ("cuda").
	Provider string
	// DeviceID is the CUDA device ordinal (ProviderCUDA only).
	DeviceID int
	// ExternalDataDir is the folder holding the external weight files of a
	// model opened from bytes (models over 2 GB keep weights outside the
	// .onnx). Models opened from a path find them beside the file.
	ExternalDataDir string
	// Profile, if set, turns on ONNX Runtime's profiler: every node run is
	// timed and the trace (Chrome trace JSON) is written, when the session
	// closes, to a file whose name starts with Profile (ProfileFiles finds it).
	Profile string
	// NoCPUArena turns the CPU memory arena off (allocations go straight to
	// the system allocator: less memory held, slower on large models).
	NoCPUArena bool
	// MemPattern turns ONNX Runtime's memory patterns on: from the first Run
	// at a shape it records the activation buffers and later Runs take them
	// as one block laid out from that record. Off by default (ONNX Runtime's
	// default is on): on the SD 1.5 UNet (CPU, 512², batch 2) the laid-out
	// block held 2.4 GB more at the peak than the arena's own reuse of freed
	// buffers, and the call was no faster — 8.26 vs 5.87 GB peak, 8.41 vs
	// 7.36 s per call (benchmarks/README.md).
	MemPattern bool
	// Config holds extra session config entries, such as
	// "session.use_device_allocator_for_initializers": "1".
	Config map[string]string
	// EnvAllocators makes the session use the process-wide CPU allocator
	// registered by RegisterCPUArena (session.use_env_allocators).
	EnvAllocators bool
	// GPUMemLimit caps the CUDA provider's memory arena, in bytes
	// (gpu_mem_limit); 0 leaves it unlimited. ProviderCUDA only.
	GPUMemLimit int64
}

// MemorySettings describes the settings that change a session's time and memory,
// for records: "arena=on mem_pattern=off" (and opt=LEVEL when not the default).
// Runs and benchmarks record it so that their memory figures can be compared
// across tomebench versions (memory patterns were on before they were turned off).
func (o SessionOptions) MemorySettings() string {
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	s := fmt.Sprintf("arena=%s mem_pattern=%s", onOff(!o.NoCPUArena), onOff(o.MemPattern))
	if o.OptLevel != OptDefault {
		s += " opt=" + o.OptLevel.String()
	}
	return s
}

// ErrProviderUnavailable is wrapped by the error from opening a session on
// an execution provider that the loaded library lacks.
var ErrProviderUnavailable = errors.New("ort: execution provider unavailable")

// externalFolderKey is the session config entry that tells ONNX Runtime
// where the external data of a model loaded from memory lives.
const externalFolderKey = "session.model_external_initializers_file_folder_path"

// build makes the onnxruntime_go options; forInfo gives the cheap CPU-only
// options used to read a model's inputs and outputs. The caller destroys
// the result.
func (o SessionOptions) build(forInfo bool) (*onnxruntime.SessionOptions, error) {
	so, err := onnxruntime.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("ort: creating session options: %w", err)
	}
	fail := func(what string, err error) (*onnxruntime.SessionOptions, error) {
		so.Destroy()
		return nil, fmt.Errorf("ort: session options: %s: %w", what, err)
	}
	if o.ExternalDataDir != "" {
		if err := so.AddSessionConfigEntry(externalFolderKey, o.ExternalDataDir); err != nil {
			return fail("external data folder", err)
		}
	}
	if forInfo {
		if err := so.SetGraphOptimizationLevel(onnxruntime.GraphOptimizationLevelDisableAll); err != nil {
			return fail("optimisation level", err)
		}
		if err := so.SetIntraOpNumThreads(1); err != nil {
			return fail("threads", err)
		}
		return so, nil
	}
	if o.Profile != "" {
		if err := so.EnableProfiling(o.Profile); err != nil {
			return fail("profiling", err)
		}
	}
	if o.NoCPUArena {
		if err := so.SetCpuMemArena(false); err != nil {
			return fail("CPU arena", err)
		}
	}
	if !o.MemPattern {
		if err := so.SetMemPattern(false); err != nil {
			return fail("memory pattern", err)
		}
	}
	if o.EnvAllocators {
		if err := so.AddSessionConfigEntry("session.use_env_allocators", "1"); err != nil {
			return fail("env allocators", err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(o.Config)) {
		if err := so.AddSessionConfigEntry(k, o.Config[k]); err != nil {
			return fail("config entry "+k, err)
		}
	}
	if o.Threads > 0 {
		if err := so.SetIntraOpNumThreads(o.Threads); err != nil {
			return fail("intra-op threads", err)
		}
	}
	if o.InterOpThreads > 0 {
		if err := so.SetInterOpNumThreads(o.InterOpThreads); err != nil {
			return fail("inter-op threads", err)
		}
	}
	if o.OptLevel != OptDefault {
		lvl := map[OptLevel]onnxruntime.GraphOptimizationLevel{
			OptDisable:  onnxruntime.GraphOptimizationLevelDisableAll,
			OptBasic:    onnxruntime.GraphOptimizationLevelEnableBasic,
			OptExtended: onnxruntime.GraphOptimizationLevelEnableExtended,
			OptAll:      onnxruntime.GraphOptimizationLevelEnableAll,
		}[o.OptLevel]
		if err := so.SetGraphOptimizationLevel(lvl); err != nil {
			return fail("optimisation level", err)
		}
	}
	if o.Provider == ProviderCUDA {
		if err := appendCUDA(so, o.DeviceID, o.GPUMemLimit); err != nil {
			so.Destroy()
			return nil, err
		}
	}
	return so, nil
}

// appendCUDA adds the CUDA execution provider on device id, after checking
// that the library has the provider's shared objects beside it.
func appendCUDA(so *onnxruntime.SessionOptions, id int, memLimit int64) error {
	lib := LoadedLibrary()
	if missing := missingProviderLibs(lib, cudaProviderLibs); len(missing) > 0 {
		return fmt.Errorf("%w: CUDA needs %s, missing beside %s (a CPU-only build); set %s to libonnxruntime.so.1 of ONNX Runtime's GPU release",
			ErrProviderUnavailable, strings.Join(missing, " and "), lib, EnvLibrary)
	}
	cuda, err := onnxruntime.NewCUDAProviderOptions()
	if err != nil {
		return fmt.Errorf("%w: CUDA: %v", ErrProviderUnavailable, err)
	}
	defer cuda.Destroy()
	settings := map[string]string{"device_id": strconv.Itoa(id)}
	if memLimit > 0 {
		settings["gpu_mem_limit"] = strconv.FormatInt(memLimit, 10)
	}
	if err := cuda.Update(settings); err != nil {
		return fmt.Errorf("%w: CUDA device %d: %v", ErrProviderUnavailable, id, err)
	}
	if err := so.AppendExecutionProviderCUDA(cuda); err != nil {
		return fmt.Errorf("%w: CUDA device %d: %v", ErrProviderUnavailable, id, err)
	}
	return nil
}

// validate reports caller mistakes in o.
func (o SessionOptions) validate() error {
	switch o.Provider {
	case "", ProviderCPU, ProviderCUDA:
	default:
		return fmt.Errorf("ort: unknown execution provider %q (want %q or %q)", o.Provider, ProviderCPU, ProviderCUDA)
	}
	if o.Threads < 0 || o.InterOpThreads < 0 || o.DeviceID < 0 {
		return fmt.Errorf("ort: negative thread count or device id in %+v", o)
	}
	if o.GPUMemLimit < 0 {
		return fmt.Errorf("ort: negative GPU memory limit %d", o.GPUMemLimit)
	}
	for k := range o.Config {
		if k == "" {
			return fmt.Errorf("ort: empty session config key")
		}
	}
	if o.OptLevel < OptDefault || o.OptLevel > OptAll {
		return fmt.Errorf("ort: unknown optimisation level %v", o.OptLevel)
	}
	return nil
}
