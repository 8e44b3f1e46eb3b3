//go:build !unix

package safetensors

import (
	"fmt"
	"os"
)

// mapFile reads the whole file where mmap is not available.
func mapFile(path string) ([]byte, func([]byte) error, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors: %w", err)
	}
	return data, nil, nil
}
