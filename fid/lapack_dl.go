//go:build cgo && (linux || darwin || freebsd)

package fid

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

// Fortran LAPACK/BLAS entry points (LP64: 32-bit integers), with the hidden
// character-length arguments gfortran appends.
typedef void (*dgemm_f)(const char*, const char*, const int*, const int*, const int*, const double*, const double*, const int*, const double*, const int*, const double*, double*, const int*, size_t, size_t);
typedef void (*dsyrk_f)(const char*, const char*, const int*, const int*, const double*, const double*, const int*, const double*, double*, const int*, size_t, size_t);
typedef void (*dpotrf_f)(const char*, const int*, double*, const int*, int*, size_t);
typedef void (*dtrmm_f)(const char*, const char*, const char*, const char*, const int*, const int*, const double*, const double*, const int*, double*, const int*, size_t, size_t, size_t, size_t);
typedef void (*dpstrf_f)(const char*, const int*, double*, const int*, int*, int*, const double*, double*, int*, size_t);
typedef void (*dsyevd_f)(const char*, const char*, const int*, double*, const int*, double*, double*, const int*, int*, const int*, int*, size_t, size_t);
typedef void (*dgesdd_f)(const char*, const int*, const int*, double*, const int*, double*, double*, const int*, double*, const int*, double*, const int*, int*, int*, size_t);
typedef void (*dgeev_f)(const char*, const char*, const int*, double*, const int*, double*, double*, double*, const int*, double*, const int*, double*, const int*, int*, size_t, size_t);

static void* fid_dlopen(const char* p) { return dlopen(p, RTLD_NOW | RTLD_LOCAL); }
static void* fid_dlsym(void* h, const char* s) { return dlsym(h, s); }

static void fid_dgemm(void* f, char ta, char tb, int m, int n, int k, double alpha, const double* a, int lda, const double* b, int ldb, double beta, double* c, int ldc) {
	((dgemm_f)f)(&ta, &tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}
static void fid_dsyrk(void* f, char uplo, char trans, int n, int k, double alpha, const double* a, int lda, double beta, double* c, int ldc) {
	((dsyrk_f)f)(&uplo, &trans, &n, &k, &alpha, a, &lda, &beta, c, &ldc, 1, 1);
}
static int fid_dpotrf(void* f, char uplo, int n, double* a, int lda) {
	int info = 0;
	((dpotrf_f)f)(&uplo, &n, a, &lda, &info, 1);
	return info;
}
static void fid_dtrmm(void* f, char side, char uplo, char transa, char diag, int m, int n, double alpha, const double* a, int lda, double* b, int ldb) {
	((dtrmm_f)f)(&side, &uplo, &transa, &diag, &m, &n, &alpha, a, &lda, b, &ldb, 1, 1, 1, 1);
}
static int fid_dpstrf(void* f, char uplo, int n, double* a, int lda, int* piv, int* rank, double tol, double* work) {
	int info = 0;
	((dpstrf_f)f)(&uplo, &n, a, &lda, piv, rank, &tol, work, &info, 1);
	return info;
}
static int fid_dsyevd(void* f, char jobz, char uplo, int n, double* a, int lda, double* w, double* work, int lwork, int* iwork, int liwork) {
	int info = 0;
	((dsyevd_f)f)(&jobz, &uplo, &n, a, &lda, w, work, &lwork, iwork, &liwork, &info, 1, 1);
	return info;
}
static int fid_dgesdd(void* f, int m, int n, double* a, int lda, double* s, double* work, int lwork, int* iwork) {
	int info = 0, one = 1;
	char no = 'N';
	double dummy = 0;
	((dgesdd_f)f)(&no, &m, &n, a, &lda, s, &dummy, &one, &dummy, &one, work, &lwork, iwork, &info, 1);
	return info;
}
static int fid_dgeev(void* f, int n, double* a, int lda, double* wr, double* wi, double* work, int lwork) {
	int info = 0, one = 1;
	char no = 'N';
	double dummy = 0;
	((dgeev_f)f)(&no, &no, &n, a, &lda, wr, wi, &dummy, &one, &dummy, &one, work, &lwork, &info, 1, 1);
	return info;
}
*/
import "C"

import (
	"os"
	"unsafe"
)

// lapackLibraries are tried in order when TOMEBENCH_LAPACK is unset. On
// Debian/Ubuntu liblapack.so.3 is whichever LAPACK update-alternatives chose
// (OpenBLAS when libopenblas0 is installed), the same one numpy and scipy use.
var lapackLibraries = []string{
	"libopenblas.so.0", "libopenblas.so", "liblapack.so.3",
	"/System/Library/Frameworks/Accelerate.framework/Accelerate",
}

func init() {
	env := os.Getenv("TOMEBENCH_LAPACK")
	if env == "off" || env == "none" || env == "gonum" {
		return
	}
	libs := lapackLibraries
	if env != "" {
		libs = []string{env}
	}
	for _, lib := range libs {
		if d := openLAPACK(lib); d != nil {
			la = d
			return
		}
	}
}

// dlLinalg calls a LAPACK/BLAS library opened with dlopen. The library is
// column-major; every call below passes the row-major matrix as its transpose.
type dlLinalg struct {
	lib                                         string
	dgemm, dsyrk, dpstrf, dsyevd, dgesdd, dgeev unsafe.Pointer
	// dsyevd2 is dsyevd_2stage (LAPACK ≥ 3.7), nil when the library lacks it: for
	// eigenvalues alone its two-stage tridiagonalisation runs mostly as level-3 BLAS.
	dsyevd2       unsafe.Pointer
	dpotrf, dtrmm unsafe.Pointer
}

func openLAPACK(lib string) *dlLinalg {
	cs := C.CString(lib)
	defer C.free(unsafe.Pointer(cs))
	h := C.fid_dlopen(cs)
	if h == nil {
		return nil
	}
	sym := func(s string) unsafe.Pointer {
		cs := C.CString(s)
		defer C.free(unsafe.Pointer(cs))
		return C.fid_dlsym(h, cs)
	}
	d := &dlLinalg{lib: lib, dgemm: sym("dgemm_"), dsyrk: sym("dsyrk_"), dpstrf: sym("dpstrf_"), dsyevd: sym("dsyevd_"), dgesdd: sym("dgesdd_"), dgeev: sym("dgeev_"), dpotrf: sym("dpotrf_"), dtrmm: sym("dtrmm_")}
	if d.dpotrf == nil || d.dtrmm == nil || d.dgemm == nil || d.dsyrk == nil || d.dpstrf == nil || d.dsyevd == nil || d.dgesdd == nil || d.dgeev == nil {
		return nil // the library handle stays open; harmless
	}
	return d
}

func (d *dlLinalg) gramFirst() bool { return true }

func (d *dlLinalg) name() string { return "lapack (" + d.lib + ")" }

func dp(s []float64) *C.double {
	if len(s) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&s[0]))
}

func tc(t bool) C.char {
	if t {
		return 'T'
	}
	return 'N'
}

// gemm: row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ.
func (d *dlLinalg) gemm(tA, tB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	C.fid_dgemm(d.dgemm, tc(tB), tc(tA), C.int(n), C.int(m), C.int(k), C.double(alpha), dp(b), C.int(ldb), dp(a), C.int(lda), C.double(beta), dp(c), C.int(ldc))
}

// gram: row-major A (k×n) is column-major Aᵀ (n×k); C = (Aᵀ)(Aᵀ)ᵀ.
func (d *dlLinalg) gram(n, k int, alpha float64, a []float64, lda int, c []float64) {
	if n == 0 {
		return
	}
	C.fid_dsyrk(d.dsyrk, 'U', 'N', C.int(n), C.int(k), C.double(alpha), dp(a), C.int(lda), 0, dp(c), C.int(n))
	// Column-major upper is row-major lower: mirror it up.
	for i := 0; i < n; i++ {
		for j := 0; j < i; j++ {
			c[j*n+i] = c[i*n+j]
		}
	}
}

// potrf: column-major 'U' (S = UᵀU) leaves U(i,j) at a[i+j*n], which is row-major
// L(j,i): the lower triangle of the row-major a holds L with S = LLᵀ.
func (d *dlLinalg) potrf(n int, a []float64) bool {
	if n == 0 {
		return true
	}
	if C.fid_dpotrf(d.dpotrf, 'U', C.int(n), dp(a), C.int(n)) != 0 {
		return false
	}
	zeroUpper(n, a)
	return true
}

// trmmLowerT: row-major B := LᵀB is column-major Bᵀ := Bᵀ·L, and the row-major
// lower L is the column-major upper Lᵀ: side 'R', uplo 'U', transa 'T'.
func (d *dlLinalg) trmmLowerT(n, m int, l, b []float64) {
	if n == 0 || m == 0 {
		return
	}
	C.fid_dtrmm(d.dtrmm, 'R', 'U', 'T', 'N', C.int(m), C.int(n), 1, dp(l), C.int(n), dp(b), C.int(m))
}

// pstrf: column-major 'U' (Pᵀ S P = UᵀU) leaves U(i,j) at a[i+j*n], which is
// row-major L(j,i) = a[j*n+i]: the same layout gonum's row-major Lower gives.
func (d *dlLinalg) pstrf(n int, a []float64, tol float64) ([]int, int) {
	if n == 0 {
		return nil, 0
	}
	piv32 := make([]C.int, n)
	var rank C.int
	work := make([]float64, 2*n)
	C.fid_dpstrf(d.dpstrf, 'U', C.int(n), dp(a), C.int(n), &piv32[0], &rank, C.double(tol), dp(work))
	piv := make([]int, n)
	for i, p := range piv32 {
		piv[i] = int(p) - 1
	}
	return piv, int(rank)
}

func (d *dlLinalg) symEigvals(n int, a []float64) ([]float64, bool) {
	w := make([]float64, n)
	if n == 0 {
		return w, true
	}
	// dsyevd_2stage exists in OpenBLAS 0.3.21 but ran 20 % slower than dsyevd here.
	f := d.dsyevd
	var q [1]float64
	var qi [1]C.int
	C.fid_dsyevd(f, 'N', 'U', C.int(n), dp(a), C.int(n), dp(w), dp(q[:]), -1, &qi[0], -1)
	work := make([]float64, max(int(q[0]), 2*n+1))
	iwork := make([]C.int, max(int(qi[0]), 1))
	info := C.fid_dsyevd(f, 'N', 'U', C.int(n), dp(a), C.int(n), dp(w), dp(work), C.int(len(work)), &iwork[0], C.int(len(iwork)))
	return w, info == 0
}

// svdVals uses dgesdd (with no vectors: bidiagonalisation, then dqds via
// dbdsdc; 3× faster than dgesvd at 2048 with OpenBLAS 0.3.21 here). The row-major m×n matrix is the column-major n×m Aᵀ, which has the
// same singular values.
func (d *dlLinalg) svdVals(m, n int, a []float64) ([]float64, bool) {
	k := min(m, n)
	s := make([]float64, k)
	if k == 0 {
		return s, true
	}
	iwork := make([]C.int, 8*k)
	var q [1]float64
	C.fid_dgesdd(d.dgesdd, C.int(n), C.int(m), dp(a), C.int(n), dp(s), dp(q[:]), -1, &iwork[0])
	work := make([]float64, int(q[0]))
	info := C.fid_dgesdd(d.dgesdd, C.int(n), C.int(m), dp(a), C.int(n), dp(s), dp(work), C.int(len(work)), &iwork[0])
	return s, info == 0
}

func (d *dlLinalg) eigvals(n int, a []float64) ([]float64, []float64, bool) {
	wr, wi := make([]float64, n), make([]float64, n)
	if n == 0 {
		return wr, wi, true
	}
	var q [1]float64
	C.fid_dgeev(d.dgeev, C.int(n), dp(a), C.int(n), dp(wr), dp(wi), dp(q[:]), -1)
	work := make([]float64, int(q[0]))
	info := C.fid_dgeev(d.dgeev, C.int(n), dp(a), C.int(n), dp(wr), dp(wi), dp(work), C.int(len(work)))
	return wr, wi, info == 0
}
