package tome

import (
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tomebench/tomebench/internal/npy"
)

func TestNewPartitionByHand(t *testing.T) {
	// A 3x5 grid with sx = sy = 2 has one whole row of two cells; the last row and
	// the last column are left over (src). rand_idx = [3, 0]:
	//
	//	 0  1 [2] 3  4      cell (0,0): k=3 -> dy=1, dx=1 -> token 6
	//	 5 [6] 7  8  9      cell (0,1): k=0 -> dy=0, dx=0 -> token 2
	//	10 11 12 13 14
	//
	// Dst is in ascending token order (2 before 6), not in cell order.
	p, err := NewPartition(3, 5, 2, 2, []int64{3, 0})
	if err != nil {
		t.Fatal(err)
	}
	wantSrc := []int{0, 1, 3, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14}
	if !slices.Equal(p.Dst, []int{2, 6}) || !slices.Equal(p.Src, wantSrc) {
		t.Errorf("NewPartition = src %v, dst %v; want src %v, dst [2 6]", p.Src, p.Dst, wantSrc)
	}
}

func TestNewPartitionErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		randIdx []int64
	}{
		{"too short", []int64{0, 0, 0}},
		{"too long", make([]int64, 5)},
		{"value = sx*sy", []int64{0, 0, 4, 0}},
		{"negative value", []int64{0, -1, 0, 0}},
	} {
		_, err := NewPartition(4, 4, 2, 2, tc.randIdx)
		if e := (*RandIdxError)(nil); !errors.As(err, &e) {
			t.Errorf("%s: err = %v, want *RandIdxError", tc.name, err)
		}
	}
}

// checkPartition checks the invariants of step 2: Src and Dst ascending, disjoint,
// covering 0..h*w-1; exactly one dst in every whole cell, at rand_idx; the leftover
// rows and columns all src.
func checkPartition(t *testing.T, h, w, sx, sy int, randIdx []int64, p Partition) {
	t.Helper()
	if !slices.IsSorted(p.Src) || !slices.IsSorted(p.Dst) {
		t.Fatalf("%dx%d s%d%d: Src or Dst not ascending", h, w, sx, sy)
	}
	if got := slices.Sorted(slices.Values(append(slices.Clone(p.Src), p.Dst...))); len(got) != h*w || got[0] != 0 || got[h*w-1] != h*w-1 || len(slices.Compact(got)) != h*w {
		t.Fatalf("%dx%d s%d%d: Src and Dst do not partition the grid", h, w, sx, sy)
	}
	isDst := map[int]bool{}
	for _, id := range p.Dst {
		isDst[id] = true
	}
	for row := range h {
		for col := range w {
			i, j := row/sy, col/sx
			want := i < h/sy && j < w/sx && int64((row%sy)*sx+col%sx) == randIdx[i*(w/sx)+j]
			if isDst[row*w+col] != want {
				t.Fatalf("%dx%d s%d%d: token (%d, %d) dst = %v, want %v", h, w, sx, sy, row, col, !want, want)
			}
		}
	}
}

func TestPartitionInvariants(t *testing.T) {
	pt := NewPartitioner(7, true)
	for _, g := range []struct{ h, w, sx, sy int }{
		{8, 8, 2, 2}, {10, 12, 4, 4}, {10, 12, 2, 1}, {24, 40, 4, 2}, {5, 7, 3, 2}, {3, 3, 4, 4}, {6, 6, 1, 1},
	} {
		randIdx := pt.Draw(g.h, g.w, g.sx, g.sy)
		p, err := NewPartition(g.h, g.w, g.sx, g.sy, randIdx)
		if err != nil {
			t.Fatal(err)
		}
		checkPartition(t, g.h, g.w, g.sx, g.sy, randIdx, p)
	}
}

// TestReplayTinyUNetDraws reads the partitions tomesd drew inside the tiny UNet
// (fixture unet/tiny-sd15/golden, [h/sy, w/sx, 1] per merge call) as rand_idx.
func TestReplayTinyUNetDraws(t *testing.T) {
	dir := "../../shared/fixtures/unet/tiny-sd15/golden"
	for _, tc := range []struct {
		file             string
		h, w, sx, sy, nd int
	}{
		{"tome_r50_rand_draw00.npy", 32, 32, 2, 2, 256},
		{"tome_r40_rand_md2_s42_nonsq_draw00.npy", 24, 40, 4, 2, 120},
		{"tome_r40_rand_md2_s42_nonsq_draw01.npy", 12, 20, 4, 2, 30},
	} {
		a, err := npy.ReadFile(filepath.Join(dir, tc.file))
		if err != nil {
			t.Fatalf("fixture missing: %v", err)
		}
		p, err := NewPartition(tc.h, tc.w, tc.sx, tc.sy, a.Int64s())
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if len(p.Dst) != tc.nd {
			t.Errorf("%s: %d dst, want %d", tc.file, len(p.Dst), tc.nd)
		}
		checkPartition(t, tc.h, tc.w, tc.sx, tc.sy, a.Int64s(), p)
	}
}

func TestPartitionerSequence(t *testing.T) {
	a, b := NewPartitioner(42, true), NewPartitioner(42, true)
	first := a.Draw(64, 64, 2, 2)
	if !slices.Equal(first, b.Draw(64, 64, 2, 2)) {
		t.Error("same seed, different first draw")
	}
	if slices.Equal(first, a.Draw(64, 64, 2, 2)) {
		t.Error("second draw repeats the first")
	}
	if slices.Equal(first, NewPartitioner(43, true).Draw(64, 64, 2, 2)) {
		t.Error("seeds 42 and 43 draw the same partition")
	}
	// With UseRand off, Draw is TopLeft and leaves the sequence where it was.
	b.UseRand = false
	if zeros := b.Draw(64, 64, 2, 2); slices.ContainsFunc(zeros, func(k int64) bool { return k != 0 }) {
		t.Error("UseRand off: want all zeros")
	}
	b.UseRand = true
	if !slices.Equal(b.Draw(64, 64, 2, 2), NewPartitioner(42, true).seek(1).Draw(64, 64, 2, 2)) {
		t.Error("a draw with UseRand off consumed the generator")
	}
}

// seek draws and discards n 64x64 partitions.
func (p *Partitioner) seek(n int) *Partitioner {
	for range n {
		p.Draw(64, 64, 2, 2)
	}
	return p
}

// TestPartitionerGenerator re-implements the generator as documented on
// Partitioner, with math/big for the 128-bit state, and compares the draws.
func TestPartitionerGenerator(t *testing.T) {
	hex := func(s string) *big.Int { v, _ := new(big.Int).SetString(s, 16); return v }
	mul, inc := hex("2360ed051fc65da44385df649fccf645"), hex("5851f42d4c957f2d14057b7ef767814f")
	mod128, mask64 := new(big.Int).Lsh(big.NewInt(1), 128), new(big.Int).SetUint64(^uint64(0))
	for _, g := range []struct{ h, w, sx, sy int }{{8, 8, 2, 2}, {9, 9, 3, 3}, {6, 12, 3, 2}} {
		const seed = 12345
		state := new(big.Int).Lsh(big.NewInt(seed), 64)
		next := func() uint64 {
			state.Mul(state, mul).Add(state, inc).Mod(state, mod128)
			hi := new(big.Int).Rsh(state, 64).Uint64()
			lo := new(big.Int).And(state, mask64).Uint64()
			hi ^= hi >> 32
			hi *= 0xda942042e4dd58b5
			hi ^= hi >> 48
			return hi * (lo | 1)
		}
		n := uint64(g.sx * g.sy)
		thresh := (-n) % n // (2^64 - n) mod n
		var want []int64
		for range (g.h / g.sy) * (g.w / g.sx) {
			for {
				prod := new(big.Int).Mul(new(big.Int).SetUint64(next()), new(big.Int).SetUint64(n))
				if new(big.Int).And(prod, mask64).Uint64() >= thresh {
					want = append(want, new(big.Int).Rsh(prod, 64).Int64())
					break
				}
			}
		}
		if got := NewPartitioner(seed, true).Draw(g.h, g.w, g.sx, g.sy); !slices.Equal(got, want) {
			t.Errorf("%+v: Draw = %v, documented generator gives %v", g, got, want)
		}
	}
}

func TestPartitionerUniform(t *testing.T) {
	// 3x2 cells (n = 6, not a power of two, so rejection is exercised): over
	// 60,000 cells each value should appear 10,000 times, ±5 standard deviations.
	p := NewPartitioner(1, true)
	counts := make([]int, 6)
	for range 100 {
		for _, k := range p.Draw(60, 60, 3, 2) {
			counts[k]++
		}
	}
	for k, c := range counts {
		if c < 10000-5*91 || c > 10000+5*91 {
			t.Errorf("value %d drawn %d times, want 10000 ± 455", k, c)
		}
	}
}

func FuzzNewPartition(f *testing.F) {
	f.Add(uint8(3), uint8(5), uint8(2), uint8(2), []byte{3, 0})
	f.Add(uint8(8), uint8(8), uint8(4), uint8(4), []byte{15, 0, 7, 200})
	f.Fuzz(func(t *testing.T, h, w, sx, sy uint8, raw []byte) {
		H, W, SX, SY := int(h%20)+1, int(w%20)+1, int(sx%5)+1, int(sy%5)+1
		randIdx := make([]int64, len(raw))
		for i, b := range raw {
			randIdx[i] = int64(int8(b))
		}
		p, err := NewPartition(H, W, SX, SY, randIdx)
		if err != nil {
			if e := (*RandIdxError)(nil); !errors.As(err, &e) {
				t.Fatalf("error %v is not a *RandIdxError", err)
			}
			return
		}
		checkPartition(t, H, W, SX, SY, randIdx, p)
	})
}
