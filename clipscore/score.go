package clipscore

import (
	"fmt"
	"math"
)

// A Result is the CLIP score of a set of (image, prompt) pairs.
type Result struct {
	// Scores holds 100·cos(image, prompt) per pair, in pair order, not clamped (a pair
	// can score below 0).
	Scores []float64 `json:"scores"`
	// Mean is the mean of Scores.
	Mean float64 `json:"mean"`
	// Score is max(Mean, 0), torchmetrics' clip_score: the clamp is on the mean.
	Score float64 `json:"clip_score"`
	// LongPrompts lists the pairs whose prompt was longer than the text tower (see
	// Tokenize): their scores do not depend on the prompt.
	LongPrompts []int `json:"long_prompts,omitempty"`
	// Warnings say what makes the number less meaningful than it looks.
	Warnings []string `json:"warnings,omitempty"`
}

// PairScore returns torchmetrics' score of one pair from the unnormalised embeddings
// (get_image_features, get_text_features): 100·⟨e_i/‖e_i‖, e_t/‖e_t‖⟩, no epsilon
// (a zero embedding gives NaN, as in torch). The 100 is fixed; logit_scale is not used.
func PairScore(image, text []float32) float64 {
	if len(image) != len(text) {
		panic(fmt.Sprintf("clipscore: PairScore of %d- and %d-d embeddings", len(image), len(text)))
	}
	var ii, tt, it float64
	for k := range image {
		a, b := float64(image[k]), float64(text[k])
		ii += a * a
		tt += b * b
		it += a * b
	}
	return 100 * it / (math.Sqrt(ii) * math.Sqrt(tt))
}

// Aggregate returns the Result of per-pair scores: their mean and max(mean, 0). An
// empty set has Mean and Score NaN (torchmetrics divides 0 by 0).
func Aggregate(scores []float64) *Result {
	s := 0.0
	for _, v := range scores {
		s += v
	}
	mean := s / float64(len(scores))
	score := mean
	if mean < 0 {
		score = 0
	}
	return &Result{Scores: scores, Mean: mean, Score: score}
}

// ScoreEmbeddings scores pair i as (images[i], texts[i]) and aggregates.
func ScoreEmbeddings(images, texts [][]float32) *Result {
	if len(images) != len(texts) {
		panic(fmt.Sprintf("clipscore: %d image and %d text embeddings", len(images), len(texts)))
	}
	s := make([]float64, len(images))
	for i := range images {
		s[i] = PairScore(images[i], texts[i])
	}
	return Aggregate(s)
}
