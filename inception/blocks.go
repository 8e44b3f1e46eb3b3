package inception

import (
	"strings"

	"github.com/tomebench/tomebench/internal/onnx"
)

// The four output blocks of pytorch-fid's InceptionV3, each as its forward pass reads.

// block0: Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, MaxPool(3, stride 2) → [B,64,73,73].
func (n *net) block0(x string) string {
	x = n.basicConv("Conv2d_1a_3x3", x)
	x = n.basicConv("Conv2d_2a_3x3", x)
	x = n.basicConv("Conv2d_2b_3x3", x)
	return n.maxPool("maxpool1", x, 2, 0)
}

// block1: Conv2d_3b_1x1, Conv2d_4a_3x3, MaxPool(3, stride 2) → [B,192,35,35].
func (n *net) block1(x string) string {
	x = n.basicConv("Conv2d_3b_1x1", x)
	x = n.basicConv("Conv2d_4a_3x3", x)
	return n.maxPool("maxpool2", x, 2, 0)
}

// block2: Mixed_5b … Mixed_6e → [B,768,17,17].
func (n *net) block2(x string) string {
	for _, p := range []string{"Mixed_5b", "Mixed_5c", "Mixed_5d"} {
		x = n.inceptionA(p, x)
	}
	x = n.inceptionB("Mixed_6a", x)
	for _, p := range []string{"Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"} {
		x = n.inceptionC(p, x)
	}
	return x
}

// block3: Mixed_7a, Mixed_7b (FIDInceptionE_1), Mixed_7c (FIDInceptionE_2), and the
// adaptive average pool to 1×1 → [B,2048,1,1].
func (n *net) block3(x string) string {
	x = n.inceptionD("Mixed_7a", x)
	x = n.inceptionE("Mixed_7b", x, false)
	x = n.inceptionE("Mixed_7c", x, true)
	return n.b.Scope("avgpool").Op("GlobalAveragePool", []string{x})
}

// chain applies the BasicConv2d layers p.name… in turn.
func (n *net) chain(p, x string, names ...string) string {
	for _, name := range names {
		x = n.basicConv(p+"."+name, x)
	}
	return x
}

func (n *net) concat(p string, xs ...string) string {
	return n.b.Scope(p).Concat(1, xs...)
}

// FIDInceptionA: the pool branch averages without counting padding (TensorFlow's).
func (n *net) inceptionA(p, x string) string {
	b1 := n.chain(p, x, "branch1x1")
	b5 := n.chain(p, x, "branch5x5_1", "branch5x5_2")
	b3 := n.chain(p, x, "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3")
	bp := n.chain(p, n.avgPool(p+".pool", x), "branch_pool")
	return n.concat(p, b1, b5, b3, bp)
}

// InceptionB (unchanged by pytorch-fid): stride-2 reduction with a max-pool branch.
func (n *net) inceptionB(p, x string) string {
	b3 := n.chain(p, x, "branch3x3")
	bd := n.chain(p, x, "branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3")
	bp := n.maxPool(p+".pool", x, 2, 0)
	return n.concat(p, b3, bd, bp)
}

// FIDInceptionC: factorised 7×7 branches; average pool without padding counted.
func (n *net) inceptionC(p, x string) string {
	b1 := n.chain(p, x, "branch1x1")
	b7 := n.chain(p, x, "branch7x7_1", "branch7x7_2", "branch7x7_3")
	bd := n.chain(p, x, "branch7x7dbl_1", "branch7x7dbl_2", "branch7x7dbl_3", "branch7x7dbl_4", "branch7x7dbl_5")
	bp := n.chain(p, n.avgPool(p+".pool", x), "branch_pool")
	return n.concat(p, b1, b7, bd, bp)
}

// InceptionD (unchanged): stride-2 reduction to 8×8.
func (n *net) inceptionD(p, x string) string {
	b3 := n.chain(p, x, "branch3x3_1", "branch3x3_2")
	b7 := n.chain(p, x, "branch7x7x3_1", "branch7x7x3_2", "branch7x7x3_3", "branch7x7x3_4")
	bp := n.maxPool(p+".pool", x, 2, 0)
	return n.concat(p, b3, b7, bp)
}

// FIDInceptionE_1 (maxPool false: average pool without padding counted) and
// FIDInceptionE_2 (maxPool true: pytorch-fid's max pool, as in the TF graph).
func (n *net) inceptionE(p, x string, maxPool bool) string {
	b1 := n.chain(p, x, "branch1x1")
	b3 := n.chain(p, x, "branch3x3_1")
	b3 = n.concat(p+".branch3x3", n.chain(p, b3, "branch3x3_2a"), n.chain(p, b3, "branch3x3_2b"))
	bd := n.chain(p, x, "branch3x3dbl_1", "branch3x3dbl_2")
	bd = n.concat(p+".branch3x3dbl", n.chain(p, bd, "branch3x3dbl_3a"), n.chain(p, bd, "branch3x3dbl_3b"))
	var pool string
	if maxPool {
		pool = n.maxPool(p+".pool", x, 1, 1)
	} else {
		pool = n.avgPool(p+".pool", x)
	}
	bp := n.chain(p, pool, "branch_pool")
	return n.concat(p, b1, b3, bd, bp)
}

// maxPool is F.max_pool2d(kernel 3, stride, padding pad).
func (n *net) maxPool(scope, x string, stride, pad int64) string {
	return n.b.Scope(strings.ReplaceAll(scope, ".", "/")).Op("MaxPool", []string{x},
		onnx.AInts("kernel_shape", 3, 3), onnx.AInts("strides", stride, stride), onnx.AInts("pads", pad, pad, pad, pad))
}

// avgPool is F.avg_pool2d(kernel 3, stride 1, padding 1, count_include_pad=False).
func (n *net) avgPool(scope, x string) string {
	return n.b.Scope(strings.ReplaceAll(scope, ".", "/")).Op("AveragePool", []string{x},
		onnx.AInts("kernel_shape", 3, 3), onnx.AInts("strides", 1, 1), onnx.AInts("pads", 1, 1, 1, 1),
		onnx.AInt("count_include_pad", 0))
}
