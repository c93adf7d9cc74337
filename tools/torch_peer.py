#!/usr/bin/env python3
"""tools/torch_peer.py — the named peer of the GPU benchmarks: the same sprite restorer in
PyTorch (4-64-128-256-512-4, channels-last, fp32 with TF32 off, as our cuDNN/cuBLAS path runs),
timed with CUDA events after warm-up: forward at batch 1 and 256, one training step (forward,
loss, backward, AdamW) at batch 64, also with TF32 allowed and under bf16 autocast; and the
SRCNN-style upscaler (valid convolutions, 64@9-32@5-4@5, 64@7-64@5-64@3-4@1 and eight 3x3
convolutions 32@3x7-4@3, and the same at twice the width on 2x2 blocks, 2x2:64@3x7-16@3, and
with eleven hidden layers, 2x2:64@3x11-16@3):
forward on 16 tiles of 256 x 256, a training step on 256 patches of
48 x 48 (MSE). Prints one line per case
and writes JSON to the path given. Run by tools/gpu_check.sh beside build/bench/pixelart_bench's
cuda/restorer_* and cuda/upscaler_* cases.

    tools/torch_peer.py [OUT.json]                         the GPU cases above
    tools/torch_peer.py --device cpu [--threads N] [OUT.json]

--device cpu: the peer of build/bench/pixelart_bench's cpu/ cases and of `pixelart bench
forward|train --device cpu`, on N threads (default: OMP_NUM_THREADS, else every core), timed by
the wall clock (the median of runs after warm-up): the full, narrow (4-8-16-32-32) and shipped
(4-16-32-64-64 and twelve context layers) restorers' forward pass at batch 1 on 256 x 256, their
training step (forward, MSE, backward, AdamW; pixelart's step also synthesises its damaged batch
and computes the composite loss, so it does more) at batch 4, and the x2 upscaler
2x2:64@3x11-16@3's forward on 16 tiles of 256 x 256 and training step on 32 patches of 80 x 80.

    tools/torch_peer.py --device cpu|cuda [--threads N] --case forward|train --batch B --size S
                        (--restorer W1,W2,... [--context C] | --upscaler F1,F2,... --kernels K1,K2,... [--unshuffle S])
                        [--runs R] [--precision fp32|tf32|bf16] [--compile 0|1]

--case: one shape, the peer row `pixelart bench forward|train` prints in its own run: the median
ms of R runs (forward, or a training step: forward, MSE, backward, AdamW; on CUDA timed with CUDA
events) as one JSON line on stdout, {"torch": VERSION, "ms": MEDIAN, ...}. --precision: fp32 (TF32
off), tf32 (allowed), bf16 (autocast); --compile 1: the model through torch.compile (the warm-up
runs include its compilation).
Install PyTorch for it from PyPI, in a virtual environment (`tools/setup.sh --peer` does this):
    python3 -m venv .venv-torch && .venv-torch/bin/pip install torch numpy
"""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True


class Restorer(nn.Module):
    def __init__(self, widths=(64, 128, 256, 512), context=0):
        super().__init__()
        layers, c = [], 4
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c = w
        for _ in range(context):  # conv 3x3 + ReLU at the sprite's resolution (--context)
            layers += [nn.Conv2d(c, c, 3, padding=1), nn.ReLU(inplace=True)]
        self.body = nn.Sequential(*layers)
        self.proj = nn.Conv2d(c, 4, 1)

    def forward(self, x):
        return torch.sigmoid(self.proj(self.body(x)))


class Upscaler(nn.Module):
    """Valid (unpadded) convolutions with ReLU, the last linear; predicts a correction to the centre."""

    def __init__(self, filters, kernels, unshuffle=1):
        super().__init__()
        io = 4 * unshuffle * unshuffle  # --unshuffle S: the convolutions on S x S blocks
        layers, c = [], io
        for i, k in enumerate(kernels):
            out = filters[i] if i < len(filters) else io
            layers.append(nn.Conv2d(c, out, k))
            if i + 1 < len(kernels):
                layers.append(nn.ReLU(inplace=True))
            c = out
        self.body = nn.Sequential(*layers)
        self.s = unshuffle
        self.m = sum((k - 1) // 2 for k in kernels) * unshuffle

    def forward(self, x):
        m, s = self.m, self.s
        h = self.body(F.pixel_unshuffle(x, s)) if s > 1 else self.body(x)
        h = F.pixel_shuffle(h, s) if s > 1 else h
        return h + x[:, :, m:x.shape[2] - m, m:x.shape[3] - m]


def timed(fn, runs=30, warmup=5, memory=None, name=None):
    """Median ms of fn over runs after warmup (CUDA events). With `memory` (a dict) and `name`,
    also the most tensor memory live at once, model, optimizer state, inputs and activations
    included, in MB (max_memory_allocated: bench_kernels.cpp's tensor_MB counter is the same)."""
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ms = []
    for _ in range(runs):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        ms.append(a.elapsed_time(b))
    if memory is not None:
        memory[name] = torch.cuda.max_memory_allocated() / 1e6
    return statistics.median(ms)


def time_steps(name, model, x, t, unit, results, memory):
    """One training step (forward, MSE, backward, AdamW) in fp32, with TF32 allowed, and under bf16
    autocast: beside our fp32, _tf32 and _bf16 cases."""
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)

    def step(autocast):
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            loss = torch.mean((model(x).float() - t) ** 2)
        loss.backward()
        opt.step()

    for suffix, tf32, autocast in (("", False, False), ("_tf32", True, False), ("_bf16", False, True)):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        ms = timed(lambda: step(autocast), runs=20, memory=memory, name=name + suffix)
        results[name + suffix] = ms
        print(f"torch {name}{suffix}: {ms:.3f} ms, {x.shape[0] / ms * 1e3:.0f} {unit}/s, {memory[name + suffix]:.0f} MB of tensors")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def cpu_timed(fn, runs, warmup=3):
    """Median ms of fn over runs after warmup, by the wall clock."""
    for _ in range(warmup):
        fn()
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


def cpu_main(threads, out):
    torch.set_num_threads(threads)
    results = {}
    cl = torch.channels_last

    def step_fn(model, x, t):
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)

        def step():
            opt.zero_grad(set_to_none=False)
            loss = torch.mean((model(x) - t) ** 2)
            loss.backward()
            opt.step()
        return step

    for name, widths, ctx in (("restorer", (64, 128, 256, 512), 0), ("narrow", (8, 16, 32, 32), 0),
                              ("shipped", (16, 32, 64, 64), 12)):
        model = Restorer(widths, ctx).to(memory_format=cl)
        x = torch.rand(1, 4, 256, 256).to(memory_format=cl)
        with torch.no_grad():
            results[f"{name}_forward_b1"] = cpu_timed(lambda: model(x), runs=20)
        x4 = torch.rand(4, 4, 256, 256).to(memory_format=cl)
        results[f"{name}_train_step_b4"] = cpu_timed(step_fn(model, x4, torch.rand(4, 4, 16, 16)), runs=5, warmup=2)
        print(f"torch cpu {name}_forward_b1: {results[f'{name}_forward_b1']:.2f} ms; "
              f"{name}_train_step_b4: {results[f'{name}_train_step_b4']:.1f} ms")
    up = Upscaler((64,) * 11, (3,) * 12, 2).to(memory_format=cl)
    x = torch.rand(16, 4, 256, 256).to(memory_format=cl)
    with torch.no_grad():
        results["upscaler_2x2:64@3x11-16@3_forward_b16"] = cpu_timed(lambda: up(x), runs=3, warmup=1)
    p = max(48, 2 * up.m + 32)
    x = torch.rand(32, 4, p, p).to(memory_format=cl)
    t = torch.rand(32, 4, p - 2 * up.m, p - 2 * up.m)
    results["upscaler_2x2:64@3x11-16@3_train_step_b32"] = cpu_timed(step_fn(up, x, t), runs=5, warmup=2)
    print(f"torch cpu upscaler_2x2:64@3x11-16@3_forward_b16: {results['upscaler_2x2:64@3x11-16@3_forward_b16']:.0f} ms; "
          f"train_step_b32: {results['upscaler_2x2:64@3x11-16@3_train_step_b32']:.0f} ms")
    if out:
        with open(out, "w") as f:
            json.dump({"torch": torch.__version__, "device": "cpu", "threads": threads, "ms": results}, f, indent=1)


def case_main(device, threads, args):
    """One shape, for `pixelart bench`: see the module's text."""
    opts = {}
    while args:
        if not args[0].startswith("--") or len(args) < 2:
            raise SystemExit(f"torch_peer.py: unexpected {args[0]!r}")
        opts[args[0][2:]] = args[1]
        args = args[2:]
    torch.set_num_threads(threads)
    ints = lambda k: tuple(int(v) for v in opts[k].split(","))
    batch, size, runs = int(opts.get("batch", 1)), int(opts.get("size", 256)), int(opts.get("runs", 10))
    precision, compiled = opts.get("precision", "fp32"), opts.get("compile", "0") == "1"
    if precision not in ("fp32", "tf32", "bf16"):
        raise SystemExit(f"torch_peer.py: --precision fp32, tf32 or bf16, not {precision!r}")
    cuda = device == "cuda"
    dev = torch.device(device)
    if cuda:  # TF32 only where asked; bf16: autocast, as our bf16 convolutions keep fp32 outside them
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = precision == "tf32"
    cl = torch.channels_last
    if "upscaler" in opts:
        model = Upscaler(ints("upscaler"), ints("kernels"), int(opts.get("unshuffle", 1)))
        out = size - 2 * model.m
    else:
        widths = ints("restorer")
        model = Restorer(widths, int(opts.get("context", 0)))
        out = size >> len(widths)
    model = model.to(dev).to(memory_format=cl)
    run_model = torch.compile(model) if compiled else model
    x = torch.rand(batch, 4, size, size, device=dev).to(memory_format=cl)
    autocast = lambda: torch.autocast(device, dtype=torch.bfloat16, enabled=precision == "bf16")
    clock = (lambda fn: timed(fn, runs=runs, warmup=3)) if cuda else (lambda fn: cpu_timed(fn, runs=runs, warmup=3))
    if opts["case"] == "forward":
        def forward():
            with torch.no_grad(), autocast():
                run_model(x)
        ms = clock(forward)
    else:
        t = torch.rand(batch, 4, out, out, device=dev)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)

        def step():
            opt.zero_grad(set_to_none=False)
            with autocast():
                loss = torch.mean((run_model(x).float() - t) ** 2)
            loss.backward()
            opt.step()
        ms = clock(step)
    print(json.dumps({"torch": torch.__version__, "device": device, "threads": threads, "precision": precision,
                      "compile": compiled, "ms": ms}))


def main():
    args = sys.argv[1:]
    if args[:2] in (["--device", "cpu"], ["--device", "cuda"]):
        device, args = args[1], args[2:]
    else:
        device = "cuda"
    threads = int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))
    if args[:1] == ["--threads"]:
        threads, args = int(args[1]), args[2:]
    if args[:1] == ["--case"]:
        return case_main(device, threads, args)
    if device == "cpu":
        return cpu_main(threads, args[0] if args else None)
    sys.argv = [sys.argv[0]] + args
    dev = torch.device("cuda")
    results, memory = {}, {}
    model = Restorer().to(dev).to(memory_format=torch.channels_last)
    gflop = 7.55
    for batch in (1, 256):
        x = torch.rand(batch, 4, 256, 256, device=dev).to(memory_format=torch.channels_last)
        with torch.no_grad():
            ms = timed(lambda: model(x), memory=memory, name=f"restorer_forward_b{batch}")
        results[f"restorer_forward_b{batch}"] = ms
        print(f"torch restorer_forward_b{batch}: {ms:.3f} ms, {batch / ms * 1e3:.0f} images/s, {gflop * batch / ms:.1f} TFLOP/s, "
              f"{memory[f'restorer_forward_b{batch}']:.0f} MB of tensors")
    x = torch.rand(64, 4, 256, 256, device=dev).to(memory_format=torch.channels_last)
    time_steps("restorer_train_step_b64", model, x, torch.rand(64, 4, 16, 16, device=dev), "images", results, memory)

    deep = "32@3x7-4@3"  # UpscalerConfig::describe()
    for name, filters, kernels, s in (("64@9-32@5-4@5", (64, 32), (9, 5, 5), 1), ("64@7-64@5-64@3-4@1", (64, 64, 64), (7, 5, 3, 1), 1),
                                      (deep, (32,) * 7, (3,) * 8, 1), ("2x2:64@3x7-16@3", (64,) * 7, (3,) * 8, 2),
                                      ("2x2:64@3x11-16@3", (64,) * 11, (3,) * 12, 2)):
        up = Upscaler(filters, kernels, s).to(dev).to(memory_format=torch.channels_last)
        x = torch.rand(16, 4, 256, 256, device=dev).to(memory_format=torch.channels_last)
        with torch.no_grad():
            ms = timed(lambda: up(x), memory=memory, name=f"upscaler_{name}_forward_b16")
        out = 256 - 2 * up.m
        results[f"upscaler_{name}_forward_b16"] = ms
        print(f"torch upscaler_{name}_forward_b16: {ms:.3f} ms, {16 * out * out / ms / 1e3:.1f} Mpx/s, "
              f"{memory[f'upscaler_{name}_forward_b16']:.0f} MB of tensors")
        p = max(48, 2 * up.m + 32)  # as bench_kernels.cpp: 48 px patches, larger for deeper stacks
        x = torch.rand(256, 4, p, p, device=dev).to(memory_format=torch.channels_last)
        t = torch.rand(256, 4, p - 2 * up.m, p - 2 * up.m, device=dev)
        time_steps(f"upscaler_{name}_train_step_b256", up, x, t, "patches", results, memory)
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(), "ms": results, "tensor_MB": memory}, f,
                      indent=1)


if __name__ == "__main__":
    main()
