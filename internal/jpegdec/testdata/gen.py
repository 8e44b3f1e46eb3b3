#!/usr/bin/python3
"""Generate the jpegdec test JPEGs and their PIL decodes (not run by the tests).

Run from this folder with Debian 12's Python and packages (the references must come
from the PIL whose pixels jpegdec matches):

    apt-get install -y python3-pil python3-numpy libjpeg-turbo-progs
    /usr/bin/python3 gen.py            # writes *.jpg, *.png and cases.json
    JSIMD_FORCENONE=1 /usr/bin/python3 gen.py --check   # libjpeg-turbo's C code paths agree

Sources are crops of the fixture photos ../../../../shared/fixtures/fid/images/setA.
For each case NAME.jpg the reference is NAME.png: PIL's Image.open(NAME.jpg) pixels
(mode L or RGB, saved losslessly). For CMYK files NAME.png holds PIL's CMYK bytes packed
as RGBA (C, M, Y, K) and NAME.rgb.png PIL's convert("RGB") of them. Files PIL cannot
open are listed in cases.json with the error PIL raised. JPEGs come from PIL's encoder
and from libjpeg-turbo's cjpeg/jpegtran (2.1.5), for sampling factors, restart markers,
RGB and arithmetic coding that PIL cannot write.
"""
import json
import os
import subprocess
import sys

from PIL import Image, features

SRC = "../../../../shared/fixtures/fid/images/setA"
cases = {}


# Scan scripts for cjpeg -scans that leave coefficients unrefined.
SCRIPTS = {
    "dconly": "0,1,2: 0-0, 0, 0;",
    "dc_al1": "0,1,2: 0-0, 0, 1;",
    "luma_ac": "0,1,2: 0-0, 0, 0; 0: 1-63, 0, 0;",
    "ac_al": "0,1,2: 0-0, 0, 1; 0: 1-5, 0, 2; 1: 1-63, 0, 1; 2: 1-63, 0, 1; 0: 6-63, 0, 2; 0: 1-63, 2, 1;",
    "ac_high": "0,1,2: 0-0, 0, 0; 0: 1-9, 0, 0; 1: 1-9, 0, 0; 2: 1-9, 0, 0; 0: 10-63, 0, 1;",
    "ac_partial": "0,1,2: 0-0, 0, 0; 0: 1-2, 0, 0; 1: 1-63, 0, 0; 2: 3-63, 0, 0;",
}


def crop(name, box, mode="RGB"):
    im = Image.open(os.path.join(SRC, name)).convert("RGB").crop(box)
    return im.convert(mode)


def pil_save(name, im, **kw):
    im.save(name + ".jpg", "JPEG", **kw)
    cases[name] = {"encoder": "PIL " + repr(kw)}


def cjpeg(name, im, *args):
    """Encodes im (saved as PPM/PGM) with cjpeg and the given options."""
    tmp = name + (".pgm" if im.mode == "L" else ".ppm")
    im.save(tmp)
    with open(name + ".jpg", "wb") as f:
        subprocess.run(["cjpeg", *args, tmp], stdout=f, check=True)
    os.remove(tmp)
    cases[name] = {"encoder": "cjpeg " + " ".join(args)}


def jpegtran(name, src, *args):
    with open(name + ".jpg", "wb") as f:
        subprocess.run(["jpegtran", *args, src + ".jpg"], stdout=f, check=True)
    cases[name] = {"encoder": f"jpegtran {' '.join(args)} {src}.jpg"}


def reference(name):
    """Writes PIL's decode of NAME.jpg, or records PIL's error."""
    try:
        im = Image.open(name + ".jpg")
        im.load()
    except Exception as e:  # recorded: the Go test expects an error too
        cases[name]["pil_error"] = f"{type(e).__name__}: {e}"
        return None
    cases[name]["mode"] = im.mode
    if im.mode == "CMYK":
        Image.frombytes("RGBA", im.size, im.tobytes()).save(name + ".png")
        im.convert("RGB").save(name + ".rgb.png")
    else:
        im.save(name + ".png")
    return im


def generate():
    photo = crop("a000.png", (100, 80, 161, 125))  # 61×45: no dimension a multiple of 8
    for q in (30, 75, 95):
        for sub, label in ((0, "444"), (1, "422"), (2, "420")):
            for prog in (False, True):
                pil_save(f"q{q}_{label}_{'prog' if prog else 'base'}", photo,
                         quality=q, subsampling=sub, progressive=prog)
    for w, h in ((1, 1), (2, 2), (3, 3), (4, 5), (5, 3), (6, 7), (17, 33), (33, 17)):
        im = crop("a001.png", (200, 150, 200 + w, 150 + h))
        for sub, label in ((1, "422"), (2, "420")):
            pil_save(f"size{w}x{h}_{label}", im, quality=85, subsampling=sub)
        pil_save(f"size{w}x{h}_420_prog", im, quality=85, subsampling=2, progressive=True)
    grey = crop("a002.png", (30, 40, 93, 77), "L")  # 63×37
    pil_save("grey_base", grey, quality=80)
    pil_save("grey_prog", grey, quality=80, progressive=True)
    pil_save("cmyk", crop("a003.png", (0, 0, 40, 24), "CMYK"), quality=90)
    pil_save("q100_420", crop("a004.png", (300, 200, 341, 229)), quality=100, subsampling=2)

    src = crop("a005.png", (50, 60, 109, 103))  # 59×43
    for samp in ("1x2", "2x1", "2x2", "4x1", "1x4", "4x2", "2x2,2x1,1x1", "1x1,2x2,1x1",
                 "2x1,1x2,1x1", "3x1", "3x2"):
        tag = samp.replace(",", "_")
        cjpeg(f"cjpeg_s{tag}", src, "-quality", "85", "-sample", samp)
        cjpeg(f"cjpeg_s{tag}_prog", src, "-quality", "85", "-sample", samp, "-progressive")
    cjpeg("cjpeg_restart1row", src, "-sample", "2x2", "-restart", "1")
    cjpeg("cjpeg_restart3b", src, "-sample", "2x2", "-restart", "3B")
    cjpeg("cjpeg_restart2b_prog", src, "-sample", "2x2", "-restart", "2B", "-progressive")
    cjpeg("cjpeg_restart1b_444", src, "-sample", "1x1", "-restart", "1B")
    cjpeg("cjpeg_rgb", src, "-rgb", "-quality", "90")
    cjpeg("cjpeg_grey_restart", src.convert("L"), "-restart", "5B", "-progressive")
    cjpeg("cjpeg_optimize", src, "-optimize", "-quality", "60")
    cjpeg("cjpeg_arith", src, "-arithmetic")
    cjpeg("cjpeg_dct_float_q10", src, "-dct", "float", "-quality", "10")
    # Progressive files whose scans stop early: libjpeg smooths them (jdcoefct.c).
    short = crop("a006.png", (120, 90, 179, 125))  # 59×35: 5 luma block rows
    for tag, script in SCRIPTS.items():
        with open("scans.txt", "w") as f:
            f.write(script)
        cjpeg(f"smooth_{tag}", short, "-quality", "75", "-sample", "2x2", "-scans", "scans.txt")
        cjpeg(f"smooth_{tag}_444", short, "-quality", "75", "-sample", "1x1", "-scans", "scans.txt")
    tall = crop("a007.png", (200, 40, 243, 123))  # 43×83: 6 iMCU rows at 2x2
    for tag in ("dconly", "ac_al", "luma_ac"):
        with open("scans.txt", "w") as f:
            f.write(SCRIPTS[tag])
        for samp in ("2x2", "1x2", "2x1"):
            cjpeg(f"smooth_{tag}_tall_{samp}", tall, "-quality", "50", "-sample", samp,
                  "-scans", "scans.txt")
    os.remove("scans.txt")
    with open("scans.txt", "w") as f:
        f.write("0: 0-0, 0, 1; 0: 1-5, 0, 1; 0: 6-63, 0, 0;")
    cjpeg("smooth_grey", short.convert("L"), "-quality", "75", "-scans", "scans.txt")
    os.remove("scans.txt")
    jpegtran("jpegtran_prog_restart", "q75_420_base", "-progressive", "-restart", "1")
    jpegtran("jpegtran_rot90_422", "q75_422_base", "-rotate", "90")  # becomes 4:4:0

    for name in cases:
        reference(name)
    with open("cases.json", "w") as f:
        json.dump({"pillow": Image.__version__, "libjpeg_turbo": features.version("libjpeg_turbo"),
                   "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")


def check():
    """Decodes every case again (e.g. with JSIMD_FORCENONE=1) and compares."""
    with open("cases.json") as f:
        data = json.load(f)["cases"]
    bad = 0
    for name, c in sorted(data.items()):
        if "pil_error" in c:
            continue
        im = Image.open(name + ".jpg")
        got = im.tobytes()
        want = Image.open(name + ".png").tobytes()
        if got != want:
            bad += 1
            print("differs:", name)
    print(f"{len(data)} cases, {bad} differ")
    return bad == 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--check"]:
        sys.exit(0 if check() else 1)
    generate()
