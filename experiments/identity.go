package experiments

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tomebench/tomebench/sd/diffusers"
)

// Content hashing limits of ModelIdentity.
const (
	identityWholeFile = 64 << 20 // files up to this size are hashed whole
	identityEdge      = 16 << 20 // larger ones by their first and last identityEdge bytes
)

// ModelIdentity is the hex SHA-256 identity of a model's content. ref is a folder, or a
// Hugging Face repo id ("org/name[@rev]") found in the local cache (diffusers.Resolve).
// Every regular file below the folder is visited in sorted order of its slash-separated
// relative path, following symbolic links (a cache snapshot is links into blobs/) and
// skipping hidden files and folders (names starting with "."); each adds a line
//
//	<relative path> NUL <size> NUL <hex SHA-256 of the content> LF
//
// to the hash, where the content is the whole file up to 64 MiB, and for a larger file
// its first 16 MiB followed by its last 16 MiB.
//
// The trade-off: no modification times or absolute paths go in, so a copy of the model
// on another machine, or a re-download, has the same identity and finds its images;
// and a 4 GB weights file costs 32 MiB of reading, not 4 GB. An edit of a large weights
// file that keeps its size, its head and its tail is not noticed.
func ModelIdentity(ref string) (string, error) {
	dir, err := diffusers.Resolve(ref)
	if err != nil {
		return "", fmt.Errorf("experiments: model identity: %w", err)
	}
	var files []string
	if err := walkFiles(dir, "", map[string]bool{}, &files); err != nil {
		return "", fmt.Errorf("experiments: model identity of %s: %w", ref, err)
	}
	if len(files) == 0 {
		return "", fmt.Errorf("experiments: model identity of %s: no files in %s", ref, dir)
	}
	sort.Strings(files)
	h := sha256.New()
	for _, rel := range files {
		size, sum, err := hashContent(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return "", fmt.Errorf("experiments: model identity of %s: %w", ref, err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", rel, size, sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// walkFiles appends the slash-separated paths (relative to the walk's root) of the
// regular files below dir, following links; onPath holds the real paths of the folders
// being walked, so a link back to one of them is an error instead of an endless walk.
func walkFiles(dir, rel string, onPath map[string]bool, files *[]string) error {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return err
	}
	if onPath[real] {
		return fmt.Errorf("%s links back to a folder above it", dir)
	}
	onPath[real] = true
	defer delete(onPath, real)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		st, err := os.Stat(p) // follows links
		if err != nil {
			return err
		}
		r := path.Join(rel, e.Name())
		switch {
		case st.IsDir():
			if err := walkFiles(p, r, onPath, files); err != nil {
				return err
			}
		case st.Mode().IsRegular():
			*files = append(*files, r)
		}
	}
	return nil
}

// hashContent returns the size of the file and the hex SHA-256 of its content (whole,
// or head and tail for files over identityWholeFile).
func hashContent(name string) (int64, string, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	size := st.Size()
	if size <= identityWholeFile {
		_, err = io.Copy(h, f)
	} else {
		if _, err = io.Copy(h, io.NewSectionReader(f, 0, identityEdge)); err == nil {
			_, err = io.Copy(h, io.NewSectionReader(f, size-identityEdge, identityEdge))
		}
	}
	if err != nil {
		return 0, "", err
	}
	return size, hex.EncodeToString(h.Sum(nil)), nil
}
