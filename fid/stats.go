package fid

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Stats are the Gaussian statistics FID compares: the mean Mu (length D) and
// the sample covariance Sigma (D×D, row-major, both triangles stored, ddof 1
// as np.cov(X, rowvar=False)) of N feature rows. These are what pytorch-fid
// saves with --save-stats.
type Stats struct {
	D     int
	Mu    []float64
	Sigma []float64
	N     int // number of rows behind the statistics; 0 when unknown (read from a file)
}

// SigmaDense returns Sigma as a gonum matrix sharing its storage.
func (s *Stats) SigmaDense() *mat.Dense { return mat.NewDense(s.D, s.D, s.Sigma) }

// Trace returns tr(Sigma).
func (s *Stats) Trace() float64 {
	t := 0.0
	for i := 0; i < s.D; i++ {
		t += s.Sigma[i*s.D+i]
	}
	return t
}

// An Accumulator builds Stats from feature rows streamed in batches, in
// float64, so that features never need to be held in memory at once.
//
// Each batch of b rows is centred on its own mean and its scatter
// Σ(x−m_b)(x−m_b)ᵀ is formed with one level-3 product; batches are merged
// with Chan et al.'s pairwise update
//
//	M2 = M2_a + M2_b + δδᵀ·n_a·n_b/(n_a+n_b),  δ = m_b − m_a,
//
// which, unlike raw sums of outer products, loses no digits to cancellation
// when the features have a large mean.
type Accumulator struct {
	d     int
	n     int
	mean  []float64
	m2    []float64 // d×d scatter about mean, both triangles
	buf   []float64 // pending rows, row-major
	batch int
}

// accumulatorBatch is how many rows are buffered before one level-3 update.
const accumulatorBatch = 512

// NewAccumulator returns an empty Accumulator for d-dimensional features.
func NewAccumulator(d int) *Accumulator {
	if d <= 0 {
		panic(fmt.Sprintf("fid: NewAccumulator: dimension %d", d))
	}
	return &Accumulator{d: d, mean: make([]float64, d), m2: make([]float64, d*d), batch: accumulatorBatch}
}

// Add adds feature rows (row-major, len(rows) a multiple of d).
func (a *Accumulator) Add(rows []float64) {
	if len(rows)%a.d != 0 {
		panic(fmt.Sprintf("fid: Accumulator.Add: %d values is not a whole number of %d-d rows", len(rows), a.d))
	}
	for len(rows) > 0 {
		take := min(len(rows), a.batch*a.d-len(a.buf))
		a.buf = append(a.buf, rows[:take]...)
		rows = rows[take:]
		if len(a.buf) == a.batch*a.d {
			a.flush()
		}
	}
}

// AddFloat32 adds float32 feature rows (as inception networks produce them),
// converted exactly to float64.
func (a *Accumulator) AddFloat32(rows []float32) {
	f := make([]float64, len(rows))
	for i, v := range rows {
		f[i] = float64(v)
	}
	a.Add(f)
}

// N returns the number of rows added so far.
func (a *Accumulator) N() int { return a.n + len(a.buf)/a.d }

func (a *Accumulator) flush() {
	b := len(a.buf) / a.d
	if b == 0 {
		return
	}
	d := a.d
	mb := columnMeans(a.buf, b, d)
	for i := 0; i < b; i++ {
		row := a.buf[i*d : (i+1)*d]
		for j := range row {
			row[j] -= mb[j]
		}
	}
	if a.n == 0 {
		la.gram(d, b, 1, a.buf, d, a.m2)
		copy(a.mean, mb)
	} else {
		m2b := make([]float64, d*d)
		la.gram(d, b, 1, a.buf, d, m2b)
		na, nb := float64(a.n), float64(b)
		f := na * nb / (na + nb)
		delta := make([]float64, d)
		for j := range delta {
			delta[j] = mb[j] - a.mean[j]
		}
		for i := 0; i < d; i++ {
			di := delta[i] * f
			ri, rb := a.m2[i*d:(i+1)*d], m2b[i*d:(i+1)*d]
			for j := range ri {
				ri[j] += rb[j] + di*delta[j]
			}
		}
		for j := range a.mean {
			a.mean[j] += delta[j] * nb / (na + nb)
		}
	}
	a.n += b
	a.buf = a.buf[:0]
}

// Stats returns the statistics of every row added so far. It needs at least
// two rows (the sample covariance divides by N−1) and panics otherwise.
func (a *Accumulator) Stats() *Stats {
	a.flush()
	if a.n < 2 {
		panic(fmt.Sprintf("fid: Accumulator.Stats: %d rows, need at least 2", a.n))
	}
	s := &Stats{D: a.d, N: a.n, Mu: append([]float64(nil), a.mean...), Sigma: make([]float64, a.d*a.d)}
	inv := 1 / float64(a.n-1)
	for i, v := range a.m2 {
		s.Sigma[i] = v * inv
	}
	return s
}

// StatsOf returns the statistics of the rows of x (n×d) in two passes, the
// way np.mean and np.cov compute them: the mean, then the Gram matrix of the
// centred rows divided by n−1.
func StatsOf(x *mat.Dense) *Stats {
	n, d := x.Dims()
	if n < 2 {
		panic(fmt.Sprintf("fid: StatsOf: %d rows, need at least 2", n))
	}
	c, mu := centred(x)
	s := &Stats{D: d, N: n, Mu: mu, Sigma: make([]float64, d*d)}
	la.gram(d, n, 1/float64(n-1), c, d, s.Sigma)
	return s
}

// centred returns the rows of x minus their column mean (row-major copy) and
// the mean.
func centred(x *mat.Dense) ([]float64, []float64) {
	n, d := x.Dims()
	c := make([]float64, n*d)
	for i := 0; i < n; i++ {
		copy(c[i*d:(i+1)*d], x.RawRowView(i))
	}
	mu := columnMeans(c, n, d)
	for i := 0; i < n; i++ {
		row := c[i*d : (i+1)*d]
		for j := range row {
			row[j] -= mu[j]
		}
	}
	return c, mu
}

// columnMeans returns the column means of the n×d row-major a: a plain
// float64 sum, then one correction pass adding the mean of the residuals.
func columnMeans(a []float64, n, d int) []float64 {
	mu := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range a[i*d : (i+1)*d] {
			mu[j] += v
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	corr := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range a[i*d : (i+1)*d] {
			corr[j] += v - mu[j]
		}
	}
	for j := range mu {
		mu[j] += corr[j] / float64(n)
	}
	return mu
}

// checkFinite reports the first non-finite value of s, if any.
func (s *Stats) checkFinite() error {
	for i, v := range s.Mu {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("mu[%d] is %v", i, v)
		}
	}
	for i, v := range s.Sigma {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("sigma[%d,%d] is %v", i/s.D, i%s.D, v)
		}
	}
	return nil
}
