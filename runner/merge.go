package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tomebench/tomebench/internal/fsutil"

	"github.com/tomebench/tomebench/experiments"
)

// Merge combines the run folders dirs — shards of one plan, run apart — into the new
// folder out: plan.json and config.yaml of the first, every image (hard-linked where
// possible, else copied) and every records file. Folders whose plans differ (other
// model, settings, variants or prompts) are refused, naming the first that differs; so
// are two folders holding the same records file (two runs of the same shard). out must
// not exist or be empty; it is filled in a temporary sibling folder renamed at the end,
// so a failed merge leaves nothing.
func Merge(dirs []string, out string) (*experiments.Plan, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("runner: merge: no run folders")
	}
	if st, err := os.Stat(out); err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("runner: merge: %s exists and is not a folder", out)
		}
		if ents, err := os.ReadDir(out); err != nil || len(ents) > 0 {
			return nil, fmt.Errorf("runner: merge: %s exists and is not empty", out)
		}
	}
	var plan *experiments.Plan
	for _, d := range dirs {
		p, err := readPlan(d)
		if err != nil {
			return nil, err
		}
		if plan == nil {
			plan = p
			continue
		}
		if p.Hash() != plan.Hash() {
			return nil, fmt.Errorf("runner: merge: %s was run from another plan than %s (%s); only shards of one config merge",
				d, dirs[0], planDifference(plan, p))
		}
	}
	parent := filepath.Dir(filepath.Clean(out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("runner: merge: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(out)+".merging-")
	if err != nil {
		return nil, fmt.Errorf("runner: merge: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	for _, name := range []string{"plan.json", "config.yaml"} {
		if src := filepath.Join(dirs[0], name); fileExists(src) {
			if err := copyFile(src, filepath.Join(tmp, name)); err != nil {
				return nil, err
			}
		}
	}
	if err := checkSplit(dirs); err != nil {
		return nil, err
	}
	from := map[string]string{} // records file → the folder it came from
	for _, d := range dirs {
		recs, err := filepath.Glob(filepath.Join(d, "records", "*"))
		if err != nil {
			return nil, err
		}
		sort.Strings(recs)
		for _, r := range recs {
			name := filepath.Base(r)
			if strings.HasPrefix(name, ".") {
				continue // a temporary file of an interrupted write
			}
			if prev, dup := from[name]; dup {
				return nil, fmt.Errorf("runner: merge: %s and %s both hold records/%s: they ran the same shard; merge one of them", prev, d, name)
			}
			from[name] = d
			if err := copyFile(r, filepath.Join(tmp, "records", name)); err != nil {
				return nil, err
			}
		}
		err = filepath.WalkDir(filepath.Join(d, "images"), func(p string, e fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil || e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				return err
			}
			rel, _ := filepath.Rel(d, p)
			dst := filepath.Join(tmp, rel)
			if fileExists(dst) {
				// Overlapping folders must agree on every image they share.
				a, errA := fsutil.SHA256(p)
				b, errB := fsutil.SHA256(dst)
				if errA != nil || errB != nil || a != b {
					return fmt.Errorf("%s differs between the folders (or cannot be read): they are not shards of one run", rel)
				}
				return nil
			}
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if os.Link(p, dst) == nil {
				return nil
			}
			return copyFile(p, dst)
		})
		if err != nil {
			return nil, fmt.Errorf("runner: merge: %w", err)
		}
	}
	os.Remove(out) // an empty folder may stand in the way
	if err := os.Rename(tmp, out); err != nil {
		return nil, fmt.Errorf("runner: merge: %w", err)
	}
	ok = true
	return plan, nil
}

// checkSplit refuses folders whose shard records come from different splits (e.g.
// 0/2 and 1/3), whose images would not add up to one run.
func checkSplit(dirs []string) error {
	counts := map[int]string{} // shard count n → a folder with an i/n records file
	for _, d := range dirs {
		files, err := filepath.Glob(filepath.Join(d, "records", "images.shard-*-of-*.jsonl"))
		if err != nil {
			return err
		}
		for _, f := range files {
			var i, n int
			if _, err := fmt.Sscanf(filepath.Base(f), "images.shard-%d-of-%d.jsonl", &i, &n); err != nil {
				continue
			}
			counts[n] = d
		}
	}
	if len(counts) > 1 {
		var s []string
		for n, d := range counts {
			s = append(s, fmt.Sprintf("%s has shards of %d", d, n))
		}
		sort.Strings(s)
		return fmt.Errorf("runner: merge: the folders were split differently (%s); merge shards i/n of one n", strings.Join(s, ", "))
	}
	return nil
}

// planDifference names the first part in which two plans differ.
func planDifference(a, b *experiments.Plan) string {
	switch {
	case a.Model != b.Model:
		return "the model differs"
	case a.Generation != b.Generation:
		return "the generation settings differ"
	case len(a.Variants) != len(b.Variants):
		return fmt.Sprintf("%d variants vs %d", len(a.Variants), len(b.Variants))
	case len(a.Prompts.Prompts) != len(b.Prompts.Prompts):
		return fmt.Sprintf("%d prompts vs %d", len(a.Prompts.Prompts), len(b.Prompts.Prompts))
	}
	for i := range a.Variants {
		if a.Variants[i].ID != b.Variants[i].ID {
			return fmt.Sprintf("variant %d is %s vs %s", i, a.Variants[i].Label, b.Variants[i].Label)
		}
	}
	return "the prompts, FID settings or baseline differ"
}

// copyFile copies src to dst, creating dst's folder.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return fsutil.CopyFile(src, dst)
}
