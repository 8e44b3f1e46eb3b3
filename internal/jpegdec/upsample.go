package jpegdec

// Chroma upsampling as libjpeg-turbo's jdsample.c does it with do_fancy_upsampling
// (the default, and PIL's): each component is brought to the frame's largest sampling
// factors by the first rule that applies (jinit_upsampler):
//
//	same factors                         → used as is
//	2:1 horizontally                     → h2v1_fancy_upsample (width > 2), else replication
//	2:1 vertically                       → h1v2_fancy_upsample
//	2:1 both ways                        → h2v2_fancy_upsample (width > 2), else replication
//	other integral ratios                → int_upsample (replication)
//
// The fancy filters interpolate linearly between sample centres (weights 3/4 and 1/4
// per direction) with an ordered rounding bias. At the image's edges libjpeg repeats
// the last real sample: columns past downsampled_width are never read, and the rows
// above the first and below the last real row (downsampled_height) are copies of
// those rows (jdmainct.c's context pointers), which is what clamping the row index
// does here.

// plane is a sample array with its row stride.
type plane struct {
	pix    []byte
	stride int
}

// upsample returns component c brought to full size (at least width×height).
func (d *decoder) upsample(c *component) plane {
	in := plane{c.pix, 8 * c.bw}
	hx, vx := d.maxH/c.h, d.maxV/c.v
	switch {
	case hx == 1 && vx == 1:
		return in
	case hx == 2 && vx == 1 && c.dw > 2:
		return d.h2v1Fancy(c, in)
	case hx == 1 && vx == 2:
		return d.h1v2Fancy(c, in)
	case hx == 2 && vx == 2 && c.dw > 2:
		return d.h2v2Fancy(c, in)
	}
	return d.replicate(in, hx, vx)
}

// replicate is int_upsample (and h2v1_upsample, h2v2_upsample): a box filter.
func (d *decoder) replicate(in plane, hx, vx int) plane {
	out := plane{make([]byte, d.width*d.height), d.width}
	for y := range d.height {
		src := in.pix[(y/vx)*in.stride:]
		dst := out.pix[y*out.stride : y*out.stride+d.width]
		for x := range dst {
			dst[x] = src[x/hx]
		}
	}
	return out
}

// h2v1Fancy is h2v1_fancy_upsample: out = (3·near + far + bias) >> 2, bias 1 for the
// left output of each pair and 2 for the right; the outermost outputs copy the edge.
func (d *decoder) h2v1Fancy(c *component, in plane) plane {
	w := 2 * c.dw
	out := plane{make([]byte, w*d.height), w}
	for y := range d.height {
		fancyRow(out.pix[y*w:(y+1)*w], in.pix[y*in.stride:y*in.stride+c.dw])
	}
	return out
}

// fancyRow upsamples one row 2:1 horizontally; len(dst) == 2·len(src), len(src) > 2.
func fancyRow(dst, src []byte) {
	n := len(src)
	dst[0] = src[0]
	dst[1] = byte((int(src[0])*3 + int(src[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := int(src[i]) * 3
		dst[2*i] = byte((v + int(src[i-1]) + 1) >> 2)
		dst[2*i+1] = byte((v + int(src[i+1]) + 2) >> 2)
	}
	dst[2*n-2] = byte((int(src[n-1])*3 + int(src[n-2]) + 1) >> 2)
	dst[2*n-1] = src[n-1]
}

// rowPair returns, for output row y of a 2:1 vertical upsampling, the nearest input
// row and the next nearest (the one above for even y, below for odd y), clamped to
// the component's real rows.
func rowPair(y, dh int) (near, far int) {
	near = y / 2
	if y%2 == 0 {
		far = max(near-1, 0)
	} else {
		far = min(near+1, dh-1)
	}
	return near, far
}

// h1v2Fancy is h1v2_fancy_upsample (libjpeg-turbo ≥ 2.0): out = (3·near + far + bias)
// >> 2 with bias 1 for the upper output row of each pair and 2 for the lower.
func (d *decoder) h1v2Fancy(c *component, in plane) plane {
	w := c.dw
	out := plane{make([]byte, w*d.height), w}
	for y := range d.height {
		near, far := rowPair(y, c.dh)
		bias := 1 + y%2
		a, b := in.pix[near*in.stride:], in.pix[far*in.stride:]
		dst := out.pix[y*w : (y+1)*w]
		for x := range dst {
			dst[x] = byte((int(a[x])*3 + int(b[x]) + bias) >> 2)
		}
	}
	return out
}

// h2v2Fancy is h2v2_fancy_upsample: vertical sums s = 3·near + far per column, then
// horizontally (3·s + s_neighbour + bias) >> 4 with bias 8 for the left output of
// each pair and 7 for the right; the outermost outputs use 4·s.
func (d *decoder) h2v2Fancy(c *component, in plane) plane {
	w, n := 2*c.dw, c.dw
	out := plane{make([]byte, w*d.height), w}
	sum := make([]int, n)
	for y := range d.height {
		near, far := rowPair(y, c.dh)
		a, b := in.pix[near*in.stride:], in.pix[far*in.stride:]
		for x := range sum {
			sum[x] = int(a[x])*3 + int(b[x])
		}
		dst := out.pix[y*w : (y+1)*w]
		dst[0] = byte((sum[0]*4 + 8) >> 4)
		dst[1] = byte((sum[0]*3 + sum[1] + 7) >> 4)
		for i := 1; i < n-1; i++ {
			v := sum[i] * 3
			dst[2*i] = byte((v + sum[i-1] + 8) >> 4)
			dst[2*i+1] = byte((v + sum[i+1] + 7) >> 4)
		}
		dst[2*n-2] = byte((sum[n-1]*3 + sum[n-2] + 8) >> 4)
		dst[2*n-1] = byte((sum[n-1]*4 + 7) >> 4)
	}
	return out
}
