package fid

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/lapack"
	lapackgonum "gonum.org/v1/gonum/lapack/gonum"
)

// linalg is the handful of dense kernels the package needs, on row-major
// float64 matrices. Two implementations exist: pure Go (gonum, always there)
// and a system LAPACK loaded at run time (see lapack_dl.go). Both compute the
// same quantities; only speed and round-off differ.
type linalg interface {
	name() string
	// gemm computes C = alpha·op(A)·op(B) + beta·C, with op(X) = Xᵀ when t is set.
	gemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int)
	// gram sets C (n×n, both triangles) to alpha·AᵀA for A k×n.
	gram(n, k int, alpha float64, a []float64, lda int, c []float64)
	// pstrf is pivoted Cholesky of the symmetric PSD n×n matrix a, overwritten:
	// on return S[piv[i],piv[j]] = Σ_l L[i,l]·L[j,l] with L read from the lower
	// triangle (row-major a[i*n+l], l <= i, l < rank). tol < 0 asks for the
	// LAPACK default n·eps·max(diag).
	pstrf(n int, a []float64, tol float64) (piv []int, rank int)
	// potrf is Cholesky of the symmetric positive definite n×n a, overwritten by
	// L (row-major lower triangle, upper set to zero) with S = LLᵀ; false when a
	// is not numerically positive definite.
	potrf(n int, a []float64) bool
	// gramFirst says whether symEigvals of GᵀG beats svdVals of G: true for
	// LAPACK (dsyevd 1.2 s vs dgesdd 2.2–3.3 s at 2048 here), false for gonum
	// (Dsyev 16 s vs Dgesvd about 7 s).
	gramFirst() bool
	// trmmLowerT sets B (n×m) to LᵀB for L n×n lower triangular.
	trmmLowerT(n, m int, l, b []float64)
	// symEigvals returns the eigenvalues (ascending) of the symmetric n×n a;
	// a is destroyed. ok is false when the iteration did not converge.
	symEigvals(n int, a []float64) (w []float64, ok bool)
	// svdVals returns the singular values of the m×n a (descending); a is
	// destroyed.
	svdVals(m, n int, a []float64) (s []float64, ok bool)
	// eigvals returns the eigenvalues of the general n×n a (real, imaginary
	// parts); a is destroyed.
	eigvals(n int, a []float64) (wr, wi []float64, ok bool)
}

// la is the backend in use; lapack_dl.go replaces it at init when a system
// LAPACK can be loaded.
var la linalg = gonumLinalg{}

// gonumLinalg is the pure-Go backend.
type gonumLinalg struct{}

var (
	gblas   gonum.Implementation
	glapack lapackgonum.Implementation
)

func tr(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func (gonumLinalg) name() string { return "gonum (pure Go)" }

func (gonumLinalg) gemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gblas.Dgemm(tr(tA), tr(tB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gram uses Dgemm rather than Dsyrk: gonum's Dgemm is blocked and parallel,
// its Dsyrk is not, and the full product needs no mirroring.
func (g gonumLinalg) gram(n, k int, alpha float64, a []float64, lda int, c []float64) {
	g.gemm(true, false, n, n, k, alpha, a, lda, a, lda, 0, c, n)
}

func (gonumLinalg) pstrf(n int, a []float64, tol float64) ([]int, int) {
	piv := make([]int, n)
	rank, _ := glapack.Dpstrf(blas.Lower, n, a, n, piv, tol, make([]float64, 2*n))
	return piv, rank
}

func (gonumLinalg) gramFirst() bool { return false }

func (gonumLinalg) potrf(n int, a []float64) bool {
	if !glapack.Dpotrf(blas.Lower, n, a, n) {
		return false
	}
	zeroUpper(n, a)
	return true
}

func (gonumLinalg) trmmLowerT(n, m int, l, b []float64) {
	gblas.Dtrmm(blas.Left, blas.Lower, blas.Trans, blas.NonUnit, n, m, 1, l, n, b, m)
}

func zeroUpper(n int, a []float64) {
	for i := 0; i < n; i++ {
		clear(a[i*n+i+1 : i*n+n])
	}
}

func (gonumLinalg) symEigvals(n int, a []float64) ([]float64, bool) {
	w := make([]float64, n)
	if n == 0 {
		return w, true
	}
	work := make([]float64, 1)
	glapack.Dsyev(lapack.EVNone, blas.Upper, n, a, n, w, work, -1)
	work = make([]float64, int(work[0]))
	ok := glapack.Dsyev(lapack.EVNone, blas.Upper, n, a, n, w, work, len(work))
	return w, ok
}

func (gonumLinalg) svdVals(m, n int, a []float64) ([]float64, bool) {
	s := make([]float64, min(m, n))
	if len(s) == 0 {
		return s, true
	}
	work := make([]float64, 1)
	glapack.Dgesvd(lapack.SVDNone, lapack.SVDNone, m, n, a, n, s, nil, 1, nil, 1, work, -1)
	work = make([]float64, int(work[0]))
	ok := glapack.Dgesvd(lapack.SVDNone, lapack.SVDNone, m, n, a, n, s, nil, 1, nil, 1, work, len(work))
	return s, ok
}

func (gonumLinalg) eigvals(n int, a []float64) ([]float64, []float64, bool) {
	wr, wi := make([]float64, n), make([]float64, n)
	if n == 0 {
		return wr, wi, true
	}
	work := make([]float64, 1)
	glapack.Dgeev(lapack.LeftEVNone, lapack.RightEVNone, n, a, n, wr, wi, nil, 1, nil, 1, work, -1)
	work = make([]float64, int(work[0]))
	first := glapack.Dgeev(lapack.LeftEVNone, lapack.RightEVNone, n, a, n, wr, wi, nil, 1, nil, 1, work, len(work))
	return wr, wi, first == 0
}

// Backend names the linear-algebra backend in use: "gonum (pure Go)" or
// "lapack (<library>)" when a system LAPACK was loaded (see package doc).
func Backend() string { return la.name() }
