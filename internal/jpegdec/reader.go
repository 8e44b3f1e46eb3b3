// Copyright 2009 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.
//
// Adapted from the Go standard library (src/image/jpeg/reader.go, Go 1.26): the marker
// loop and the SOF, DQT, DRI and APPn parsers. Changes: any sampling factors 1–4 (as
// libjpeg), the colour space guessed as libjpeg's jdapimin.c does, quantization tables
// latched at a component's first scan (jdinput.c), no EOI needed after complete scans.

package jpegdec

import (
	"errors"
	"image"
	"image/color"
	"io"
)

// A FormatError reports that the input is not a valid JPEG.
type FormatError string

func (e FormatError) Error() string { return "jpegdec: invalid JPEG format: " + string(e) }

// An UnsupportedError reports that the input uses a valid JPEG feature that this
// package (or PIL, whose behaviour it follows) does not decode.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "jpegdec: unsupported JPEG feature: " + string(e) }

const (
	blockSize     = 64
	dcTable       = 0
	acTable       = 1
	maxTc         = 1
	maxTh         = 3
	maxTq         = 3
	maxComponents = 4
)

const (
	sof0Marker  = 0xc0 // Start Of Frame (Baseline Sequential).
	sof1Marker  = 0xc1 // Start Of Frame (Extended Sequential).
	sof2Marker  = 0xc2 // Start Of Frame (Progressive).
	dhtMarker   = 0xc4 // Define Huffman Table.
	rst0Marker  = 0xd0 // ReSTart (0).
	rst7Marker  = 0xd7 // ReSTart (7).
	soiMarker   = 0xd8 // Start Of Image.
	eoiMarker   = 0xd9 // End Of Image.
	sosMarker   = 0xda // Start Of Scan.
	dqtMarker   = 0xdb // Define Quantization Table.
	driMarker   = 0xdd // Define Restart Interval.
	comMarker   = 0xfe // COMment.
	app0Marker  = 0xe0
	app14Marker = 0xee
	app15Marker = 0xef
)

// unzig maps from the zig-zag ordering to the natural ordering.
var unzig = [blockSize]int{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// A block holds one 8×8 block's coefficients in natural order. They are int16 as
// libjpeg's JCOEF, so out-of-range values wrap as they do there.
type block [blockSize]int16

// colour spaces of the coded data (libjpeg's J_COLOR_SPACE, as far as needed).
const (
	csGray = iota + 1
	csYCbCr
	csRGB
	csCMYK
	csYCCK
)

// A qtable is a quantization table in natural order: raw holds the values as coded
// (libjpeg's quantval), mult as the islow IDCT multiplies by them (ISLOW_MULT_TYPE,
// a short in libjpeg-turbo).
type qtable struct {
	raw, mult [blockSize]int32
}

// component is a frame component (section B.2.2) and its decoded samples.
type component struct {
	h, v   int     // sampling factors
	c      uint8   // component identifier
	tq     uint8   // quantization table selector
	q      *qtable // latched at the component's first scan
	bw, bh int     // blocks across and down in the MCU grid
	dw, dh int     // samples across and down: libjpeg's downsampled_width/height
	coef   []block
	pix    []byte // 8·bw × 8·bh samples
}

type decoder struct {
	r     io.Reader
	bits  bits
	bytes byteBuf

	width, height int
	nComp         int
	maxH, maxV    int
	mcusX, mcusY  int
	ri            int // restart interval
	baseline      bool
	progressive   bool
	jfif, adobe   bool
	adobeXform    uint8
	colorSpace    int // set at the first SOS, as libjpeg's default_decompress_parms
	scans         int
	eobRun        uint16
	configOnly    bool // stop after the frame header

	comp     [maxComponents]component
	coefBits [maxComponents][blockSize]int // libjpeg's coef_bits: last Al per coefficient, −1 = none
	prevBits [maxComponents][blockSize]int // the same before the component's latest scan
	huff     [maxTc + 1][maxTh + 1]huffman
	quant    [maxTq + 1]*qtable
	tmp      [2 * blockSize]byte
}

// processSOF reads a frame header (section B.2.2).
func (d *decoder) processSOF(n int) error {
	if d.nComp != 0 {
		return FormatError("multiple SOF markers")
	}
	if n < 6 {
		return FormatError("SOF has wrong length")
	}
	if err := d.readFull(d.tmp[:6]); err != nil {
		return err
	}
	if d.tmp[0] != 8 {
		return UnsupportedError("precision other than 8 bits")
	}
	d.height = int(d.tmp[1])<<8 + int(d.tmp[2])
	d.width = int(d.tmp[3])<<8 + int(d.tmp[4])
	d.nComp = int(d.tmp[5])
	if d.width == 0 || d.height == 0 {
		return FormatError("empty image")
	}
	if n != 6+3*d.nComp {
		return FormatError("SOF has wrong length")
	}
	switch d.nComp {
	case 1, 3, 4:
	default:
		// libjpeg decodes these, but PIL opens only 1, 3 and 4 components.
		return UnsupportedError("number of components")
	}
	if err := d.readFull(d.tmp[:3*d.nComp]); err != nil {
		return err
	}
	d.maxH, d.maxV = 1, 1
	for i := range d.nComp {
		c := &d.comp[i]
		c.c = d.tmp[3*i]
		for j := range i {
			if c.c == d.comp[j].c {
				return FormatError("repeated component identifier")
			}
		}
		c.h, c.v = int(d.tmp[3*i+1]>>4), int(d.tmp[3*i+1]&0x0f)
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
			return FormatError("bad sampling factor")
		}
		c.tq = d.tmp[3*i+2]
		if c.tq > maxTq {
			return FormatError("bad Tq value")
		}
		d.maxH, d.maxV = max(d.maxH, c.h), max(d.maxV, c.v)
	}
	d.mcusX = (d.width + 8*d.maxH - 1) / (8 * d.maxH)
	d.mcusY = (d.height + 8*d.maxV - 1) / (8 * d.maxV)
	// A single component is non-interleaved by definition (section A.2): its
	// sampling factors only pad its block grid (and so matter to block smoothing).
	for i := range d.nComp {
		c := &d.comp[i]
		if d.maxH%c.h != 0 || d.maxV%c.v != 0 {
			// libjpeg's jdsample.c: JERR_FRACT_SAMPLE_NOTIMPL.
			return UnsupportedError("fractional sampling factors")
		}
		c.bw, c.bh = d.mcusX*c.h, d.mcusY*c.v
		c.dw = (d.width*c.h + d.maxH - 1) / d.maxH
		c.dh = (d.height*c.v + d.maxV - 1) / d.maxV
		for k := range d.coefBits[i] {
			d.coefBits[i][k] = -1
		}
	}
	const maxPixels = 1 << 28
	if d.mcusX*8*d.maxH > maxPixels/(d.mcusY*8*d.maxV) {
		return UnsupportedError("image too large")
	}
	return nil
}

// processDQT reads quantization tables (section B.2.4.1).
func (d *decoder) processDQT(n int) error {
	for n > 0 {
		n--
		x, err := d.readByte()
		if err != nil {
			return err
		}
		tq := x & 0x0f
		if tq > maxTq {
			return FormatError("bad Tq value")
		}
		q := new(qtable)
		switch x >> 4 {
		case 0:
			if n < blockSize {
				return FormatError("DQT has wrong length")
			}
			n -= blockSize
			if err := d.readFull(d.tmp[:blockSize]); err != nil {
				return err
			}
			for i := range blockSize {
				q.raw[unzig[i]] = int32(d.tmp[i])
			}
		case 1:
			if n < 2*blockSize {
				return FormatError("DQT has wrong length")
			}
			n -= 2 * blockSize
			if err := d.readFull(d.tmp[:2*blockSize]); err != nil {
				return err
			}
			for i := range blockSize {
				q.raw[unzig[i]] = int32(d.tmp[2*i])<<8 | int32(d.tmp[2*i+1])
			}
		default:
			return FormatError("bad Pq value")
		}
		for i, v := range q.raw {
			// libjpeg-turbo keeps multipliers as short: values above 32767 wrap.
			q.mult[i] = int32(int16(v))
		}
		d.quant[tq] = q
	}
	return nil
}

// processDRI reads the restart interval (section B.2.4.4).
func (d *decoder) processDRI(n int) error {
	if n != 2 {
		return FormatError("DRI has wrong length")
	}
	if err := d.readFull(d.tmp[:2]); err != nil {
		return err
	}
	d.ri = int(d.tmp[0])<<8 + int(d.tmp[1])
	return nil
}

// processApp reads APP0 (JFIF) and APP14 (Adobe) as libjpeg's jdmarker.c does:
// examine_app0 needs 14 bytes of data, examine_app14 12.
func (d *decoder) processApp(marker byte, n int) error {
	need := 14
	if marker == app14Marker {
		need = 12
	}
	if n < need {
		return d.ignore(n)
	}
	if err := d.readFull(d.tmp[:need]); err != nil {
		return err
	}
	t := d.tmp[:need]
	if marker == app0Marker && string(t[:5]) == "JFIF\x00" {
		d.jfif = true
	}
	if marker == app14Marker && string(t[:5]) == "Adobe" {
		d.adobe, d.adobeXform = true, t[11]
	}
	return d.ignore(n - need)
}

// guessColorSpace is libjpeg's default_decompress_parms (jdapimin.c).
func (d *decoder) guessColorSpace() int {
	switch d.nComp {
	case 1:
		return csGray
	case 3:
		switch {
		case d.jfif:
			return csYCbCr
		case d.adobe:
			if d.adobeXform == 0 {
				return csRGB
			}
			return csYCbCr
		case d.comp[0].c == 'R' && d.comp[1].c == 'G' && d.comp[2].c == 'B':
			return csRGB
		}
		return csYCbCr
	}
	if d.adobe && d.adobeXform == 0 {
		return csCMYK
	}
	if d.adobe {
		return csYCCK
	}
	return csCMYK
}

// decode reads the whole stream and returns the image.
func (d *decoder) decode(r io.Reader) (image.Image, error) {
	d.r = r
	if err := d.readFull(d.tmp[:2]); err != nil {
		return nil, err
	}
	if d.tmp[0] != 0xff || d.tmp[1] != soiMarker {
		return nil, FormatError("missing SOI marker")
	}
	for {
		err := d.readFull(d.tmp[:2])
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) && d.complete() {
				break // libjpeg emits a complete image without its EOI marker
			}
			return nil, err
		}
		for d.tmp[0] != 0xff {
			// Extraneous data between segments is skipped, as libjpeg does (with a
			// warning) and Go's image/jpeg does.
			d.tmp[0] = d.tmp[1]
			if d.tmp[1], err = d.readByte(); err != nil {
				return nil, err
			}
		}
		marker := d.tmp[1]
		if marker == 0 {
			continue
		}
		for marker == 0xff {
			if marker, err = d.readByte(); err != nil {
				return nil, err
			}
		}
		if marker == eoiMarker {
			break
		}
		if rst0Marker <= marker && marker <= rst7Marker {
			continue // a stray restart marker after the last interval
		}
		if err = d.readFull(d.tmp[:2]); err != nil {
			return nil, err
		}
		n := int(d.tmp[0])<<8 + int(d.tmp[1]) - 2
		if n < 0 {
			return nil, FormatError("short segment length")
		}
		switch {
		case marker == sof0Marker || marker == sof1Marker || marker == sof2Marker:
			d.baseline = marker == sof0Marker
			d.progressive = marker == sof2Marker
			if err = d.processSOF(n); err == nil && d.configOnly {
				return nil, nil
			}
		case marker == dhtMarker:
			err = d.processDHT(n)
		case marker == dqtMarker:
			err = d.processDQT(n)
		case marker == sosMarker:
			err = d.processSOS(n)
		case marker == driMarker:
			err = d.processDRI(n)
		case marker == app0Marker || marker == app14Marker:
			err = d.processApp(marker, n)
		case app0Marker <= marker && marker <= app15Marker || marker == comMarker:
			err = d.ignore(n)
		case marker == 0xc3 || 0xc5 <= marker && marker <= 0xcf && marker != 0xc8 && marker != 0xcc:
			err = UnsupportedError("lossless, hierarchical or arithmetic-coded JPEG")
		case marker < 0xc0:
			err = FormatError("unknown marker")
		default:
			err = d.ignore(n) // DAC, DNL, DHP, EXP, JPGn: skipped
		}
		if err != nil {
			return nil, err
		}
	}
	if d.scans == 0 {
		return nil, FormatError("missing SOS marker")
	}
	return d.output()
}

// complete reports whether every component has received data, so that a missing EOI
// marker can be forgiven.
func (d *decoder) complete() bool {
	if d.scans == 0 {
		return false
	}
	for i := range d.nComp {
		if d.coefBits[i][0] < 0 {
			return false
		}
	}
	return true
}

// Decode reads a JPEG image from r and returns it with PIL's pixels: *image.Gray for
// greyscale, *image.RGBA (opaque) for YCbCr and RGB, *image.CMYK for CMYK and YCCK
// (the values PIL holds in mode "CMYK", i.e. 0 = no ink).
func Decode(r io.Reader) (image.Image, error) {
	d := new(decoder)
	img, err := d.decode(r)
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return img, err
}

// DecodeConfig returns the dimensions and colour model of the image Decode would
// return, reading only up to the frame header.
func DecodeConfig(r io.Reader) (image.Config, error) {
	d := &decoder{configOnly: true}
	if _, err := d.decode(r); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return image.Config{}, err
	}
	if d.nComp == 0 {
		return image.Config{}, FormatError("missing SOF marker")
	}
	cfg := image.Config{Width: d.width, Height: d.height, ColorModel: color.RGBAModel}
	switch d.nComp {
	case 1:
		cfg.ColorModel = color.GrayModel
	case 4:
		cfg.ColorModel = color.CMYKModel
	}
	return cfg, nil
}
