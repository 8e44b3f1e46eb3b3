package fid

import "testing"

// backends lists the linear-algebra backends to test: pure Go always, and
// the system LAPACK when one was loaded.
func backends() []linalg {
	b := []linalg{gonumLinalg{}}
	if _, pure := la.(gonumLinalg); !pure {
		b = append(b, la)
	}
	return b
}

// forEachBackend runs f as a subtest once per backend.
func forEachBackend(t *testing.T, f func(t *testing.T)) {
	saved := la
	defer func() { la = saved }()
	for _, b := range backends() {
		la = b
		t.Run(b.name(), f)
	}
	if len(backends()) == 1 {
		t.Log("no system LAPACK loaded: tested the pure-Go backend only")
	}
}
