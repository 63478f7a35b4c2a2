#!/usr/bin/env python3
"""The peers of weft's GPU benchmarks, measured on the same shapes in the same
run (on the H200 machine, whose python3 has PyTorch): PyTorch SDPA (flash and
cuDNN back ends), torch._grouped_mm, cuBLAS through torch.matmul and
torch._int_mm, and a device-to-device copy for the memory ceiling.

    python3 tests/bench/gpu_peers.py            # prints one line per peer

Method (../shared/docs/performance.md): CUDA-event timings after warm-up,
median of 20+ repeats, random (never zero) inputs, ratios to the measured
ceilings 4.2 TB/s and 753 TFLOP/s printed beside each figure.
"""
import statistics

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

HBM = 4.2e12
BF16 = 753e12


def timed(fn, repeats=30, warmup=5):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def line(name, seconds, bytes_=None, flops=None):
    parts = [f"{name:<58} {seconds * 1e3:9.4f} ms"]
    if bytes_ is not None:
        parts.append(f"{bytes_ / seconds / 1e12:6.2f} TB/s ({bytes_ / seconds / HBM:.2f} of 4.2)")
    if flops is not None:
        parts.append(f"{flops / seconds / 1e12:7.1f} TFLOP/s ({flops / seconds / BF16:.2f} of 753)")
    print("  ".join(parts), flush=True)


def copy_ceiling():
    n = 1 << 30
    a = torch.randn(n, dtype=torch.bfloat16, device="cuda")
    b = torch.empty_like(a)
    line("device-to-device copy 2 GiB", timed(lambda: b.copy_(a)), bytes_=4 * n)


def decode_attention():
    for batch, length in [(64, 4096), (256, 2048), (8, 32768)]:
        q = torch.randn(batch, 32, 1, 128, dtype=torch.bfloat16, device="cuda")
        k = torch.randn(batch, 4, length, 128, dtype=torch.bfloat16, device="cuda")
        v = torch.randn_like(k)
        kv_bytes = 2 * k.numel() * 2
        for backend, label in [(SDPBackend.FLASH_ATTENTION, "flash"),
                               (SDPBackend.CUDNN_ATTENTION, "cudnn")]:
            try:
                with sdpa_kernel(backend):
                    t = timed(lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True))
                line(f"decode attention {label} B={batch} L={length} GQA 32/4 d128", t,
                     bytes_=kv_bytes)
            except RuntimeError as e:
                print(f"decode attention {label} B={batch} L={length}: unavailable ({e})")


def prefill_attention():
    batch, length = 8, 4096
    q = torch.randn(batch, 32, length, 128, dtype=torch.bfloat16, device="cuda")
    k = torch.randn(batch, 4, length, 128, dtype=torch.bfloat16, device="cuda")
    v = torch.randn_like(k)
    flops = 4 * batch * 32 * 128 * length * length / 2
    for backend, label in [(SDPBackend.FLASH_ATTENTION, "flash"),
                           (SDPBackend.CUDNN_ATTENTION, "cudnn")]:
        try:
            with sdpa_kernel(backend):
                t = timed(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                                                 enable_gqa=True))
            line(f"prefill attention causal {label} B=8 L=4096 GQA 32/4 d128", t, flops=flops)
        except RuntimeError as e:
            print(f"prefill attention {label}: unavailable ({e})")


def moe_experts():
    experts, hidden, inter, top_k = 128, 2048, 768, 8
    w13 = torch.randn(experts, hidden, 2 * inter, dtype=torch.bfloat16, device="cuda") * 0.02
    w2 = torch.randn(experts, inter, hidden, dtype=torch.bfloat16, device="cuda") * 0.02
    for tokens in [64, 256, 4096, 16384]:
        logits = torch.randn(tokens, experts, device="cuda")
        ids = logits.topk(top_k, dim=-1).indices.flatten()
        order = ids.argsort()
        counts = torch.bincount(ids, minlength=experts)
        offs = counts.cumsum(0).to(torch.int32)
        x = torch.randn(tokens, hidden, dtype=torch.bfloat16, device="cuda")
        rows = x[order // top_k]

        def run():
            h = torch._grouped_mm(rows, w13, offs=offs)
            a = F.silu(h[:, :inter]) * h[:, inter:]
            return torch._grouped_mm(a, w2, offs=offs)

        touched = int((counts > 0).sum())
        weight_bytes = touched * 3 * hidden * inter * 2
        flops = 2 * tokens * top_k * 3 * hidden * inter
        line(f"MoE experts torch._grouped_mm T={tokens} ({touched} experts)", timed(run),
             bytes_=weight_bytes, flops=flops)


def gemms():
    n = 8192
    a = torch.randint(-127, 127, (n, n), dtype=torch.int8, device="cuda")
    b = torch.randint(-127, 127, (n, n), dtype=torch.int8, device="cuda")
    t = timed(lambda: torch._int_mm(a, b))
    print(f"{'int8 GEMM 8192^3 torch._int_mm (cuBLAS)':<58} {t * 1e3:9.4f} ms  "
          f"{2 * n ** 3 / t / 1e12:7.1f} TOP/s", flush=True)
    x = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    y = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    line("bf16 GEMM 8192^3 torch.matmul (cuBLAS)", timed(lambda: x @ y), flops=2 * n ** 3)
    # Decode-shaped dense GEMMs of the Qwen3-30B-A3B layer (weights [n, k]).
    for m in [1, 16, 64]:
        for n_out, k in [(5120, 2048), (2048, 4096), (151936, 2048)]:
            w = torch.randn(n_out, k, dtype=torch.bfloat16, device="cuda")
            x = torch.randn(m, k, dtype=torch.bfloat16, device="cuda")
            line(f"bf16 decode GEMM m={m} n={n_out} k={k} (cuBLAS)", timed(lambda: x @ w.t()),
                 bytes_=w.numel() * 2)


def main():
    torch.manual_seed(0)
    print(f"peers on {torch.cuda.get_device_name()}, torch {torch.__version__}")
    copy_ceiling()
    decode_attention()
    prefill_attention()
    moe_experts()
    gemms()


if __name__ == "__main__":
    main()
