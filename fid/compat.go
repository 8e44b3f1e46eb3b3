package fid

import (
	"fmt"
	"math"
	"math/cmplx"
)

// compatOffset is the diagonal offset pytorch-fid adds to both covariances
// when sqrtm returns non-finite values (its eps argument, 1e-6).
const compatOffset = 1e-6

// compatTrSqrt reproduces pytorch-fid's calculate_frechet_distance:
//
//	covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
//	tr_covmean = np.trace(covmean.real)
//
// scipy's sqrtm takes the Schur form T of Σ1Σ2 (complex when needed) and
// builds an upper-triangular square root R with R_ii = √T_ii (principal
// branch); trace(sqrtm) = trace(R) = Σ √λ_i over the eigenvalues of Σ1Σ2.
// So the compatible value is Σ Re √λ_i with λ_i from a general
// (nonsymmetric) eigenvalue solver. On full-rank covariances this agrees
// with pytorch-fid to round-off. On singular ones, the eigenvalues that
// should be 0 come out as round-off (±, complex) whose square roots
// pytorch-fid adds; they depend on the exact operation order inside LAPACK,
// so this route gives a value of the same kind and size of error, not
// pytorch-fid's digits. Not reproduced: pytorch-fid's ValueError when
// |Im diag(covmean)| > 1e-3 (the matrix square root is never formed here).
func compatTrSqrt(s1, s2 *Stats, r *Result) error {
	d := s1.D
	tr, finite := sumRootEigs(s1.Sigma, s2.Sigma, d, 0)
	if !finite {
		r.Warnings = append(r.Warnings, fmt.Errorf("fid: fid calculation produces singular product; adding %g to diagonal of cov estimates (as pytorch-fid)", compatOffset))
		tr, finite = sumRootEigs(s1.Sigma, s2.Sigma, d, compatOffset)
		if !finite {
			return fmt.Errorf("fid: eigenvalues of Σ1Σ2 are not finite even with offset %g", compatOffset)
		}
	}
	r.TrSqrt = tr
	return nil
}

// sumRootEigs returns Σ Re √λ over the eigenvalues λ of (Σ1+oI)(Σ2+oI).
func sumRootEigs(sigma1, sigma2 []float64, d int, offset float64) (float64, bool) {
	a, b := sigma1, sigma2
	if offset != 0 {
		a, b = append([]float64(nil), a...), append([]float64(nil), b...)
		for i := 0; i < d; i++ {
			a[i*d+i] += offset
			b[i*d+i] += offset
		}
	}
	p := make([]float64, d*d)
	la.gemm(false, false, d, d, d, 1, a, d, b, d, 0, p, d)
	wr, wi, ok := la.eigvals(d, p)
	if !ok {
		return math.NaN(), false
	}
	sum := 0.0
	for i := range wr {
		sum += real(cmplx.Sqrt(complex(wr[i], wi[i])))
	}
	return sum, !math.IsNaN(sum) && !math.IsInf(sum, 0)
}
