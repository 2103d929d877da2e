# GENERATED FILE, DO NOT EDIT: edit notebooks/A2_performance.ipynb and run `python tools/export.py`.

"""python -m siglip_lib.distributed_benchmark: time and peak memory per rank of the distributed sigmoid loss."""
import argparse
import csv
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from siglip_lib.distributed import distributed_sigmoid_loss, loss_memory
from siglip_lib.processes import run_processes


def measure_rank(local_batches, width: int, exchange: str, repeats: int = 3) -> list[dict]:
    """In a process group: for each local batch, this rank's median seconds and peak MiB of forward + backward
    (the peak from notebook 09's loss_memory)."""
    rank, rows = dist.get_rank(), []
    peaks = loss_memory(local_batches, width, [exchange])[exchange]
    for n, peak in zip(local_batches, peaks):
        torch.manual_seed(rank)
        images, texts = (F.normalize(torch.randn(n, width), dim=-1).requires_grad_() for _ in range(2))
        t, b = torch.tensor([10.0], requires_grad=True), torch.tensor([-10.0], requires_grad=True)
        seconds = []
        for _ in range(repeats):
            dist.barrier()
            start = time.perf_counter()
            distributed_sigmoid_loss(images, texts, t, b, exchange).backward()
            seconds.append(time.perf_counter() - start)
        rows.append(dict(local=n, seconds=sorted(seconds)[repeats // 2], peak_mib=peak / 2**20))
    return rows


def run(world_sizes=(2, 3, 4), local_batches=(64, 128, 256, 512, 1024, 2048), width: int = 768) -> list[dict]:
    """One row per (method, world size, local batch): the slowest rank's time and the largest rank's peak.
    "full" is one process with the whole batch, at the global batches of the largest world size."""
    rows, biggest = [], max(world_sizes)
    plans = [("full", 1, [n * biggest for n in local_batches])]
    plans += [(exchange, w, list(local_batches)) for w in world_sizes for exchange in ("gather", "ring")]
    for method, world, local in plans:
        ranks = run_processes(measure_rank, world, local, width, "ring" if method == "full" else method)
        for per_batch in zip(*ranks):
            rows.append(dict(method=method, world_size=world, batch=per_batch[0]["local"] * world,
                             local_batch=per_batch[0]["local"], ms=1e3 * max(r["seconds"] for r in per_batch),
                             peak_mib=max(r["peak_mib"] for r in per_batch)))
    return rows


def ring_is_flat(rows, tolerance: float = 0.05) -> bool:
    """Whether, at every local batch, the ring's peak per rank is the same (within tolerance) on every world
    size from 3 on, where both directions are in use. Needs two such world sizes to say anything."""
    by_local = {}
    for r in rows:
        if r["method"] == "ring" and r["world_size"] >= 3:
            by_local.setdefault(r["local_batch"], []).append(r["peak_mib"])
    compared = [p for p in by_local.values() if len(p) > 1]
    return bool(compared) and all(max(p) <= (1 + tolerance) * min(p) for p in compared)


def format_table(rows) -> str:
    lines = [f"{'method':7s} {'ranks':>5s} {'batch':>6s} {'per rank':>8s} {'ms':>9s} {'peak MiB/rank':>13s}"]
    lines += [f"{r['method']:7s} {r['world_size']:5d} {r['batch']:6d} {r['local_batch']:8d} {r['ms']:9.1f} "
              f"{r['peak_mib']:13.1f}" for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siglip_lib.distributed_benchmark", description=__doc__)
    parser.add_argument("--world-sizes", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--local-batches", type=int, nargs="+", default=[64, 128, 256, 512, 1024, 2048])
    parser.add_argument("--width", type=int, default=768)
    parser.add_argument("--csv", help="also write the rows to this CSV file")
    args = parser.parse_args(argv)
    rows = run(args.world_sizes, args.local_batches, args.width)
    print(format_table(rows))
    flat = ring_is_flat(rows)
    print(f"ring, 3 ranks and more: the same peak per rank at a fixed local batch: {'yes' if flat else 'NO'}")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0 if flat else 1


if __name__ == "__main__" and "__file__" in globals():
    sys.exit(main())
