package experiments

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestImageNetClasses(t *testing.T) {
	c := ImageNetClasses()
	if len(c) != 1000 {
		t.Fatalf("%d classes, want 1000", len(c))
	}
	seen := map[string]int{}
	for i, name := range c {
		if name == "" {
			t.Errorf("class %d: empty name", i)
		}
		if j, ok := seen[name]; ok {
			t.Errorf("classes %d and %d are both %q", j, i, name)
		}
		seen[name] = i
	}
	// tomesd issue #46: the two cranes and the two maillots differ (CLIP's list), and
	// so do CLIP's repeated missile and sunglasses (changed here, see imagenetClasses).
	for i, want := range map[int]string{0: "tench", 134: "crane bird", 517: "construction crane",
		638: "tights", 639: "one-piece bathing suit", 657: "missile", 744: "projectile",
		836: "sunglass", 837: "sunglasses", 999: "toilet paper"} {
		if c[i] != want {
			t.Errorf("class %d is %q, want %q", i, c[i], want)
		}
	}
	c[0] = "changed"
	if ImageNetClasses()[0] != "tench" {
		t.Error("ImageNetClasses shares its slice")
	}
}

func TestPromptOrder(t *testing.T) {
	ic := ImageNetConfig{Template: "a {} photo", PerClass: 2, Classes: 3}
	want := []string{"a tench photo", "a goldfish photo", "a great white shark photo",
		"a tench photo", "a goldfish photo", "a great white shark photo"}
	if got := ic.Prompts(); !reflect.DeepEqual(got, want) {
		t.Errorf("imagenet prompts %q", got)
	}
	// Raising per_class only appends.
	ic.PerClass = 3
	if got := ic.Prompts(); !reflect.DeepEqual(got[:6], want) || len(got) != 9 {
		t.Errorf("per_class 3: %q", got)
	}
	if got := RepeatPrompts([]string{"a", "b"}, 2); !reflect.DeepEqual(got, []string{"a", "b", "a", "b"}) {
		t.Errorf("RepeatPrompts %q", got)
	}
}

func TestReadPromptFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "p.txt")
	os.WriteFile(p, []byte("\r\n a cat \r\n\n\ta dog\n"), 0o644)
	if got, err := ReadPromptFile(p); err != nil || !reflect.DeepEqual(got, []string{"a cat", "a dog"}) {
		t.Errorf("got %q, %v", got, err)
	}
	os.WriteFile(p, []byte("\n \n"), 0o644)
	if _, err := ReadPromptFile(p); err == nil {
		t.Error("no error for a file without prompts")
	}
	if _, err := ReadPromptFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("no error for a missing file")
	}
}
