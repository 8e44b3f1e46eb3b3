package inception

// A convSpec is one BasicConv2d of pytorch-fid's network: Conv2d(bias=False) with the
// given kernel, padding and stride, then BatchNorm2d(eps=0.001), then ReLU. Its
// state_dict keys are Name+".conv.weight" and Name+".bn.{weight,bias,running_mean,
// running_var,num_batches_tracked}".
type convSpec struct {
	Name           string
	In, Out        int
	KH, KW, PH, PW int
	Stride         int
}

// bnEps is BatchNorm2d's eps in torchvision's BasicConv2d.
const bnEps = 0.001

func conv(name string, in, out, k, pad, stride int) convSpec {
	return convSpec{name, in, out, k, k, pad, pad, stride}
}

func convHW(name string, in, out, kh, kw, ph, pw int) convSpec {
	return convSpec{name, in, out, kh, kw, ph, pw, 1}
}

// blockA is torchvision's InceptionA (pytorch-fid's FIDInceptionA) in registration order.
func blockA(p string, in, poolFeatures int) []convSpec {
	return []convSpec{
		conv(p+".branch1x1", in, 64, 1, 0, 1),
		conv(p+".branch5x5_1", in, 48, 1, 0, 1),
		conv(p+".branch5x5_2", 48, 64, 5, 2, 1),
		conv(p+".branch3x3dbl_1", in, 64, 1, 0, 1),
		conv(p+".branch3x3dbl_2", 64, 96, 3, 1, 1),
		conv(p+".branch3x3dbl_3", 96, 96, 3, 1, 1),
		conv(p+".branch_pool", in, poolFeatures, 1, 0, 1),
	}
}

// blockB is InceptionB (Mixed_6a, the 35→17 reduction).
func blockB(p string, in int) []convSpec {
	return []convSpec{
		conv(p+".branch3x3", in, 384, 3, 0, 2),
		conv(p+".branch3x3dbl_1", in, 64, 1, 0, 1),
		conv(p+".branch3x3dbl_2", 64, 96, 3, 1, 1),
		conv(p+".branch3x3dbl_3", 96, 96, 3, 0, 2),
	}
}

// blockC is InceptionC (FIDInceptionC) with c7 channels in its 7×7 factorised branches.
func blockC(p string, in, c7 int) []convSpec {
	return []convSpec{
		conv(p+".branch1x1", in, 192, 1, 0, 1),
		conv(p+".branch7x7_1", in, c7, 1, 0, 1),
		convHW(p+".branch7x7_2", c7, c7, 1, 7, 0, 3),
		convHW(p+".branch7x7_3", c7, 192, 7, 1, 3, 0),
		conv(p+".branch7x7dbl_1", in, c7, 1, 0, 1),
		convHW(p+".branch7x7dbl_2", c7, c7, 7, 1, 3, 0),
		convHW(p+".branch7x7dbl_3", c7, c7, 1, 7, 0, 3),
		convHW(p+".branch7x7dbl_4", c7, c7, 7, 1, 3, 0),
		convHW(p+".branch7x7dbl_5", c7, 192, 1, 7, 0, 3),
		conv(p+".branch_pool", in, 192, 1, 0, 1),
	}
}

// blockD is InceptionD (Mixed_7a, the 17→8 reduction).
func blockD(p string, in int) []convSpec {
	return []convSpec{
		conv(p+".branch3x3_1", in, 192, 1, 0, 1),
		conv(p+".branch3x3_2", 192, 320, 3, 0, 2),
		conv(p+".branch7x7x3_1", in, 192, 1, 0, 1),
		convHW(p+".branch7x7x3_2", 192, 192, 1, 7, 0, 3),
		convHW(p+".branch7x7x3_3", 192, 192, 7, 1, 3, 0),
		conv(p+".branch7x7x3_4", 192, 192, 3, 0, 2),
	}
}

// blockE is InceptionE (FIDInceptionE_1 and _2 share it; they differ in the pool).
func blockE(p string, in int) []convSpec {
	return []convSpec{
		conv(p+".branch1x1", in, 320, 1, 0, 1),
		conv(p+".branch3x3_1", in, 384, 1, 0, 1),
		convHW(p+".branch3x3_2a", 384, 384, 1, 3, 0, 1),
		convHW(p+".branch3x3_2b", 384, 384, 3, 1, 1, 0),
		conv(p+".branch3x3dbl_1", in, 448, 1, 0, 1),
		conv(p+".branch3x3dbl_2", 448, 384, 3, 1, 1),
		convHW(p+".branch3x3dbl_3a", 384, 384, 1, 3, 0, 1),
		convHW(p+".branch3x3dbl_3b", 384, 384, 3, 1, 1, 0),
		conv(p+".branch_pool", in, 192, 1, 0, 1),
	}
}

// architecture lists every BasicConv2d of fid_inception_v3() in state_dict order
// (torchvision's Inception3 module order with the FID blocks swapped in place).
func architecture() []convSpec {
	var s []convSpec
	s = append(s,
		conv("Conv2d_1a_3x3", 3, 32, 3, 0, 2),
		conv("Conv2d_2a_3x3", 32, 32, 3, 0, 1),
		conv("Conv2d_2b_3x3", 32, 64, 3, 1, 1),
		conv("Conv2d_3b_1x1", 64, 80, 1, 0, 1),
		conv("Conv2d_4a_3x3", 80, 192, 3, 0, 1),
	)
	s = append(s, blockA("Mixed_5b", 192, 32)...)
	s = append(s, blockA("Mixed_5c", 256, 64)...)
	s = append(s, blockA("Mixed_5d", 288, 64)...)
	s = append(s, blockB("Mixed_6a", 288)...)
	s = append(s, blockC("Mixed_6b", 768, 128)...)
	s = append(s, blockC("Mixed_6c", 768, 160)...)
	s = append(s, blockC("Mixed_6d", 768, 160)...)
	s = append(s, blockC("Mixed_6e", 768, 192)...)
	s = append(s, blockD("Mixed_7a", 768)...)
	s = append(s, blockE("Mixed_7b", 1280)...)
	s = append(s, blockE("Mixed_7c", 2048)...)
	return s
}

// fcIn and fcOut are the shape of the unused 1008-class classifier (fc.weight).
const fcIn, fcOut = 2048, 1008
