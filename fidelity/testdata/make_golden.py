#!/usr/bin/python3
"""Writes the PNG pairs in this directory and golden.json, the values that
fidelity's tests expect, computed with scikit-image.

Run it with Debian's python3-skimage (apt-get install python3-skimage):

    cd fidelity/testdata && /usr/bin/python3 make_golden.py

Every expected value comes from these two calls, on the PNGs read back with
Pillow and converted to 8-bit RGB (alpha dropped), as uint8 HxWx3 arrays:

    skimage.metrics.structural_similarity(a, b, channel_axis=2,
        gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        data_range=255)
    skimage.metrics.peak_signal_noise_ratio(a, b, data_range=255)

The images come from a seeded numpy generator, so rerunning the script
rewrites the same files.
"""

import json
import math
import warnings

import numpy as np
import PIL
import scipy
import skimage
from PIL import Image
from scipy.ndimage import _filters
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

rng = np.random.default_rng(20240611)


def smooth(h, w):
    """A smooth colour field with some structure: gradients and a disc."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 40 + 160 * xx / max(w - 1, 1)
    g = 200 - 150 * yy / max(h - 1, 1)
    d = np.hypot(yy - h / 2, xx - w / 2) < min(h, w) / 3
    b = np.where(d, 220.0, 30.0) + 20 * np.sin(xx / 3)
    return clip(np.stack([r, g, b], axis=2))


def clip(x):
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def noisy(img, sd):
    return clip(img.astype(np.float64) + rng.normal(0, sd, img.shape))


def uniform(h, w):
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8)


def with_alpha(img):
    """img with a varying alpha channel (0 included) as an RGBA array."""
    h, w, _ = img.shape
    a = rng.integers(0, 256, (h, w, 1), dtype=np.uint8)
    a[0, 0, 0] = 0
    return np.concatenate([img, a], axis=2)


s32 = smooth(32, 32)
s48 = smooth(48, 64)
s80 = smooth(80, 96)
u40 = uniform(40, 40)

# (name, a, b, note); a and b are uint8 arrays, RGB or RGBA.
cases = [
    ("identical", s32, s32.copy(), "same pixels in two files"),
    ("smooth32_noise5", s32, noisy(s32, 5), "mild Gaussian noise"),
    ("smooth48x64_noise20", s48, noisy(s48, 20), "strong Gaussian noise"),
    ("smooth80x96_noise2", s80, noisy(s80, 2), "faint noise, larger image"),
    ("uniform40_inverted", u40, 255 - u40, "large differences: negative"),
    ("uniform40_independent", u40, uniform(40, 40), "unrelated noise"),
    ("flat_vs_flat", np.full((16, 20, 3), 100, np.uint8),
     np.full((16, 20, 3), 104, np.uint8), "constant images: C1, C2 only"),
    ("min11x11", smooth(11, 11), noisy(smooth(11, 11), 10),
     "smallest size skimage accepts: a 1x1 cropped map"),
    ("min11x13", smooth(11, 13), noisy(smooth(11, 13), 10),
     "11 rows, 13 columns"),
    ("alpha_ignored", s32, with_alpha(noisy(s32, 8)),
     "b is RGBA with alpha down to 0; alpha is dropped"),
    ("too_small_7x9", smooth(7, 9), noisy(smooth(7, 9), 10),
     "skimage raises: win_size 11 exceeds the image"),
    ("too_small_10x16", smooth(10, 16), noisy(smooth(10, 16), 10),
     "skimage raises: 10 rows < 11"),
]


def save(name, arr):
    mode = "RGBA" if arr.shape[2] == 4 else "RGB"
    Image.fromarray(arr, mode).save(name, optimize=True)


def load(name):
    return np.asarray(Image.open(name).convert("RGB"))


out = []
for name, a, b, note in cases:
    fa, fb = name + "_a.png", name + "_b.png"
    save(fa, a)
    save(fb, b)
    a8, b8 = load(fa), load(fb)
    assert a8.dtype == np.uint8 and a8.shape == b8.shape
    rec = {"name": name, "a": fa, "b": fb, "height": a8.shape[0],
           "width": a8.shape[1], "note": note}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divide by zero for identical
        psnr = peak_signal_noise_ratio(a8, b8, data_range=255)
    rec["psnr"] = None if math.isinf(psnr) else float(psnr)
    rec["psnr_inf"] = bool(math.isinf(psnr))
    try:
        rec["ssim"] = float(structural_similarity(
            a8, b8, channel_axis=2, gaussian_weights=True, sigma=1.5,
            use_sample_covariance=False, data_range=255))
        rec["ssim_error"] = ""
    except ValueError as e:
        rec["ssim"] = None
        rec["ssim_error"] = str(e)
    out.append(rec)

# The weights gaussian_filter correlates with (sigma 1.5, truncate 3.5,
# radius 5), reversed as gaussian_filter1d reverses them.
kernel = _filters._gaussian_kernel1d(1.5, 0, int(3.5 * 1.5 + 0.5))[::-1]

golden = {
    "generator": "make_golden.py",
    "versions": {"skimage": skimage.__version__, "scipy": scipy.__version__,
                 "numpy": np.__version__, "pillow": PIL.__version__},
    "kernel": [float(k) for k in kernel],
    "cases": out,
}
with open("golden.json", "w") as f:
    json.dump(golden, f, indent=1)
    f.write("\n")
