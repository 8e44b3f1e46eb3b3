package inception

import (
	"bufio"
	"image"
	"io"
)

// decodeNetpbm decodes PGM (P2, P5) and PPM (P3, P6) images, which pytorch-fid accepts
// but Go's libraries do not decode. Sample values follow PIL: maxval 255 as is,
// smaller maxvals scaled to 0–255, 16-bit grey clipped at 255 (PIL's mode I), 16-bit
// colour reduced to its high byte (PIL's RGB;16B).
func decodeNetpbm(r *bufio.Reader) (image.Image, error) {
	magic := make([]byte, 2)
	if _, err := io.ReadFull(r, magic); err != nil {
		return nil, errNetpbm("short header")
	}
	kind := magic[1]
	if kind != '2' && kind != '3' && kind != '5' && kind != '6' {
		return nil, errNetpbm("P%c bitmaps are not supported (only PGM and PPM)", kind)
	}
	var hdr [3]int
	for i := range hdr {
		v, err := pnmInt(r)
		if err != nil {
			return nil, errNetpbm("bad header: %v", err)
		}
		hdr[i] = v
	}
	w, h, maxval := hdr[0], hdr[1], hdr[2]
	if w <= 0 || h <= 0 || maxval <= 0 || maxval > 65535 || w > 1<<15 || h > 1<<15 {
		return nil, errNetpbm("bad header: %d×%d, maxval %d", w, h, maxval)
	}
	// pnmInt consumed the single whitespace byte that ends the header.
	ch := 1
	if kind == '3' || kind == '6' {
		ch = 3
	}
	sample := func() (int, error) {
		if kind == '2' || kind == '3' {
			return pnmInt(r)
		}
		var b [2]byte
		n := 1
		if maxval > 255 {
			n = 2
		}
		if _, err := io.ReadFull(r, b[:n]); err != nil {
			return 0, err
		}
		if n == 2 {
			return int(b[0])<<8 | int(b[1]), nil
		}
		return int(b[0]), nil
	}
	// Pixels are appended as read, so a header claiming a huge size costs nothing
	// until the data is there.
	pix := make([]uint8, 0, min(4*w*h, 1<<20))
	var v [3]uint8
	for i := 0; i < w*h; i++ {
		for c := range ch {
			s, err := sample()
			if err != nil {
				return nil, errNetpbm("truncated raster at pixel %d", i)
			}
			switch {
			case maxval == 255:
				v[c] = uint8(min(s, 255))
			case maxval < 255:
				v[c] = uint8(min((s*255+maxval/2)/maxval, 255))
			case ch == 1:
				v[c] = uint8(min(s, 255))
			default:
				v[c] = uint8(s >> 8)
			}
		}
		if ch == 1 {
			v[1], v[2] = v[0], v[0]
		}
		pix = append(pix, v[0], v[1], v[2], 255)
	}
	return &image.NRGBA{Pix: pix, Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}, nil
}

// pnmInt reads a decimal number after whitespace and #-comments.
func pnmInt(r *bufio.Reader) (int, error) {
	n, digits := 0, 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			if digits > 0 && err == io.EOF {
				return n, nil
			}
			return 0, errNetpbm("truncated")
		}
		switch {
		case c == '#' && digits == 0:
			if _, err := r.ReadString('\n'); err != nil {
				return 0, errNetpbm("truncated comment")
			}
		case c >= '0' && c <= '9':
			if n > 1<<24 {
				return 0, errNetpbm("number too large")
			}
			n = n*10 + int(c-'0')
			digits++
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if digits > 0 {
				return n, nil
			}
		default:
			return 0, errNetpbm("unexpected byte %q", c)
		}
	}
}
