#!/usr/bin/env python3
"""tools/golden_restorer.py — the independent twin of the sprite restorer (ring 3 of the tests).

Writes data/golden/restorer_<name>.bin: the forward output, the composite loss and its terms,
every parameter gradient, and the parameters after three AdamW steps (with clipping), for fixed
weights and inputs. The C++ test tests/test_golden.cpp recomputes all of it and compares.

The twin shares no code with the C++: NumPy for the model, HIPS `autograd` for the gradients
(an independent reverse-mode implementation), NumPy for Adam. Computed in float64.
Weights and inputs are not stored: both sides generate them from the same counter-based hash
(kernels/rng.h: splitmix64 finaliser), so the files stay small. Tensors larger than 512
elements are stored as 512 evenly strided samples plus their sum and sum of squares.

    pip install numpy autograd
    python3 tools/golden_restorer.py            # rewrites data/golden/*.bin

File format (little endian): b"PAGOLDEN", u32 version (=1), u32 record count, then records:
u32 name length, name (utf-8), u32 ndim, i64 dims..., u64 element count, f64 values.
"""
import os
import struct
import sys

import autograd.numpy as anp
import numpy as np
from autograd import grad

VERSION = 1
MAX_SAMPLES = 512
SEED = 20261121
LOSS_WEIGHTS = (1.0, 0.5, 0.25, 0.1)  # mse, l1, edge, alpha
ADAM = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, clip_norm=1.0)
MASK = (1 << 64) - 1


def mix64(z):
    """splitmix64 finaliser on uint64 arrays (wrapping arithmetic), as kernels/rng.h."""
    z = (z + np.uint64(0x9E3779B97F4A7C15)) & np.uint64(MASK)
    z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & np.uint64(MASK)
    z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & np.uint64(MASK)
    return z ^ (z >> np.uint64(31))


def uniform01(seed, stream, n):
    with np.errstate(over="ignore"):
        k = np.arange(n, dtype=np.uint64)
        h = mix64(mix64(mix64(np.uint64(seed)) ^ np.uint64(stream)) ^ k)
    return (h >> np.uint64(40)).astype(np.float64) / 16777216.0


def param_specs(widths, cin=4, cout=4):
    """(name, shape, decay) in the C++ arena's declaration order (RestorerConfig::param_specs)."""
    specs, c = [], cin
    for i, w in enumerate(widths):
        specs.append((f"conv{i}.weight", (w, 3, 3, c), True))
        c = w
    specs.append(("proj.weight", (cout, c), True))
    for i, w in enumerate(widths):
        specs.append((f"conv{i}.bias", (w,), False))
    specs.append(("proj.bias", (cout,), False))
    return specs


def golden_params(specs):
    """Parameter i: bound * (2u - 1), u = uniform01(SEED, i, k); bound sqrt(6/fan_in) for
    weights, 0.1 for biases (nonzero so that bias gradients are exercised)."""
    params = {}
    for i, (name, shape, decay) in enumerate(specs):
        n = int(np.prod(shape))
        bound = np.sqrt(6.0 / (n // shape[0])) if decay else 0.1
        params[name] = (bound * (2.0 * uniform01(SEED, i, n) - 1.0)).reshape(shape)
    return params


def golden_batch(n, size, scale):
    x = uniform01(SEED, 1000, n * size * size * 4).reshape(n, size, size, 4)
    s = size // scale
    t = uniform01(SEED, 1001, n * s * s * 4).reshape(n, s, s, 4)
    t[..., 3] = (t[..., 3] > 0.5).astype(np.float64)  # a binary alpha mask
    return x, t


def conv3x3_relu(x, w, b):
    n, h, wd, _ = x.shape
    xp = anp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="constant")
    out = 0.0
    for kh in range(3):
        for kw in range(3):
            out = out + anp.einsum("nhwc,oc->nhwo", xp[:, kh:kh + h, kw:kw + wd, :], w[:, kh, kw, :])
    return anp.maximum(out + b, 0.0)


def max_pool2x2(x):
    n, h, w, c = x.shape
    return anp.max(anp.reshape(x[:, : h // 2 * 2, : w // 2 * 2, :], (n, h // 2, 2, w // 2, 2, c)), axis=(2, 4))


def forward(params, x, depth):
    h = x
    for i in range(depth):
        h = max_pool2x2(conv3x3_relu(h, params[f"conv{i}.weight"], params[f"conv{i}.bias"]))
    z = anp.einsum("nhwc,oc->nhwo", h, params["proj.weight"]) + params["proj.bias"]
    return 1.0 / (1.0 + anp.exp(-z))


def loss_terms(p, t):
    d = p - t
    mse = anp.mean(d * d)
    l1 = anp.mean(anp.abs(d))
    gx = (p[:, :, 1:, :] - p[:, :, :-1, :]) - (t[:, :, 1:, :] - t[:, :, :-1, :])
    gy = (p[:, 1:, :, :] - p[:, :-1, :, :]) - (t[:, 1:, :, :] - t[:, :-1, :, :])
    edge = (anp.sum(gx * gx) + anp.sum(gy * gy)) / (gx.size + gy.size)
    a = p[..., 3]
    alpha = anp.mean(4.0 * a * (1.0 - a))
    return [mse, l1, edge, alpha]


def total_loss(params, x, t, depth):
    terms = loss_terms(forward(params, x, depth), t)
    return sum(w * v for w, v in zip(LOSS_WEIGHTS, terms))


def adam_step(params, grads, m, v, step, specs):
    a = ADAM
    sumsq = sum(float(np.sum(g * g)) for g in grads.values())
    norm = np.sqrt(sumsq)
    scale = a["clip_norm"] / (norm + 1e-6) if norm > a["clip_norm"] else 1.0
    bc1, bc2 = 1 - a["beta1"] ** step, 1 - a["beta2"] ** step
    for name, _, decay in specs:
        g = grads[name] * scale
        m[name] = a["beta1"] * m[name] + (1 - a["beta1"]) * g
        v[name] = a["beta2"] * v[name] + (1 - a["beta2"]) * g * g
        upd = (m[name] / bc1) / (np.sqrt(v[name] / bc2) + a["eps"])
        if decay:
            upd = upd + a["weight_decay"] * params[name]
        params[name] = params[name] - a["lr"] * upd
    return norm


def summarise(name, arr, records):
    """Whole tensor if small; else strided samples + sum + sum of squares."""
    flat = np.asarray(arr, dtype=np.float64).reshape(-1)
    if flat.size <= MAX_SAMPLES:
        records.append((name, list(np.shape(arr)), flat))
        return
    stride = flat.size // MAX_SAMPLES
    records.append((name + ":samples", [MAX_SAMPLES, stride], flat[::stride][:MAX_SAMPLES]))
    records.append((name + ":sum", [1], np.array([flat.sum()])))
    records.append((name + ":sumsq", [1], np.array([(flat * flat).sum()])))


def write(path, records):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(b"PAGOLDEN")
        f.write(struct.pack("<II", VERSION, len(records)))
        for name, dims, values in records:
            nb = name.encode()
            f.write(struct.pack("<I", len(nb)) + nb)
            f.write(struct.pack("<I", len(dims)))
            f.write(struct.pack(f"<{len(dims)}q", *dims))
            values = np.ascontiguousarray(values, dtype="<f8")
            f.write(struct.pack("<Q", values.size))
            f.write(values.tobytes())
    os.replace(tmp, path)


def make(name, widths, batch, size):
    depth = len(widths)
    specs = param_specs(widths)
    params = golden_params(specs)
    x, t = golden_batch(batch, size, 2 ** depth)
    records = [("config", [len(widths) + 3], np.array([batch, size, *widths, SEED], dtype=np.float64))]
    pred = forward(params, x, depth)
    summarise("output", pred, records)
    terms = loss_terms(pred, t)
    records.append(("loss_terms", [4], np.array([float(v) for v in terms])))
    records.append(("loss", [1], np.array([total_loss(params, x, t, depth)])))
    g = grad(total_loss)(params, x, t, depth)
    for pname, _, _ in specs:
        summarise("grad/" + pname, g[pname], records)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(p) for k, p in params.items()}
    losses, norms = [], []
    for step in range(1, 4):
        losses.append(total_loss(params, x, t, depth))
        g = grad(total_loss)(params, x, t, depth)
        norms.append(adam_step(params, g, m, v, step, specs))
    records.append(("adam/loss_before_step", [3], np.array(losses, dtype=np.float64)))
    records.append(("adam/grad_norm", [3], np.array(norms, dtype=np.float64)))
    for pname, _, _ in specs:
        summarise("adam/param/" + pname, params[pname], records)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "golden", f"restorer_{name}.bin")
    write(out, records)
    print(f"wrote {os.path.normpath(out)}: {len(records)} records, {os.path.getsize(out)} bytes, loss {float(losses[0]):.9f}")


if __name__ == "__main__":
    which = sys.argv[1:] or ["narrow", "full"]
    if "narrow" in which:
        make("narrow", [8, 16, 32, 32], batch=2, size=64)   # RestorerConfig::narrow()
    if "full" in which:
        make("full", [64, 128, 256, 512], batch=1, size=256)  # the default restorer
