package models

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFolder creates the folder out all at once: it refuses an out that exists and is
// not empty, lets fill write into a temporary sibling folder and renames that folder to
// out when fill succeeds. On an error (or a panic) the temporary folder is removed and
// out is left as it was.
func writeFolder(out string, fill func(tmp string) error) error {
	if err := checkOut(out); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(out)), "."+filepath.Base(out)+".tmp-")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := fill(tmp); err != nil {
		return err
	}
	os.Remove(out) // an empty folder may stand in the way
	if err := os.Rename(tmp, out); err != nil {
		return err
	}
	ok = true
	return nil
}

// checkOut accepts an output folder that does not exist or is empty.
func checkOut(out string) error {
	ents, err := os.ReadDir(out)
	switch {
	case os.IsNotExist(err):
		return nil
	case err != nil:
		return err
	case len(ents) > 0:
		return fmt.Errorf("models: output folder %s exists and is not empty", out)
	}
	return nil
}
