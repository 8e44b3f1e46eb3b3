package runner

import (
	"fmt"
	"strconv"
	"strings"
)

// A Shard is one part i of n of a run's work (0 <= Index < Count). The zero value is
// invalid; Whole is the unsharded run.
type Shard struct {
	Index, Count int
}

// Whole is the shard that holds all of the work.
var Whole = Shard{0, 1}

// ParseShard reads "i/n" (0-based i, as $SLURM_ARRAY_TASK_ID and $JOB_COMPLETION_INDEX
// count).
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want i/n, e.g. 0/4", s)
	}
	sh := Shard{i, n}
	return sh, sh.Validate()
}

// Validate reports a shard outside 0 <= i < n.
func (s Shard) Validate() error {
	if s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard %d/%d: want 0 <= i < n", s.Index, s.Count)
	}
	return nil
}

// String is "i/n".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Suffix is the records' file-name suffix: "" for the whole run, else
// ".shard-<i>-of-<n>".
func (s Shard) Suffix() string {
	if s.Count <= 1 {
		return ""
	}
	return fmt.Sprintf(".shard-%d-of-%d", s.Index, s.Count)
}

// Owns reports whether batch b belongs to the shard: b mod n = i. Interleaving the
// batches (rather than cutting each variant into n ranges) gives every shard a share
// of every variant, so each machine measures every variant alike.
func (s Shard) Owns(batch int) bool { return batch%s.Count == s.Index }

// Batches returns the number of batches for n prompts in batches of size b.
func Batches(n, b int) int { return (n + b - 1) / b }

// BatchIndices returns the prompt indices of batch k: [k·b, min(k·b+b, n)).
func BatchIndices(k, b, n int) []int {
	var idx []int
	for j := k * b; j < min(k*b+b, n); j++ {
		idx = append(idx, j)
	}
	return idx
}
