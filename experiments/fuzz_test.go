package experiments

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse: Parse never panics, every error is a *ConfigError naming the file, and a
// config that parses expands twice to the same plan.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../configs/*.yaml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(base))
	f.Add([]byte(base + "    schedule: [{two_phase: {first: 0.6, steps: 3, then: 0.3}}]\n"))
	f.Add([]byte("name: x\nmodel: {path: m}\nprompts: {file: p.txt}\nsweep: [{method: none}]\n"))
	f.Add([]byte("\tname: x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if ic := c.Prompts.ImageNet; ic == nil || ic.Classes*ic.PerClass > 20000 {
			return // a prompt file or a very large plan: not expanded here
		}
		p1, err1 := c.Expand("m")
		p2, err2 := c.Expand("m")
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("Expand: %v then %v", err1, err2)
		}
		if err1 != nil {
			return
		}
		j1, _ := json.Marshal(p1)
		j2, _ := json.Marshal(p2)
		if !bytes.Equal(j1, j2) || p1.Hash() != p2.Hash() {
			t.Fatal("Expand is not deterministic")
		}
		if len(p1.Variants) == 0 || (c.Baseline != "") != (p1.Baseline != "") {
			t.Fatalf("%d variants, baseline %q -> %q", len(p1.Variants), c.Baseline, p1.Baseline)
		}
		// Re-parsing the same bytes gives the same plan.
		c2, err := Parse("f.yaml", data)
		if err != nil {
			t.Fatal(err)
		}
		if p3, err := c2.Expand("m"); err != nil || p3.Hash() != p1.Hash() {
			t.Fatalf("re-parse: %v", err)
		}
	})
}
