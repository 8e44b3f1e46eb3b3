package reports

import (
	"math"
	"sort"
)

// A Point is a variant's place on a trade-off plot: X a cost (s/im or GB/im), Y the
// quality loss (FID); both are better small.
type Point struct{ X, Y float64 }

// ParetoFront returns the indices of the points on the Pareto front for minimising
// both coordinates: p is on it when no other point q has q.X <= p.X and q.Y <= p.Y
// with one of them strictly less. Points that tie exactly (equal X and Y) do not
// dominate each other, so duplicates on the front are all kept. Points with a NaN or
// infinite coordinate are never on it and dominate nothing. The indices are sorted by
// X, then Y, then index: the order to connect the front by a line.
func ParetoFront(points []Point) []int {
	finite := func(p Point) bool {
		return !math.IsNaN(p.X) && !math.IsNaN(p.Y) && !math.IsInf(p.X, 0) && !math.IsInf(p.Y, 0)
	}
	var front []int
	for i, p := range points {
		if !finite(p) {
			continue
		}
		dominated := false
		for j, q := range points {
			if j != i && finite(q) && q.X <= p.X && q.Y <= p.Y && (q.X < p.X || q.Y < p.Y) {
				dominated = true
				break
			}
		}
		if !dominated {
			front = append(front, i)
		}
	}
	sort.SliceStable(front, func(a, b int) bool {
		p, q := points[front[a]], points[front[b]]
		if p.X != q.X {
			return p.X < q.X
		}
		return p.Y < q.Y
	})
	return front
}
