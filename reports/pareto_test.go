package reports

import (
	"math"
	"slices"
	"testing"
)

func TestParetoFront(t *testing.T) {
	for _, tc := range []struct {
		name   string
		points []Point
		want   []int // expected by hand: the points nothing beats in both coordinates
	}{
		{"empty", nil, nil},
		{"single", []Point{{1, 1}}, []int{0}},
		{"chain", []Point{{3, 1}, {1, 3}, {2, 2}}, []int{1, 2, 0}},
		{"dominated", []Point{{1, 1}, {2, 2}, {1, 2}, {2, 1}}, []int{0}},
		// the paper's shape: faster settings lose a little FID; 4 is beaten by 1 and 5.
		{"paper", []Point{{3.09, 33.12}, {2.56, 32.86}, {2.29, 32.86}, {2.06, 32.80}, {1.85, 32.87}, {1.65, 33.02}, {1.52, 33.37}},
			[]int{6, 5, 4, 3}},
		{"exact duplicates kept", []Point{{2, 2}, {1, 3}, {2, 2}, {3, 3}}, []int{1, 0, 2}},
		{"same x, larger y dominated", []Point{{1, 2}, {1, 3}}, []int{0}},
		{"same y, larger x dominated", []Point{{2, 1}, {3, 1}}, []int{0}},
		{"nan and inf left out", []Point{{math.NaN(), 0}, {1, math.Inf(-1)}, {2, 2}}, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParetoFront(tc.points)
			if !slices.Equal(got, tc.want) {
				t.Errorf("ParetoFront(%v) = %v, want %v", tc.points, got, tc.want)
			}
			// Property: no point dominates a front point, and every other finite point is
			// dominated by a front point.
			for i, p := range tc.points {
				on := slices.Contains(got, i)
				beaten := false
				for j, q := range tc.points {
					finite := !math.IsNaN(q.X+q.Y) && !math.IsInf(q.X+q.Y, 0)
					if j != i && finite && q.X <= p.X && q.Y <= p.Y && (q.X < p.X || q.Y < p.Y) {
						beaten = true
					}
				}
				if on && beaten {
					t.Errorf("front point %d is dominated", i)
				}
			}
		})
	}
}
