package measure

import (
	"math"
	"testing"
)

func TestSummarize(t *testing.T) {
	cases := []struct {
		xs   []float64
		want Summary
	}{
		{[]float64{3}, Summary{1, 3, 3, 3}},
		{[]float64{4, 1, 3}, Summary{3, 3, 1, 4}},
		{[]float64{4, 1, 3, 2}, Summary{4, 2.5, 1, 4}},
	}
	for _, c := range cases {
		if got := Summarize(c.xs); got != c.want {
			t.Errorf("Summarize(%v) = %+v, want %+v", c.xs, got, c.want)
		}
	}
	if s := Summarize(nil); s.N != 0 || !math.IsNaN(s.Median) {
		t.Errorf("Summarize(nil) = %+v", s)
	}
	if got := Summarize([]float64{1, 2, 4}).Spread(); got != 1.5 {
		t.Errorf("Spread = %g, want 1.5", got)
	}
}

func TestTailBuffer(t *testing.T) {
	var b TailBuffer
	for i := 0; i < 1000; i++ {
		b.Write([]byte("0123456789\n"))
	}
	b.Write([]byte("error: last words\n"))
	if len(b.String()) != 4096 {
		t.Errorf("kept %d bytes, want 4096", len(b.String()))
	}
	if got := b.LastLine(); got != "last words" {
		t.Errorf("LastLine = %q", got)
	}
}
