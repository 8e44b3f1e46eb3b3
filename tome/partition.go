package tome

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
)

// A Partition splits the h*w tokens of a block into src and dst (step 2 of the
// method). Token ids are row-major in the token grid: id = row*w + col.
type Partition struct {
	// Src holds the Ns src token ids in ascending order.
	Src []int
	// Dst holds the Nd dst token ids in ascending order, one per whole sy x sx cell.
	Dst []int
}

// N returns the number of tokens, Ns + Nd.
func (p Partition) N() int { return len(p.Src) + len(p.Dst) }

// A RandIdxError reports a rand_idx that does not describe a partition of the grid.
type RandIdxError struct {
	H, W, SX, SY int
	Problem      string
}

// Error says which grid the rand_idx was for and what is wrong with it.
func (e *RandIdxError) Error() string {
	return fmt.Sprintf("tome: rand_idx for a %dx%d grid with sx=%d, sy=%d: %s", e.H, e.W, e.SX, e.SY, e.Problem)
}

// NewPartition returns the partition that tomesd's bipartite_soft_matching_random2d
// builds from randIdx [h/sy, w/sx] (row-major): the cell in cell-row i and cell-column
// j has its dst token at row i*sy + k/sx, column j*sx + k%sx of the grid, with
// k = randIdx[i*(w/sx)+j] in [0, sx*sy). Every other token is src, including the
// rows and columns left over when sy does not divide h or sx does not divide w.
//
// tomesd marks dst with -1 and src with 0 in an h x w buffer and argsorts it; Src
// and Dst are what a stable argsort gives (ascending ids). torch's CPU argsort is not
// stable, so tomesd's own index tensors hold the same sets in another order.
//
// A randIdx of the wrong length or with values outside [0, sx*sy) gives a
// *RandIdxError. NewPartition panics when h, w, sx or sy is below 1.
func NewPartition(h, w, sx, sy int, randIdx []int64) (Partition, error) {
	hsy, wsx := cells(h, w, sx, sy)
	fail := func(format string, a ...any) (Partition, error) {
		return Partition{}, &RandIdxError{H: h, W: w, SX: sx, SY: sy, Problem: fmt.Sprintf(format, a...)}
	}
	if len(randIdx) != hsy*wsx {
		return fail("has %d values, want %d x %d = %d", len(randIdx), hsy, wsx, hsy*wsx)
	}
	isDst := make([]bool, h*w) // tomesd's idx_buffer: true where it holds -1
	for i := range hsy {
		for j := range wsx {
			k := randIdx[i*wsx+j]
			if k < 0 || k >= int64(sx*sy) {
				return fail("value %d at cell (%d, %d) is outside [0, %d)", k, i, j, sx*sy)
			}
			row, col := i*sy+int(k)/sx, j*sx+int(k)%sx
			isDst[row*w+col] = true
		}
	}
	p := Partition{Src: make([]int, 0, h*w-hsy*wsx), Dst: make([]int, 0, hsy*wsx)}
	for id, dst := range isDst {
		if dst {
			p.Dst = append(p.Dst, id)
		} else {
			p.Src = append(p.Src, id)
		}
	}
	return p, nil
}

// TopLeft returns the rand_idx [h/sy, w/sx] of the partition without randomness
// (use_rand off): all zeros, the top-left token of every cell is dst.
func TopLeft(h, w, sx, sy int) []int64 {
	hsy, wsx := cells(h, w, sx, sy)
	return make([]int64, hsy*wsx)
}

// A Partitioner draws tomesd's rand_idx from its own seeded generator: the same
// seed gives the same sequence of draws on every machine. Each Draw continues the
// sequence, so every block call gets a fresh partition (tomesd seeds one generator
// per transformer block with rand_seed + block number; do the same with one
// Partitioner per block). A Partitioner is not safe for concurrent use.
//
// The generator is math/rand/v2's PCG created by rand.NewPCG(seed, 0): a 128-bit
// state s = seed<<64 (high word seed, low word 0); each Uint64 steps
// s = s*0x2360ed051fc65da44385df649fccf645 + 0x5851f42d4c957f2d14057b7ef767814f
// (mod 2^128) and outputs DXSM of the new state (hi, lo): hi ^= hi>>32;
// hi *= 0xda942042e4dd58b5; hi ^= hi>>48; hi *= lo|1 (mod 2^64).
// Each cell, in row-major cell order, takes one value k in
// [0, n), n = sx*sy, from its Uint64 stream by Lemire's multiply-shift method:
// x = Uint64(); (hi, lo) = x*n as a 128-bit product; while lo < (2^64 - n) mod n,
// draw x again; k = hi. For n a power of two k is simply the top log2(n) bits of x.
// The draws are not torch's (torch.randint with a torch.Generator); replaying
// recorded torch draws goes through NewPartition.
type Partitioner struct {
	// UseRand selects random dst tokens; when false Draw returns TopLeft and
	// consumes nothing from the generator.
	UseRand bool
	src     *rand.PCG
}

// NewPartitioner returns a Partitioner whose draws are fixed by seed.
func NewPartitioner(seed uint64, useRand bool) *Partitioner {
	return &Partitioner{UseRand: useRand, src: rand.NewPCG(seed, 0)}
}

// Draw returns the next rand_idx [h/sy, w/sx] (row-major): for every whole sy x sx
// cell, the row-major index k = dy*sx + dx in [0, sx*sy) of its dst token.
// It panics when h, w, sx or sy is below 1.
func (p *Partitioner) Draw(h, w, sx, sy int) []int64 {
	idx := TopLeft(h, w, sx, sy)
	if !p.UseRand {
		return idx
	}
	n := uint64(sx * sy)
	for c := range idx {
		idx[c] = int64(p.uintN(n))
	}
	return idx
}

// uintN returns a uniform value in [0, n) (Lemire, "Fast random integer generation
// in an interval", 2019).
func (p *Partitioner) uintN(n uint64) uint64 {
	hi, lo := bits.Mul64(p.src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(p.src.Uint64(), n)
		}
	}
	return hi
}

// cells returns the number of whole cells per column and per row, h/sy and w/sx.
func cells(h, w, sx, sy int) (hsy, wsx int) {
	if h < 1 || w < 1 || sx < 1 || sy < 1 {
		panic(fmt.Sprintf("tome: grid %dx%d with sx=%d, sy=%d: all must be at least 1", h, w, sx, sy))
	}
	return h / sy, w / sx
}
