package ort

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// PeakRSS returns the peak resident set size of this process in bytes
// (VmHWM in /proc/self/status, Linux only). ONNX Runtime allocates outside
// the Go heap, so this is the figure that counts for GB/im on the CPU.
func PeakRSS() (int64, error) {
	return procStatusBytes("VmHWM")
}

// CurrentRSS returns the resident set size of this process in bytes (VmRSS in
// /proc/self/status, Linux only).
func CurrentRSS() (int64, error) {
	return procStatusBytes("VmRSS")
}

// ResetPeakRSS resets the kernel's peak RSS mark to the current RSS (by
// writing "5" to /proc/self/clear_refs), so that PeakRSS then measures one
// phase, such as one merge setting. Not every kernel allows it; then the
// error says so and PeakRSS keeps counting from process start.
func ResetPeakRSS() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("ort: resetting the peak RSS: %w", err)
	}
	return nil
}

// procStatusBytes reads one "Key:   N kB" line of /proc/self/status.
func procStatusBytes(key string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("ort: reading %s: %w", key, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, fmt.Errorf("ort: /proc/self/status: malformed %s line %q", key, sc.Text())
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("ort: /proc/self/status: malformed %s line %q", key, sc.Text())
		}
		return n * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("ort: reading /proc/self/status: %w", err)
	}
	return 0, fmt.Errorf("ort: /proc/self/status has no %s line", key)
}
