#!/usr/bin/env python3
"""tools/torch_peer.py — the named peer of the GPU benchmarks: the same sprite restorer in
PyTorch (4-64-128-256-512-4, channels-last, fp32 with TF32 off, as our cuDNN/cuBLAS path runs),
timed with CUDA events after warm-up: forward at batch 1 and 256, one training step (forward,
loss, backward, AdamW) at batch 64, also with TF32 allowed and under bf16 autocast. Prints one line per case and writes JSON to argv[1].
Run by tools/gpu_check.sh beside build/bench/pixelart_bench's cuda/restorer_* cases.
"""
import json
import statistics
import sys

import torch
import torch.nn as nn

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True


class Restorer(nn.Module):
    def __init__(self, widths=(64, 128, 256, 512)):
        super().__init__()
        layers, c = [], 4
        for w in widths:
            layers += [nn.Conv2d(c, w, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            c = w
        self.body = nn.Sequential(*layers)
        self.proj = nn.Conv2d(c, 4, 1)

    def forward(self, x):
        return torch.sigmoid(self.proj(self.body(x)))


def timed(fn, runs=30, warmup=5):
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
    return statistics.median(ms)


def main():
    dev = torch.device("cuda")
    model = Restorer().to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.0)
    results = {}
    gflop = 7.55
    for batch in (1, 256):
        x = torch.rand(batch, 4, 256, 256, device=dev).to(memory_format=torch.channels_last)
        with torch.no_grad():
            ms = timed(lambda: model(x))
        results[f"forward_b{batch}"] = ms
        print(f"torch restorer_forward_b{batch}: {ms:.3f} ms, {batch / ms * 1e3:.0f} images/s, {gflop * batch / ms:.1f} TFLOP/s")
    batch = 64
    x = torch.rand(batch, 4, 256, 256, device=dev).to(memory_format=torch.channels_last)
    t = torch.rand(batch, 4, 16, 16, device=dev)

    def step():
        opt.zero_grad(set_to_none=False)
        loss = torch.mean((model(x) - t) ** 2)
        loss.backward()
        opt.step()

    ms = timed(step, runs=20)
    results["train_step_b64"] = ms
    print(f"torch restorer_train_step_b64: {ms:.3f} ms, {batch / ms * 1e3:.0f} images/s")

    # the same step with TF32 allowed, and under bf16 autocast (beside our _tf32 and _bf16 cases)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    ms = timed(step, runs=20)
    results["train_step_b64_tf32"] = ms
    print(f"torch restorer_train_step_b64_tf32: {ms:.3f} ms, {batch / ms * 1e3:.0f} images/s")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

    def step_bf16():
        opt.zero_grad(set_to_none=False)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = torch.mean((model(x).float() - t) ** 2)
        loss.backward()
        opt.step()

    ms = timed(step_bf16, runs=20)
    results["train_step_b64_bf16"] = ms
    print(f"torch restorer_train_step_b64_bf16: {ms:.3f} ms, {batch / ms * 1e3:.0f} images/s")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            json.dump({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(), "ms": results}, f, indent=1)


if __name__ == "__main__":
    main()
