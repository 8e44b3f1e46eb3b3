package models

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
)

// drawParam fills p's values from a generator seeded by (seed, FNV-1a of p.Name), so each
// tensor is reproducible alone, whatever the order or parallelism; it returns the bytes
// as stored in safetensors (F32 little-endian; I64 for position_ids).
func drawParam(p Param, seed uint64) []byte {
	n := p.NumElements()
	if p.Init == InitPositionIDs {
		b := make([]byte, 8*n)
		for i := int64(0); i < n; i++ {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(i%int64(p.Shape[len(p.Shape)-1])))
		}
		return b
	}
	h := fnv.New64a()
	h.Write([]byte(p.Name))
	r := rand.New(rand.NewPCG(seed, h.Sum64()))
	b := make([]byte, 4*n)
	put := func(i int64, v float32) { binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v)) }
	switch p.Init {
	case InitWeight, InitBias:
		bound := 1 / math.Sqrt(float64(max(p.FanIn, 1)))
		for i := int64(0); i < n; i++ {
			put(i, float32((2*r.Float64()-1)*bound))
		}
	case InitNormWeight:
		for i := int64(0); i < n; i++ {
			put(i, float32(1+0.2*r.NormFloat64()))
		}
	case InitNormBias:
		for i := int64(0); i < n; i++ {
			put(i, float32(0.2*r.NormFloat64()))
		}
	case InitEmbedding:
		for i := int64(0); i < n; i++ {
			put(i, float32(0.02*r.NormFloat64()))
		}
	}
	return b
}

func (p Param) dtype() string {
	if p.Init == InitPositionIDs {
		return "I64"
	}
	return "F32"
}

func (p Param) byteSize() int64 {
	if p.Init == InitPositionIDs {
		return 8 * p.NumElements()
	}
	return 4 * p.NumElements()
}

// writeSynthSafetensors streams seeded random values for ps into a safetensors file at
// path: the header first (computed from the shapes), then each tensor as it is drawn,
// several drawn in parallel but written in order. The layout is the one
// internal/safetensors.Encode produces (by decreasing element size, then name; header
// padded to 8 bytes; metadata format "pt"), so a file never needs to fit in memory.
func writeSynthSafetensors(path string, ps []Param, seed uint64) (int64, error) {
	order := append([]Param(nil), ps...)
	sort.SliceStable(order, func(i, j int) bool {
		si, sj := order[i].byteSize()/max(order[i].NumElements(), 1), order[j].byteSize()/max(order[j].NumElements(), 1)
		if si != sj {
			return si > sj
		}
		return order[i].Name < order[j].Name
	})
	var hdr bytes.Buffer
	hdr.WriteString(`{"__metadata__":{"format":"pt"}`)
	var off int64
	for _, p := range order {
		name, _ := json.Marshal(p.Name)
		hdr.WriteByte(',')
		hdr.Write(name)
		hdr.WriteString(`:{"dtype":"` + p.dtype() + `","shape":[`)
		for j, d := range p.Shape {
			if j > 0 {
				hdr.WriteByte(',')
			}
			hdr.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&hdr, `],"data_offsets":[%d,%d]}`, off, off+p.byteSize())
		off += p.byteSize()
	}
	hdr.WriteByte('}')
	for (8+hdr.Len())%8 != 0 {
		hdr.WriteByte(' ')
	}

	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 4<<20)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(hdr.Len()))
	w.Write(n[:])
	w.Write(hdr.Bytes())

	// Draw ahead on every core: the queue holds the tensors being drawn, in file order.
	queue := make(chan chan []byte, runtime.GOMAXPROCS(0))
	go func() {
		for _, p := range order {
			ch := make(chan []byte, 1)
			queue <- ch
			go func() { ch <- drawParam(p, seed) }()
		}
		close(queue)
	}()
	var werr error
	for ch := range queue {
		b := <-ch
		if werr == nil {
			_, werr = w.Write(b)
		}
	}
	if werr == nil {
		werr = w.Flush()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return 0, fmt.Errorf("models: writing %s: %w", filepath.Base(path), werr)
	}
	return 8 + int64(hdr.Len()) + off, nil
}
