package experiments

import (
	_ "embed"
	"fmt"
	"os"
	"strings"
)

// imagenet_classes.txt holds the 1000 ImageNet-1k class names in class-index order, one
// per line: CLIP's cleaned list (openai/CLIP, notebooks/Prompt_Engineering_for_ImageNet.ipynb,
// the imagenet_classes cell) with two names changed so that every class has its own
// prompt. The raw WordNet names repeat words, and tomesd issue #46 says the paper's
// list (a class dict of the author's, not published here) tells the two "crane"
// classes apart; CLIP's list does: index 134 is "crane bird" and 517 "construction
// crane", and the two WordNet "maillot" classes, 638 and 639, are "tights" and
// "one-piece bathing suit". CLIP's list still repeats two names (openai/CLIP issues
// #235, #465): "missile" at 657 and 744, "sunglasses" at 836 and 837. Following
// imagenet-simple-labels, as issue #465 suggests, and the WordNet synsets
// (n04008634 "projectile, missile", n04355933 "sunglass"), 744 reads "projectile" and
// 836 "sunglass" here. TestImageNetClasses checks that every name is unique.
//
//go:embed imagenet_classes.txt
var imagenetClassesText string

var imagenetClasses = strings.Split(strings.TrimSuffix(imagenetClassesText, "\n"), "\n")

// ImageNetClasses returns the 1000 ImageNet-1k class names in class-index order (CLIP's
// cleaned names). The slice is a copy.
func ImageNetClasses() []string {
	return append([]string(nil), imagenetClasses...)
}

// Prompts lists the ImageNet prompts by image index: image j = r*Classes + c is class c
// (of the first Classes) in repeat r < PerClass. The classes are the inner loop so that
// raising PerClass only appends images: every finished image keeps its index, prompt
// and seed.
func (ic ImageNetConfig) Prompts() []string {
	out := make([]string, 0, ic.Classes*ic.PerClass)
	for r := 0; r < ic.PerClass; r++ {
		for c := 0; c < ic.Classes; c++ {
			out = append(out, strings.Replace(ic.Template, "{}", imagenetClasses[c], 1))
		}
	}
	return out
}

// ReadPromptFile reads one prompt per line; surrounding white space is trimmed and
// blank lines are skipped. A file without prompts is an error.
func ReadPromptFile(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("experiments: prompt file: %w", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("experiments: prompt file %s: no prompts (one per line)", path)
	}
	return out, nil
}

// RepeatPrompts lists prompts repeat times by image index: image j = r*len(prompts) + i
// is prompt i in repeat r, so raising repeat only appends images.
func RepeatPrompts(prompts []string, repeat int) []string {
	out := make([]string, 0, len(prompts)*repeat)
	for r := 0; r < repeat; r++ {
		out = append(out, prompts...)
	}
	return out
}

// PromptTexts lists the config's prompts by image index (ImageNetConfig.Prompts or the
// prompt file repeated, see RepeatPrompts). A prompt file is read now.
func (c *Config) PromptTexts() ([]string, error) {
	if c.Prompts.ImageNet != nil {
		return c.Prompts.ImageNet.Prompts(), nil
	}
	p, err := ReadPromptFile(c.Prompts.File)
	if err != nil {
		return nil, err
	}
	return RepeatPrompts(p, c.Prompts.Repeat), nil
}
