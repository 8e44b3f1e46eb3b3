// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
//
// Adapted from the Go standard library (src/image/jpeg/scan.go, Go 1.26): scan headers,
// Huffman-coded blocks (sequential and progressive) and restart markers. Changes: the
// MCU layout follows the frame's largest sampling factors (not component 0's), a
// non-interleaved scan counts one block per MCU for restart intervals (libjpeg
// jdinput.c), coefficients are int16 as libjpeg's, scan parameters are checked as
// jdphuff.c does, and blocks go through libjpeg's islow IDCT (idct.go).

package jpegdec

// scanComp is one component of a scan header.
type scanComp struct {
	ci     int   // index into d.comp
	td, ta uint8 // DC and AC Huffman table selectors
}

// processSOS reads a scan header (section B.2.3) and decodes the scan.
func (d *decoder) processSOS(n int) error {
	if d.nComp == 0 {
		return FormatError("missing SOF marker")
	}
	if n < 6 || 4+2*d.nComp < n || n%2 != 0 {
		return FormatError("SOS has wrong length")
	}
	if err := d.readFull(d.tmp[:n]); err != nil {
		return err
	}
	nComp := int(d.tmp[0])
	if n != 4+2*nComp {
		return FormatError("SOS length inconsistent with number of components")
	}
	var scan [maxComponents]scanComp
	blocksPerMCU := 0
	for i := range nComp {
		cs := d.tmp[1+2*i]
		ci := -1
		for j := range d.nComp {
			if cs == d.comp[j].c {
				ci = j
			}
		}
		if ci < 0 {
			return FormatError("unknown component selector")
		}
		for j := range i {
			if scan[j].ci == ci {
				return FormatError("repeated component selector")
			}
		}
		scan[i].ci = ci
		blocksPerMCU += d.comp[ci].h * d.comp[ci].v
		scan[i].td = d.tmp[2+2*i] >> 4
		scan[i].ta = d.tmp[2+2*i] & 0x0f
		if scan[i].td > maxTh || scan[i].ta > maxTh {
			return FormatError("bad Td or Ta value")
		}
	}
	if nComp > 1 && blocksPerMCU > 10 {
		return FormatError("too many blocks in an MCU")
	}
	if d.scans == 0 {
		d.colorSpace = d.guessColorSpace()
	}
	d.scans++

	zigStart, zigEnd, ah, al := 0, blockSize-1, 0, 0
	if d.progressive {
		zigStart, zigEnd = int(d.tmp[1+2*nComp]), int(d.tmp[2+2*nComp])
		ah, al = int(d.tmp[3+2*nComp]>>4), int(d.tmp[3+2*nComp]&0x0f)
		// The checks of jdphuff.c's start_pass_phuff_decoder.
		if zigStart == 0 && zigEnd != 0 || zigStart > zigEnd || zigEnd >= blockSize ||
			zigStart != 0 && nComp != 1 || ah != 0 && al != ah-1 || al > 13 {
			return FormatError("bad progressive scan parameters")
		}
	}

	// Latch quantization tables at each component's first scan (jdinput.c) and
	// allocate its storage.
	for _, s := range scan[:nComp] {
		c := &d.comp[s.ci]
		if c.q == nil {
			if c.q = d.quant[c.tq]; c.q == nil {
				return FormatError("missing quantization table")
			}
		}
		if c.pix == nil {
			c.pix = make([]byte, 64*c.bw*c.bh)
			if d.progressive {
				c.coef = make([]block, c.bw*c.bh)
			}
		}
		// Progression status, as jdphuff.c's start_pass_phuff_decoder keeps it.
		for k := min(zigStart, 1); k <= max(zigEnd, 9); k++ {
			if d.scans > 1 {
				d.prevBits[s.ci][k] = d.coefBits[s.ci][k]
			} else {
				d.prevBits[s.ci][k] = 0
			}
		}
		for k := zigStart; k <= zigEnd; k++ {
			d.coefBits[s.ci][k] = al
		}
	}

	// An interleaved scan codes MCUs of h×v blocks per component over the frame's
	// MCU grid; a single-component scan codes one block per MCU, covering only the
	// blocks that hold the component's samples (section A.2).
	mcusX, mcusY := d.mcusX, d.mcusY
	if nComp == 1 {
		c := &d.comp[scan[0].ci]
		mcusX, mcusY = (c.dw+7)/8, (c.dh+7)/8
	}
	d.bits = bits{}
	d.eobRun = 0
	var dc [maxComponents]int32
	expectedRST := uint8(rst0Marker)
	for mcu, total := 0, mcusX*mcusY; mcu < total; {
		mx, my := mcu%mcusX, mcu/mcusX
		for _, s := range scan[:nComp] {
			c := &d.comp[s.ci]
			hi, vi := c.h, c.v
			if nComp == 1 {
				hi, vi = 1, 1
			}
			for j := range hi * vi {
				bx, by := hi*mx+j%hi, vi*my+j/hi
				var b *block
				var tmp block
				if d.progressive {
					b = &c.coef[by*c.bw+bx]
				} else {
					b = &tmp
				}
				var err error
				switch {
				case ah != 0:
					err = d.refine(b, &d.huff[acTable][s.ta], zigStart, zigEnd, 1<<al)
				default:
					err = d.decodeBlock(b, s, &dc[s.ci], zigStart, zigEnd, al)
				}
				if err != nil {
					return err
				}
				if !d.progressive {
					idctIslow(b, c.q, c.pix[8*(by*8*c.bw+bx):], 8*c.bw)
				}
			}
		}
		mcu++
		if d.ri > 0 && mcu%d.ri == 0 && mcu < total {
			if err := d.readFull(d.tmp[:2]); err != nil {
				return err
			} else if d.tmp[0] != 0xff || d.tmp[1] != expectedRST {
				if err := d.findRST(expectedRST); err != nil {
					return err
				}
			}
			expectedRST++
			if expectedRST == rst7Marker+1 {
				expectedRST = rst0Marker
			}
			d.bits = bits{}
			dc = [maxComponents]int32{}
			d.eobRun = 0
		}
	}
	return nil
}

// decodeBlock decodes a sequential block or a progressive first scan (DC, or an AC
// band) into b: sections F.2.2 and G.1.2.
func (d *decoder) decodeBlock(b *block, s scanComp, dc *int32, zigStart, zigEnd, al int) error {
	zig := zigStart
	if zig == 0 {
		zig++
		value, err := d.decodeHuffman(&d.huff[dcTable][s.td])
		if err != nil {
			return err
		}
		if value > 16 {
			return UnsupportedError("excessive DC component")
		}
		delta, err := d.receiveExtend(value)
		if err != nil {
			return err
		}
		*dc += delta
		b[0] = int16(*dc << al)
	}
	if zig > zigEnd {
		return nil
	}
	if d.eobRun > 0 {
		d.eobRun--
		return nil
	}
	huff := &d.huff[acTable][s.ta]
	for ; zig <= zigEnd; zig++ {
		value, err := d.decodeHuffman(huff)
		if err != nil {
			return err
		}
		val0, val1 := value>>4, value&0x0f
		if val1 != 0 {
			zig += int(val0)
			if zig > zigEnd {
				break
			}
			ac, err := d.receiveExtend(val1)
			if err != nil {
				return err
			}
			b[unzig[zig]] = int16(ac << al)
			continue
		}
		if val0 != 0x0f {
			d.eobRun = uint16(1 << val0)
			if val0 != 0 {
				bits, err := d.decodeBits(int32(val0))
				if err != nil {
					return err
				}
				d.eobRun |= uint16(bits)
			}
			d.eobRun--
			break
		}
		zig += 0x0f
	}
	return nil
}

// refine decodes a successive approximation refinement block, as specified in
// section G.1.2.
func (d *decoder) refine(b *block, h *huffman, zigStart, zigEnd int, delta int32) error {
	if zigStart == 0 {
		bit, err := d.decodeBit()
		if err != nil {
			return err
		}
		if bit {
			b[0] |= int16(delta)
		}
		return nil
	}
	zig := zigStart
	if d.eobRun == 0 {
	loop:
		for ; zig <= zigEnd; zig++ {
			z := int32(0)
			value, err := d.decodeHuffman(h)
			if err != nil {
				return err
			}
			val0, val1 := value>>4, value&0x0f
			switch val1 {
			case 0:
				if val0 != 0x0f {
					d.eobRun = uint16(1 << val0)
					if val0 != 0 {
						bits, err := d.decodeBits(int32(val0))
						if err != nil {
							return err
						}
						d.eobRun |= uint16(bits)
					}
					break loop
				}
			case 1:
				z = delta
				bit, err := d.decodeBit()
				if err != nil {
					return err
				}
				if !bit {
					z = -z
				}
			default:
				return FormatError("unexpected Huffman code")
			}
			zig, err = d.refineNonZeroes(b, zig, zigEnd, int(val0), delta)
			if err != nil {
				return err
			}
			if zig > zigEnd {
				return FormatError("too many coefficients")
			}
			if z != 0 {
				b[unzig[zig]] = int16(z)
			}
		}
	}
	if d.eobRun > 0 {
		d.eobRun--
		if _, err := d.refineNonZeroes(b, zig, zigEnd, -1, delta); err != nil {
			return err
		}
	}
	return nil
}

// refineNonZeroes refines non-zero entries of b in zig-zag order. If nz >= 0,
// the first nz zero entries are skipped over.
func (d *decoder) refineNonZeroes(b *block, zig, zigEnd, nz int, delta int32) (int, error) {
	for ; zig <= zigEnd; zig++ {
		u := unzig[zig]
		if b[u] == 0 {
			if nz == 0 {
				break
			}
			nz--
			continue
		}
		bit, err := d.decodeBit()
		if err != nil {
			return 0, err
		}
		if !bit {
			continue
		}
		// libjpeg adds only when the bit is new (p1 not yet set), as in jdphuff.c.
		if int32(b[u])&delta == 0 {
			if b[u] >= 0 {
				b[u] = int16(int32(b[u]) + delta)
			} else {
				b[u] = int16(int32(b[u]) - delta)
			}
		}
	}
	return zig, nil
}

// findRST advances past the next RST restart marker that matches expectedRST.
// Other than I/O errors, it is also an error if we encounter an {0xFF, M}
// two-byte marker sequence where M is not 0x00, 0xFF or the expectedRST.
// (Unchanged from Go's image/jpeg.)
func (d *decoder) findRST(expectedRST uint8) error {
	for {
		i := 0
		if d.tmp[0] == 0xff {
			if d.tmp[1] == expectedRST {
				return nil
			} else if d.tmp[1] == 0xff {
				i = 1
			} else if d.tmp[1] != 0x00 {
				return FormatError("bad RST marker")
			}
		} else if d.tmp[1] == 0xff {
			d.tmp[0] = 0xff
			i = 1
		}
		if err := d.readFull(d.tmp[i:2]); err != nil {
			return err
		}
	}
}
