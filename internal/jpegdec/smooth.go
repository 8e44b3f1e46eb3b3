package jpegdec

// Interblock smoothing of progressive JPEGs, as libjpeg-turbo's jdcoefct.c
// (smoothing_ok, decompress_smooth_data; the 5×5 version of libjpeg-turbo ≥ 2.1) does
// it with do_block_smoothing, its default and PIL's. It applies only when a file's
// scans leave one of the first nine AC coefficients (zig-zag 1–9) not known to full
// precision; then every block whose such coefficient is still zero gets an estimate
// from the DC values of its 5×5 neighbourhood of blocks, and when no AC data at all
// has arrived for the component, the DC value is re-estimated too (change_dc).

// smoothPos are the natural-order positions of zig-zag coefficients 1–9.
var smoothPos = [10]int{0, 1, 8, 16, 9, 2, 3, 10, 17, 24}

// smoothing reports whether libjpeg's smoothing_ok holds once all scans are read.
func (d *decoder) smoothing() bool {
	if !d.progressive {
		return false
	}
	useful := false
	for i := range d.nComp {
		c := &d.comp[i]
		if c.q == nil || d.coefBits[i][0] < 0 {
			return false
		}
		for _, p := range smoothPos {
			if c.q.raw[p] == 0 {
				return false
			}
		}
		for k := 1; k < 10; k++ {
			if d.coefBits[i][k] != 0 {
				useful = true
			}
		}
	}
	return useful
}

// smoothEstimate is the estimate of one coefficient with quantizer q from num
// (DC-weighted sum times the DC quantizer), capped below 2^al when al > 0.
func smoothEstimate(num, q int64, al int) int16 {
	neg := num < 0
	if neg {
		num = -num
	}
	pred := (q<<7 + num) / (q << 8)
	if al > 0 && pred >= 1<<al {
		pred = 1<<al - 1
	}
	if neg {
		pred = -pred
	}
	return int16(pred)
}

// reconstructSmoothed is reconstruct with decompress_smooth_data's estimates. For a
// complete file libjpeg uses the coefficient bits after the last scan everywhere
// (every iMCU row is "good").
func (d *decoder) reconstructSmoothed(ci int) {
	c := &d.comp[ci]
	bits := d.coefBits[ci][:10]
	changeDC := true
	for k := 1; k < 10; k++ {
		changeDC = changeDC && bits[k] == -1
	}
	var q [10]int64
	for k, p := range smoothPos {
		q[k] = int64(c.q.raw[p])
	}
	widthBlocks, heightBlocks := (c.dw+7)/8, (c.dh+7)/8
	lastCol := widthBlocks - 1
	imcuRows := d.mcusY
	stride := 8 * c.bw
	for r := range imcuRows {
		// The last iMCU row has only the component's real block rows.
		blockRows := c.v
		if r == imcuRows-1 {
			if blockRows = heightBlocks % c.v; blockRows == 0 {
				blockRows = c.v
			}
		}
		last := imcuRows - 1
		for br := range blockRows {
			// The neighbouring block rows, as libjpeg-turbo 2.1.x picks them: a row
			// two away is used only when the block row inside the iMCU row or the
			// iMCU row itself is far enough from the image's edge. (3.0 counts
			// block rows over the whole image instead, which differs when v > 1.)
			row := r*c.v + br // the block row in the coefficient array
			prev, prev2, next, next2 := row, row, row, row
			if br > 0 || r > 0 {
				prev = row - 1
			}
			prev2 = prev
			if br > 1 || r > 1 {
				prev2 = row - 2
			}
			if br < blockRows-1 || r < last {
				next = row + 1
			}
			next2 = next
			if br < blockRows-2 || r+1 < last {
				next2 = row + 2
			}
			rows := [5]int{prev2, prev, row, next, next2}
			for col := range widthBlocks {
				// dc[i][j]: DC of the block i−2 rows and j−2 columns away, columns
				// clamped to the component's blocks (libjpeg's DC01…DC25).
				var dc [5][5]int64
				for i, rr := range rows {
					for j := range 5 {
						cc := min(max(col+j-2, 0), lastCol)
						dc[i][j] = int64(c.coef[rr*c.bw+cc][0])
					}
				}
				ws := c.coef[row*c.bw+col]
				smoothBlock(&ws, &dc, &q, bits, changeDC)
				idctIslow(&ws, c.q, c.pix[8*(row*stride+col):], stride)
			}
		}
	}
}

// smoothBlock fills in b's estimates (decompress_smooth_data's kernels). DCxy in
// libjpeg is dc[(xy−1)/5][(xy−1)%5].
func smoothBlock(b *block, dc *[5][5]int64, q *[10]int64, bits []int, changeDC bool) {
	D := func(n int) int64 { return dc[(n-1)/5][(n-1)%5] }
	est := func(k int, num int64) {
		if al := bits[k]; al != 0 && b[smoothPos[k]] == 0 {
			b[smoothPos[k]] = smoothEstimate(q[0]*num, q[k], al)
		}
	}
	if changeDC {
		est(1, -D(1)-D(2)+D(4)+D(5)-3*D(6)+13*D(7)-13*D(9)+3*D(10)-3*D(11)+38*D(12)-38*D(14)+
			3*D(15)-3*D(16)+13*D(17)-13*D(19)+3*D(20)-D(21)-D(22)+D(24)+D(25))
		est(2, -D(1)-3*D(2)-3*D(3)-3*D(4)-D(5)-D(6)+13*D(7)+38*D(8)+13*D(9)-D(10)+D(16)-
			13*D(17)-38*D(18)-13*D(19)+D(20)+D(21)+3*D(22)+3*D(23)+3*D(24)+D(25))
		est(3, D(3)+2*D(7)+7*D(8)+2*D(9)-5*D(12)-14*D(13)-5*D(14)+2*D(17)+7*D(18)+2*D(19)+D(23))
		est(4, -D(1)+D(5)+9*D(7)-9*D(9)-9*D(17)+9*D(19)+D(21)-D(25))
		est(5, 2*D(7)-5*D(8)+2*D(9)+D(11)+7*D(12)-14*D(13)+7*D(14)+D(15)+2*D(17)-5*D(18)+2*D(19))
		est(6, D(7)-D(9)+2*D(12)-2*D(14)+D(17)-D(19))
		est(7, D(7)-3*D(8)+D(9)-D(17)+3*D(18)-D(19))
		est(8, D(7)-D(9)-3*D(12)+3*D(14)+D(17)-D(19))
		est(9, D(7)+2*D(8)+D(9)-D(17)-2*D(18)-D(19))
		num := -2*D(1) - 6*D(2) - 8*D(3) - 6*D(4) - 2*D(5) - 6*D(6) + 6*D(7) + 42*D(8) + 6*D(9) - 6*D(10) -
			8*D(11) + 42*D(12) + 152*D(13) + 42*D(14) - 8*D(15) - 6*D(16) + 6*D(17) + 42*D(18) + 6*D(19) - 6*D(20) -
			2*D(21) - 6*D(22) - 8*D(23) - 6*D(24) - 2*D(25)
		b[0] = smoothEstimate(q[0]*num, q[0], 0)
		return
	}
	est(1, -7*D(11)+50*D(12)-50*D(14)+7*D(15))
	est(2, -7*D(3)+50*D(8)-50*D(18)+7*D(23))
	est(3, -D(3)+13*D(8)-24*D(13)+13*D(18)-D(23))
	est(4, D(10)+D(16)-10*D(17)+10*D(19)-D(2)-D(20)+D(22)-D(24)+D(4)-D(6)+10*D(7)-10*D(9))
	est(5, -D(11)+13*D(12)-24*D(13)+13*D(14)-D(15))
}
