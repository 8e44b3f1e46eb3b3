package runner

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// deviceMemory returns the GPU memory this process holds, in bytes, as NVML counts it
// per process (nvidia-smi --query-compute-apps: used_memory). ONNX Runtime's CUDA
// arena keeps what it has allocated until the session closes, so read at the end of a
// variant it is the arena's high-water mark plus the CUDA context and cuDNN/cuBLAS
// workspaces: the device-side counterpart of the peak RSS. It returns 0 and the reason
// when nvidia-smi is missing or does not list the process.
func deviceMemory(pid int) (int64, error) {
	out, err := exec.Command("nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits").Output()
	if err != nil {
		return 0, fmt.Errorf("runner: nvidia-smi: %w", err)
	}
	return parseComputeApps(string(out), pid)
}

// parseComputeApps reads nvidia-smi's "pid, used_memory [MiB]" lines and sums the
// memory of pid over the GPUs that list it.
func parseComputeApps(out string, pid int) (int64, error) {
	var total int64
	found := false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Split(line, ",")
		if len(f) != 2 {
			continue
		}
		p, err1 := strconv.Atoi(strings.TrimSpace(f[0]))
		mib, err2 := strconv.ParseInt(strings.TrimSpace(f[1]), 10, 64)
		if err1 != nil || err2 != nil || p != pid {
			continue
		}
		total += mib << 20
		found = true
	}
	if !found {
		return 0, fmt.Errorf("runner: nvidia-smi does not list process %d", pid)
	}
	return total, nil
}
