//go:build unix

package safetensors

import (
	"fmt"
	"math"
	"os"
	"syscall"
)

// mapFile maps the file at path read-only. The descriptor is closed at once: the mapping
// outlives it.
func mapFile(path string) ([]byte, func([]byte) error, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	if st.IsDir() {
		return nil, nil, &FormatError{File: path, Msg: "is a directory"}
	}
	size := st.Size()
	if size < 8 {
		return nil, nil, &FormatError{File: path, Msg: fmt.Sprintf("file is %d bytes, too short for the 8-byte header length", size)}
	}
	if size > math.MaxInt {
		return nil, nil, &FormatError{File: path, Msg: "file too large to map"}
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: mmap %s: %w", path, err)
	}
	return data, syscall.Munmap, nil
}
