package experiments

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// A Run is everything a run folder records (see the layout at the top of records.go),
// read back by ReadRun. It is what the reports are made from: no model, no device.
type Run struct {
	Dir      string
	Plan     *Plan
	Images   []ImageRecord   // one per (variant, index), sorted by plan order then index
	Sessions []VariantRecord // in file-name order, then line order
	Envs     []Environment   // one per records/env<S>.json, in file-name order
	Metrics  *Metrics        // nil when metrics.json is absent

	// Truncated lists the record files (relative to Dir, slash-separated) whose last
	// line had no newline and was dropped: a write cut by kill -9.
	Truncated []string
	// Duplicates counts image records replaced by a later record of the same
	// (variant, index); the last one read wins (files in name order, lines in order).
	Duplicates int
}

// A RecordError is a record file that cannot be read: Line is the 1-based line of a
// .jsonl file (or of a JSON file's syntax error; 0 when unknown).
type RecordError struct {
	File string
	Line int
	Err  error
}

func (e *RecordError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// ReadRun reads the run folder dir: plan.json (required), every records/images*.jsonl,
// records/variants*.jsonl and records/env*.json (shards included), and metrics.json
// when present. A record file whose last line lacks its newline loses that line (see
// Run.Truncated); any other line that is not a whole JSON record is a *RecordError
// naming the file and line.
func ReadRun(dir string) (*Run, error) {
	r := &Run{Dir: dir}
	r.Plan = new(Plan)
	if err := readJSONFile(filepath.Join(dir, "plan.json"), r.Plan); err != nil {
		return nil, err
	}
	if r.Plan.Format != FormatVersion {
		return nil, &RecordError{File: filepath.Join(dir, "plan.json"), Err: fmt.Errorf("format %q, want %q", r.Plan.Format, FormatVersion)}
	}

	records := filepath.Join(dir, "records")
	type key struct {
		variant string
		index   int
	}
	seen := map[key]int{} // position in r.Images
	for _, path := range glob(records, "images*.jsonl") {
		cut, err := ReadJSONL(path, func(_ int, rec ImageRecord) error {
			k := key{rec.Variant, rec.Index}
			if i, ok := seen[k]; ok {
				r.Images[i] = rec
				r.Duplicates++
				return nil
			}
			seen[k] = len(r.Images)
			r.Images = append(r.Images, rec)
			return nil
		})
		if err != nil {
			return nil, err
		}
		r.noteCut(path, cut)
	}
	for _, path := range glob(records, "variants*.jsonl") {
		cut, err := ReadJSONL(path, func(_ int, rec VariantRecord) error {
			r.Sessions = append(r.Sessions, rec)
			return nil
		})
		if err != nil {
			return nil, err
		}
		r.noteCut(path, cut)
	}
	for _, path := range glob(records, "env*.json") {
		var e Environment
		if err := readJSONFile(path, &e); err != nil {
			return nil, err
		}
		r.Envs = append(r.Envs, e)
	}

	m := new(Metrics)
	switch err := readJSONFile(filepath.Join(dir, "metrics.json"), m); {
	case err == nil:
		r.Metrics = m
	case errors.Is(err, os.ErrNotExist):
	default:
		return nil, err
	}

	order := map[string]int{}
	for i, v := range r.Plan.Variants {
		order[v.ID] = i
	}
	rank := func(id string) int {
		if i, ok := order[id]; ok {
			return i
		}
		return len(order)
	}
	sort.SliceStable(r.Images, func(i, j int) bool {
		a, b := r.Images[i], r.Images[j]
		if ra, rb := rank(a.Variant), rank(b.Variant); ra != rb {
			return ra < rb
		}
		if a.Variant != b.Variant {
			return a.Variant < b.Variant
		}
		return a.Index < b.Index
	})
	return r, nil
}

func (r *Run) noteCut(path string, cut bool) {
	if cut {
		rel, err := filepath.Rel(r.Dir, path)
		if err != nil {
			rel = path
		}
		r.Truncated = append(r.Truncated, filepath.ToSlash(rel))
	}
}

// Variant returns the plan's variant with the given ID, or nil.
func (r *Run) Variant(id string) *Variant {
	for i := range r.Plan.Variants {
		if r.Plan.Variants[i].ID == id {
			return &r.Plan.Variants[i]
		}
	}
	return nil
}

// VariantImages returns the image records of variant id, by index.
func (r *Run) VariantImages(id string) []ImageRecord {
	var out []ImageRecord
	for _, im := range r.Images {
		if im.Variant == id {
			out = append(out, im)
		}
	}
	return out
}

// VariantSessions returns the session records of variant id.
func (r *Run) VariantSessions(id string) []VariantRecord {
	var out []VariantRecord
	for _, s := range r.Sessions {
		if s.Variant == id {
			out = append(out, s)
		}
	}
	return out
}

// VariantMetric returns the metrics of variant id, or nil.
func (r *Run) VariantMetric(id string) *VariantMetric {
	if r.Metrics == nil {
		return nil
	}
	for i := range r.Metrics.Variants {
		if r.Metrics.Variants[i].Variant == id {
			return &r.Metrics.Variants[i]
		}
	}
	return nil
}

// glob returns the files in dir matching pattern, sorted by name; none when dir is
// absent.
func glob(dir, pattern string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, pattern)) // the only error is a bad pattern
	slices.Sort(m)
	return m
}

// ReadJSONL reads the JSON Lines file path, calling each with the 1-based line number
// and the decoded value of every line. Blank lines are skipped. A last line without its
// newline is a write cut short (kill -9): it is dropped and truncatedTail is true. A
// line that does not decode into T, or an error from each, comes back as a
// *RecordError naming path and the line.
func ReadJSONL[T any](path string, each func(line int, v T) error) (truncatedTail bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			return len(bytes.TrimSpace(line)) > 0, nil
		}
		if err != nil {
			return false, &RecordError{File: path, Line: n, Err: err}
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			return false, &RecordError{File: path, Line: n, Err: err}
		}
		if err := each(n, v); err != nil {
			return false, &RecordError{File: path, Line: n, Err: err}
		}
	}
}

// readJSONFile decodes the JSON file path into v; a syntax error names its line.
func readJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		case errors.As(err, &te):
			line = 1 + bytes.Count(data[:min(int(te.Offset), len(data))], []byte("\n"))
		}
		return &RecordError{File: path, Line: line, Err: err}
	}
	return nil
}
