package runner

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/tomebench/tomebench/experiments"
)

// finishedImages returns, per variant ID, the prompt indices whose image is finished:
// it has a record in some records/images*.jsonl of the run folder (any shard) and its
// file exists. A record for an index the plan no longer has, or whose prompt differs
// from the plan's, is an error: the folder belongs to another config.
func finishedImages(dir string, plan *experiments.Plan) (map[string]map[int]bool, error) {
	recs, err := imageRecords(dir)
	if err != nil {
		return nil, err
	}
	done := map[string]map[int]bool{}
	for _, v := range plan.Variants {
		done[v.ID] = map[int]bool{}
	}
	for _, r := range recs {
		d, ok := done[r.Variant]
		if !ok {
			continue // a variant of an earlier, larger config: kept, not ours to redo
		}
		if r.Index < 0 || r.Index >= len(plan.Prompts.Prompts) {
			continue // beyond this config's prompts (it was extended before): left as is
		}
		if p := plan.Prompts.Prompts[r.Index]; p != r.Prompt {
			return nil, fmt.Errorf("runner: %s: image %d of variant %s was made for the prompt %q, the config now says %q; use a new output folder",
				dir, r.Index, r.Variant, r.Prompt, p)
		}
		if isFile(filepath.Join(dir, filepath.FromSlash(r.File))) {
			d[r.Index] = true
		}
	}
	return done, nil
}

// imageRecords reads every records/images*.jsonl of the run folder.
func imageRecords(dir string) ([]experiments.ImageRecord, error) {
	files, err := filepath.Glob(filepath.Join(dir, "records", "images*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []experiments.ImageRecord
	for _, f := range files {
		if _, err := experiments.ReadJSONL(f, func(_ int, r experiments.ImageRecord) error {
			out = append(out, r)
			return nil
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeStrictJSON decodes b into v, refusing unknown fields and trailing data.
func decodeStrictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// fileExists reports whether path exists.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
