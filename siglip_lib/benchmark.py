# GENERATED FILE, DO NOT EDIT: edit notebooks/A2_performance.ipynb and run `python tools/export.py`.

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
    """Matrix-multiply FLOPs (2 per multiply-add) of one forward pass of SigLipVisionModel on one image (or of
    SigLip2VisionModel, whose config has the same sizes, on a height x width grid of patches)."""
    height, width = height or config.image_size, width or config.image_size
    n = (height // config.patch_size) * (width // config.patch_size)  # tokens
    d, m, c, p = config.embed_dim, config.mlp_hidden_dim, config.num_channels, config.patch_size
    patch = n * (c * p * p) * d
    block = n * 4 * d * d + 2 * n * n * d + 2 * n * d * m  # q, k, v, out; scores and weighted sum; MLP
    head = (d * d + 2 * n * d * d + 2 * n * d + d * d + 2 * d * m) if config.use_head else 0  # probe: 1 query
    return 2.0 * (patch + config.num_encoder_blocks * block + head)


def synchronize(device: torch.device) -> None:
    """Wait until the device has finished its queued work (GPUs run asynchronously; the CPU does not)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def matmul_peak(device, dtype=torch.float32, repeats: int = 5) -> float:
    """The best FLOP/s of large square matrix multiplies on this device: the yardstick for the model."""
    device = torch.device(device)
    sizes, per_timing = ((1024, 2048), 1) if device.type == "cpu" else ((2048, 4096, 8192), 10)
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


def measure_pair(ours, theirs, pixel_values, repeats: int, warmup: int, flops: float) -> dict:
    """images/s of both models (medians), their ratio, our GFLOP/s, and each model's extra memory (MB)."""
    ours_s, theirs_s = time_pair(ours, theirs, pixel_values, repeats, warmup)
    with torch.inference_mode():
        mem = [peak_memory(lambda: m(pixel_values), pixel_values.device) for m in (ours, theirs, theirs, ours)]
    batch = len(pixel_values)
    ours_ips, theirs_ips = batch / statistics.median(ours_s), batch / statistics.median(theirs_s)
    return dict(batch=batch, ours_img_s=ours_ips, transformers_img_s=theirs_ips,
                ratio=statistics.median(t / o for o, t in zip(ours_s, theirs_s)),  # pass by pass, then median
                ours_gflop_s=ours_ips * flops / 1e9,
                ours_peak_mb=None if None in mem else min(mem[0], mem[3]),
                transformers_peak_mb=None if None in mem else min(mem[1], mem[2]))

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


def _inplace_block_forward(block, x, output_attentions: bool = False, attention_mask=None):
    """EncoderBlock.forward with its sums and GELU in place: the same operations on the same numbers."""
    if torch.is_grad_enabled() or torch.is_autocast_enabled(x.device.type):
        raise RuntimeError("the in-place path is for inference in the model's own dtype: use torch.inference_mode()")
    h, weights = block.self_attn(block.layer_norm1(x), output_attentions=output_attentions,
                                 attention_mask=attention_mask)
    h += x  # x + attn(LN(x)), in the attention output's memory (x may be kept in hidden_states: not touched)
    m = block.mlp.fc1(block.layer_norm2(h))
    torch.ops.aten.gelu_(m, approximate="tanh")  # GELU over fc1's output, in its own memory
    m = block.mlp.fc2(m)
    m += h  # h + mlp(LN(h)), in fc2's output
    return m, weights


def inplace_residuals(model):
    """A copy of our model whose encoder blocks add their residuals and apply GELU in place (inference only)."""
    import copy
    import types

    from siglip_lib.encoder import EncoderBlock

    model = copy.deepcopy(model)
    for block in model.modules():
        if isinstance(block, EncoderBlock):
            block.forward = types.MethodType(_inplace_block_forward, block)
    return model


def models_for(mode: str, ours, theirs) -> tuple:
    """The pair a mode times: "eager" as they are, "in-place" ours, "compiled" both."""
    pairs = {"eager": lambda: (ours, theirs), "in-place": lambda: (inplace_residuals(ours), theirs),
             "compiled": lambda: (torch.compile(ours), torch.compile(theirs))}
    if mode not in pairs:
        raise ValueError(f"mode must be one of {list(pairs)}, got {mode!r}")
    return pairs[mode]()


def run_benchmark(batch_sizes=(1, 8, 32), dtypes=("float32", "bfloat16"), device="cpu", repeats: int = 7,
                  warmup: int = 2, modes=("eager",), config: SigLipVisionConfig | None = None,
                  progress=print, naflex: bool = False) -> list[dict]:
    """One row per (dtype, mode, batch size); modes: "eager", "in-place" (ours), "compiled" (both models).
    naflex=True adds SigLIP 2's NaFlex tower at 256 patches ("NaFlex" and "NaFlex in-place"; naflex_rows)."""
    from siglip_lib.parity import transformers_pair

    device, config, rows = torch.device(device), config if config is not None else SigLipVisionConfig(), []
    for name in dtypes:
        dtype = getattr(torch, name)
        if not supports(device, dtype):
            progress(f"skipping {name}: not supported on {device}")
            continue
        peak = matmul_peak(device, dtype)  # the yardstick: this dtype's matrix-multiply peak
        ours, theirs, eager = transformers_pair(config)
        del eager  # (the pair's third model, transformers' eager path, is not timed)
        ours, theirs = ours.to(device, dtype).eval(), theirs.to(device, dtype).eval()
        for mode in modes:
            pair = models_for(mode, ours, theirs)
            for batch in batch_sizes:
                x = torch.randn(batch, config.num_channels, config.image_size, config.image_size, device=device,
                                dtype=dtype)
                row = measure_pair(*pair, x, repeats, warmup, vision_flops(config))
                rows.append(dict(device=str(device), dtype=name, mode=mode, **row,
                                 matmul_peak_gflop_s=peak / 1e9, share_of_peak=row["ours_gflop_s"] * 1e9 / peak))
                progress(format_rows(rows[-1:], header=len(rows) == 1))
        del ours, theirs, pair
        for row in naflex_rows(batch_sizes, dtype, device, repeats, warmup, modes=modes) if naflex else []:
            rows.append(dict(row, matmul_peak_gflop_s=peak / 1e9, share_of_peak=row["ours_gflop_s"] * 1e9 / peak))
            progress(format_rows(rows[-1:], header=len(rows) == 1))
        torch._dynamo.reset()  # forget the compiled code of this dtype's models
    return rows


def naflex_rows(batch_sizes, dtype, device, repeats: int, warmup: int, config=None, modes=("eager",)):
    """Rows, one at a time as they are measured, for SigLIP 2's NaFlex tower at a budget of 256 patches, ours
    against transformers' Siglip2VisionModel: "NaFlex" (eager) and, if modes has it, "NaFlex in-place" (the
    compiled mode is not timed for NaFlex)."""
    import tempfile

    from siglip_lib.config import SigLip2VisionConfig
    from siglip_lib.parity import siglip2_pair

    config = config if config is not None else SigLip2VisionConfig()
    with tempfile.TemporaryDirectory() as folder:
        ours, theirs = (m.to(device, dtype).eval() for m in siglip2_pair(folder, config))
    (grid_h, grid_w), p = (12, 21), config.patch_size  # 252 patches of a wide image, 4 of padding
    flops = vision_flops(config, grid_h * p, grid_w * p)  # the same sizes: 252 tokens of a SigLIP tower
    for mode in [m for m in modes if m != "compiled"]:
        models = models_for(mode, ours, theirs)
        for batch in batch_sizes:
            x = torch.randn(batch, 256, config.num_channels * p * p, device=device, dtype=dtype)
            mask = (torch.arange(256, device=device) < grid_h * grid_w).expand(batch, -1).int()
            shapes = torch.tensor([[grid_h, grid_w]] * batch, device=device)
            pair = [lambda x, m=m: m(x, mask, shapes) for m in models]  # called as the timing loop calls a model
            row = measure_pair(*pair, x, repeats, warmup, flops)
            yield dict(device=str(device), dtype=str(dtype).removeprefix("torch."),
                       mode="NaFlex" if mode == "eager" else f"NaFlex {mode}", **row)


COLUMNS = ["device", "dtype", "batch", "mode", "ours_img_s", "transformers_img_s", "ratio", "ours_gflop_s",
           "matmul_peak_gflop_s", "share_of_peak", "ours_peak_mb", "transformers_peak_mb"]


def format_rows(rows: list[dict], header: bool = True) -> str:
    """A plain-text table of run_benchmark rows."""
    def mb(value):  # memory: "n/a" where the platform cannot tell
        return "n/a" if value is None else f"{value:.0f}"

    lines = [f"{'dtype':9s} {'mode':15s} {'batch':>5s} {'ours img/s':>10s} {'hf img/s':>9s} {'ratio':>6s} "
             f"{'GFLOP/s':>8s} {'% of peak':>9s} {'ours MB':>8s} {'hf MB':>7s}"] if header else []
    for r in rows:
        lines.append(f"{r['dtype']:9s} {r['mode']:15s} {r['batch']:5d} "
                     f"{r['ours_img_s']:10.2f} {r['transformers_img_s']:9.2f} {r['ratio']:6.3f} "
                     f"{r['ours_gflop_s']:8.0f} {100 * r['share_of_peak']:8.0f}% "
                     f"{mb(r['ours_peak_mb']):>8s} {mb(r['transformers_peak_mb']):>7s}")
    return "\n".join(lines)


def write_csv(rows: list[dict], path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path) -> list[dict]:
    """The rows write_csv wrote, with numbers and missing memory (n/a) as Python values again."""
    def value(key: str, text: str):
        if key in ("device", "dtype", "mode"):
            return text
        if key == "batch":
            return int(text)
        return float(text) if text else None

    with open(path, newline="") as f:
        return [{key: value(key, text) for key, text in row.items()} for row in csv.DictReader(f)]


MODES = ("eager", "in-place", "compiled", "NaFlex", "NaFlex in-place")  # the order of the pairs at each batch size
COLOURS = {"ours": ("#1f77b4", "#6baed6", "#c6dbef", "#2ca02c", "#98df8a"),
           "transformers": ("#ff7f0e", "#ff7f0e", "#fdd0a2", "#d62728", "#d62728")}
THEIRS = {"in-place": "eager", "NaFlex in-place": "NaFlex"}  # what transformers runs beside our in-place rows


def plot_rows(rows: list[dict], path=None, title: str = ""):
    """Grouped bars, one panel per dtype: images per second of both models at every batch size, a pair of bars
    per mode (the in-place pair's transformers bar is transformers eager), ×: ours / transformers above each."""
    import matplotlib.pyplot as plt

    dtypes = list(dict.fromkeys(r["dtype"] for r in rows))
    modes = [m for m in MODES if any(r["mode"] == m for r in rows)]
    fig, axes = plt.subplots(1, len(dtypes), figsize=(1.5 + (1.6 + 1.4 * len(modes)) * len(dtypes), 4),
                             layout="constrained", squeeze=False)
    width = 0.8 / (2 * len(modes))
    for ax, dtype in zip(axes[0], dtypes):
        batches = sorted({r["batch"] for r in rows if r["dtype"] == dtype})
        for r in (r for r in rows if r["dtype"] == dtype):
            left = batches.index(r["batch"]) - 0.4 + 2 * width * modes.index(r["mode"])
            for k, who in enumerate(("ours", "transformers")):
                theirs_mode = THEIRS.get(r["mode"], r["mode"]) if who == "transformers" else r["mode"]
                ax.bar(left + (k + 0.5) * width, r[f"{who}_img_s"], width, edgecolor="black", linewidth=0.5,
                       color=COLOURS[who][MODES.index(r["mode"])], label=f"{who}, {theirs_mode}")
            ax.text(left + width, max(r["ours_img_s"], r["transformers_img_s"]), f"×{r['ratio']:.2f}",
                    ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(len(batches)), [f"batch {b}" for b in batches])
        ax.set(title=dtype, ylabel="images per second (higher is better)")
        ax.margins(y=0.12)
    labels = dict(zip(*reversed(axes[0][0].get_legend_handles_labels())))  # one entry per label
    fig.legend(labels.values(), labels.keys(), loc="outside right upper")
    fig.suptitle(title or f"SigLIP ViT-B/16 forward pass, {rows[0]['device']}; ×: ours / transformers")
    if path:
        fig.savefig(path, dpi=120)
    return fig


def _parse_device(parser, text: str) -> torch.device:
    """torch.device(text) if this machine has it, else a clear argparse error (exit 2)."""
    try:
        device = torch.device(text)
    except RuntimeError:
        parser.error(f"--device: expected cpu, cuda, cuda:N or mps, got {text!r}")
    if device.type not in ("cpu", "cuda", "mps"):
        parser.error(f"--device: expected cpu, cuda, cuda:N or mps, got {text!r}")
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {text}: no CUDA device is available here")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        parser.error(f"--device {text}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "mps" and not torch.backends.mps.is_available():
        parser.error(f"--device {text}: Apple's MPS is not available here")
    return device


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siglip_lib.benchmark", description=__doc__)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps (default: cpu)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "bfloat16"],
                        choices=["float32", "bfloat16", "float16"])
    parser.add_argument("--repeats", type=int, default=7, help="timed passes of each model (default: 7)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--inplace", action=argparse.BooleanOptionalAction, default=True,
                        help="also time ours with in-place residual sums (default: yes)")
    parser.add_argument("--compile", action="store_true", help="also time both models torch.compile'd (minutes)")
    parser.add_argument("--naflex", action=argparse.BooleanOptionalAction, default=True,
                        help="also time SigLIP 2's NaFlex tower at 256 patches (default: yes)")
    parser.add_argument("--csv", help="write the table to this CSV file")
    parser.add_argument("--png", help="write a bar chart to this PNG file")
    args = parser.parse_args(argv)
    device = _parse_device(parser, args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else args.device
    print(f"SigLIP ViT-B/16 at 224 px, {vision_flops(SigLipVisionConfig()) / 1e9:.1f} GFLOP per image; device "
          f"{name}, torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    modes = ("eager",) + ("in-place",) * args.inplace + ("compiled",) * args.compile
    rows = run_benchmark(args.batch_sizes, args.dtypes, args.device, args.repeats, args.warmup, modes,
                         naflex=args.naflex)
    if not rows:
        print("nothing measured")
        return 1
    peaks = ", ".join(sorted({f"{r['dtype']} {r['matmul_peak_gflop_s']:.0f}" for r in rows}))
    print(f"img/s: the median of {args.repeats} timed passes of each model, alternating; ratio = ours / "
          f"transformers, the median of the {args.repeats} ratios of adjacent passes; % of peak = our GFLOP/s "
          f"against the best matrix multiply of that dtype (GFLOP/s: {peaks}); MB = extra memory of one pass")
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
