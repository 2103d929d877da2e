# GENERATED FILE, DO NOT EDIT: edit notebooks/08_parity.ipynb and run `python tools/export.py`.

"""python -m siglip_lib.benchmark: the from-scratch SigLIP vision model against transformers, timed."""
import argparse
import csv
import ctypes
import ctypes.util
import gc
import statistics
import sys
import time
from pathlib import Path

import torch

from siglip_lib.config import SigLipVisionConfig


def vision_flops(config: SigLipVisionConfig, height: int | None = None, width: int | None = None) -> float:
    """Matrix-multiply FLOPs (2 per multiply-add) of one forward pass of SigLipVisionModel on one image."""
    height, width = height or config.image_size, width or config.image_size
    n = (height // config.patch_size) * (width // config.patch_size)  # tokens
    d, m, c, p = config.embed_dim, config.mlp_hidden_dim, config.num_channels, config.patch_size
    patch = n * (c * p * p) * d
    block = n * 4 * d * d + 2 * n * n * d + 2 * n * d * m  # q, k, v, out; scores and weighted sum; MLP
    head = (d * d + 2 * n * d * d + 2 * n * d + d * d + 2 * d * m) if config.use_head else 0  # probe: 1 query
    return 2.0 * (patch + config.num_encoder_blocks * block + head)


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def matmul_peak(device, dtype=torch.float32, repeats: int = 5) -> float:
    """The best FLOP/s of large square matrix multiplies on this device: the yardstick for the model.
    On a GPU each timing covers 10 multiplies, so launch and synchronisation costs do not count."""
    device = torch.device(device)
    sizes, per_timing = ((1024, 2048, 3072), 1) if device.type == "cpu" else ((2048, 4096, 8192), 10)
    best = 0.0
    for n in sizes:
        a = torch.randn(n, n, device=device, dtype=dtype)
        b = torch.randn(n, n, device=device, dtype=dtype)
        a @ b  # warm-up
        for _ in range(repeats):
            synchronize(device)
            start = time.perf_counter()
            for _ in range(per_timing):
                a @ b
            synchronize(device)
            best = max(best, per_timing * 2 * n**3 / (time.perf_counter() - start))
    return best


def _rss_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def peak_memory(fn, device) -> float | None:
    """Run fn() once; return the extra memory it needed at its peak, in MB (None when this platform can't say)."""
    device = torch.device(device)
    if device.type == "cuda":
        synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        fn()
        synchronize(device)
        return (torch.cuda.max_memory_allocated(device) - before) / 1e6
    if device.type == "cpu" and _rss_kib("VmHWM") is not None:
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c"))
            gc.collect()
            libc.malloc_trim(0)  # give memory freed earlier back to the system (glibc)
            Path("/proc/self/clear_refs").write_text("5")  # reset the peak resident set size (Linux)
        except (OSError, AttributeError, TypeError):
            return None
        before = _rss_kib("VmRSS")
        fn()
        return (_rss_kib("VmHWM") - before) / 1e3
    return None


def time_pair(ours, theirs, pixel_values, repeats: int, warmup: int) -> tuple[list[float], list[float]]:
    """Seconds per forward pass, alternating ours and theirs (the first of each pair swaps every repeat),
    after warm-up calls of both."""
    device = pixel_values.device
    ours_s, theirs_s = [], []
    with torch.inference_mode():
        for _ in range(warmup):
            ours(pixel_values)
            theirs(pixel_values)
        for repeat in range(repeats):
            pair = ((ours, ours_s), (theirs, theirs_s))
            for model, times in pair if repeat % 2 == 0 else pair[::-1]:
                synchronize(device)
                start = time.perf_counter()
                model(pixel_values)
                synchronize(device)
                times.append(time.perf_counter() - start)
    return ours_s, theirs_s


def supports(device, dtype) -> bool:
    """Whether this device runs dtype at all (bf16 on older GPUs does not)."""
    device = torch.device(device)
    if dtype == torch.bfloat16 and device.type == "cuda":  # natively from Ampere (compute capability 8) on
        return torch.cuda.get_device_capability(device)[0] >= 8
    try:
        (torch.ones(2, 2, device=device, dtype=dtype) @ torch.ones(2, 2, device=device, dtype=dtype)).sum().item()
        return True
    except (RuntimeError, TypeError):
        return False


def run_benchmark(batch_sizes=(1, 8, 32), dtypes=("float32", "bfloat16"), device="cpu", repeats: int = 7,
                  warmup: int = 2, compile: bool = False, config: SigLipVisionConfig | None = None,
                  progress=print) -> list[dict]:
    """One row per (dtype, batch size): images/s of both models, their ratio, GFLOP/s, share of peak, memory."""
    from siglip_lib.parity import transformers_pair

    device = torch.device(device)
    config = config if config is not None else SigLipVisionConfig()
    flops = vision_flops(config)
    rows = []
    for name in dtypes:
        dtype = getattr(torch, name)
        if not supports(device, dtype):
            progress(f"skipping {name}: not supported on {device}")
            continue
        peak = matmul_peak(device, dtype)  # the yardstick: this dtype's matrix-multiply peak
        ours, theirs, eager = transformers_pair(config)
        del eager  # (the pair's third model, transformers' eager path, is not timed)
        ours, theirs = ours.to(device, dtype).eval(), theirs.to(device, dtype).eval()
        if compile:
            ours, theirs = torch.compile(ours), torch.compile(theirs)
        for batch in batch_sizes:
            x = torch.randn(batch, config.num_channels, config.image_size, config.image_size, device=device,
                            dtype=dtype)
            ours_s, theirs_s = time_pair(ours, theirs, x, repeats, warmup)
            with torch.inference_mode():  # twice each, in both orders; the smaller is the model's own need
                mem = [peak_memory(lambda: m(x), device) for m in (ours, theirs, theirs, ours)]
            mem_ours = None if None in mem else min(mem[0], mem[3])
            mem_theirs = None if None in mem else min(mem[1], mem[2])
            ours_ips, theirs_ips = batch / statistics.median(ours_s), batch / statistics.median(theirs_s)
            ratio = ours_ips / theirs_ips  # = median time of theirs / median time of ours
            rows.append(dict(device=str(device), dtype=name, batch=batch, compiled=compile,
                             ours_img_s=ours_ips, transformers_img_s=theirs_ips, ratio=ratio,
                             ours_gflop_s=ours_ips * flops / 1e9, matmul_peak_gflop_s=peak / 1e9,
                             share_of_peak=ours_ips * flops / peak, ours_peak_mb=mem_ours,
                             transformers_peak_mb=mem_theirs))
            progress(format_rows([rows[-1]], header=not rows[:-1]))
        del ours, theirs
    return rows


def format_rows(rows: list[dict], header: bool = True) -> str:
    """A plain-text table of run_benchmark rows."""
    mb = lambda v: "n/a" if v is None else f"{v:.0f}"
    lines = [f"{'dtype':9s} {'batch':>5s} {'ours img/s':>10s} {'hf img/s':>9s} {'ratio':>6s} {'GFLOP/s':>8s} "
             f"{'% of peak':>9s} {'ours MB':>8s} {'hf MB':>7s}"] if header else []
    for r in rows:
        lines.append(f"{r['dtype']:9s} {r['batch']:5d} {r['ours_img_s']:10.2f} {r['transformers_img_s']:9.2f} "
                     f"{r['ratio']:6.3f} {r['ours_gflop_s']:8.0f} {100 * r['share_of_peak']:8.0f}% "
                     f"{mb(r['ours_peak_mb']):>8s} {mb(r['transformers_peak_mb']):>7s}")
    return "\n".join(lines)


def write_csv(rows: list[dict], path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def plot_rows(rows: list[dict], path=None, title: str = ""):
    """Grouped bars: images per second of both models for every (dtype, batch size)."""
    import matplotlib.pyplot as plt

    labels = [f"{r['dtype']}\nbatch {r['batch']}" for r in rows]
    xs = range(len(rows))
    fig, ax = plt.subplots(figsize=(max(4, 1.3 * len(rows)) + 2.2, 3.8), layout="constrained")
    ax.bar([x - 0.2 for x in xs], [r["ours_img_s"] for r in rows], 0.4, label="siglip_lib (from scratch)")
    ax.bar([x + 0.2 for x in xs], [r["transformers_img_s"] for r in rows], 0.4, label="transformers")
    for x, r in zip(xs, rows):
        ax.text(x, max(r["ours_img_s"], r["transformers_img_s"]), f"×{r['ratio']:.2f}", ha="center", va="bottom")
    ax.set_xticks(list(xs), labels)
    ax.set(ylabel="images per second (higher is better)",
           title=title or f"SigLIP ViT-B/16 forward pass, {rows[0]['device']}; ×: ours / transformers")
    ax.margins(y=0.15)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))  # outside, clear of the bars and their labels
    if path:
        fig.savefig(path, dpi=120)
    return fig


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siglip_lib.benchmark", description=__doc__)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps (default: cpu)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"], choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--repeats", type=int, default=7, help="timed passes of each model (default: 7)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--compile", action="store_true", help="torch.compile both models first")
    parser.add_argument("--csv", help="write the table to this CSV file")
    parser.add_argument("--png", help="write a bar chart to this PNG file")
    args = parser.parse_args(argv)
    try:
        device = torch.device(args.device)
    except RuntimeError:
        parser.error(f"--device: expected cpu, cuda, cuda:N or mps, got {args.device!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: no CUDA device is available here")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        parser.error(f"--device {args.device}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        parser.error(f"--device {args.device}: Apple's MPS is not available here")
    if device.type not in ("cpu", "cuda", "mps"):
        parser.error(f"--device: expected cpu, cuda, cuda:N or mps, got {args.device!r}")
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else args.device
    print(f"SigLIP ViT-B/16 at 224 px, {vision_flops(SigLipVisionConfig()) / 1e9:.1f} GFLOP per image; device "
          f"{name}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    rows = run_benchmark(args.batch_sizes, args.dtypes, args.device, args.repeats, args.warmup, args.compile)
    if not rows:
        print("nothing measured")
        return 1
    peaks = ", ".join(sorted({f"{r['dtype']} {r['matmul_peak_gflop_s']:.0f}" for r in rows}))
    print(f"ratio = ours / transformers in images per second, each the median of {args.repeats} timed passes "
          f"alternating with the other; % of peak = our GFLOP/s "
          f"against the best measured matrix multiply of that dtype (GFLOP/s: {peaks})")
    if args.csv:
        write_csv(rows, args.csv)
        print(f"wrote {args.csv}")
    if args.png:
        plot_rows(rows, args.png, title=f"SigLIP ViT-B/16 forward pass on {name}, {torch.get_num_threads()} "
                  "threads; ×: ours / transformers")
        print(f"wrote {args.png}")
    return 0


if __name__ == "__main__" and "__file__" in globals():  # run as a script; in a notebook this cell only defines
    sys.exit(main())
