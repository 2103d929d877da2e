"""The sigmoid loss across processes (issue 13), proved with real gloo process groups on this machine.

Each world size starts its processes once and runs every case there (starting Python and torch is most of
the cost); the reference, the single-process sigmoid_loss of the whole batch, is computed here, in the
test process.
"""

import os
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
import torch.nn.functional as F

import siglip_lib.distributed as distributed
from siglip_lib import SigLipModel, sigmoid_loss
from siglip_lib.memory import TensorMemory
from siglip_lib.processes import run_processes

EQUAL_SHARDS = {2: [3, 3], 3: [3, 3, 3], 4: [5, 5, 5, 5]}  # odd shard sizes
UNEQUAL_SHARDS = {2: [5, 2], 3: [2, 5, 4], 4: [1, 4, 2, 3]}
TOLERANCE = {torch.float32: 1e-6, torch.float64: 1e-12}


def batch(n, dtype, width=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    images, texts = (F.normalize(torch.randn(n, width, generator=g, dtype=dtype), dim=-1) for _ in range(2))
    return images, texts, torch.tensor([10.0], dtype=dtype), torch.tensor([-10.0], dtype=dtype)


def full_loss_and_grads(images, texts, t, b):
    leaves = [x.clone().requires_grad_() for x in (images, texts, t, b)]
    loss = sigmoid_loss(leaves[2] * leaves[1] @ leaves[0].t() + leaves[3])
    loss.backward()
    return loss.detach(), [x.grad for x in leaves]


def _error(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ValueError as error:
        return str(error)
    return None


def every_case(cases):
    """In a process group: shard_loss_and_grads for each case, then the messages of four mistakes."""
    results = [distributed.shard_loss_and_grads(*case) for case in cases]
    rank, t, b = dist.get_rank(), torch.tensor([10.0]), torch.tensor([-10.0])
    mistakes = {
        "unequal shards on the ring": _error(distributed.distributed_sigmoid_loss, torch.zeros(2 + rank, 8),
                                             torch.zeros(2 + rank, 8), t, b, "ring"),
        "widths differ between ranks": _error(distributed.distributed_sigmoid_loss, torch.zeros(2, 8 + rank),
                                              torch.zeros(2, 8 + rank), t, b, "gather"),
        "one rank's texts are short": _error(distributed.distributed_sigmoid_loss, torch.zeros(3, 8),
                                             torch.zeros(3 - (rank == 0), 8), t, b, "ring"),
        "ranks chose different exchanges": _error(distributed.distributed_sigmoid_loss, torch.zeros(2, 8),
                                                  torch.zeros(2, 8), t, b, "ring" if rank == 0 else "gather"),
    }
    return results, mistakes


_RUNS = {}


def run_every_case(world):
    """(expected, what each rank answered) for every case on world processes, started once per world size."""
    if world not in _RUNS:
        cases, expected = [], []
        for dtype in (torch.float32, torch.float64):
            for sizes, exchanges in [(EQUAL_SHARDS[world], ("gather", "ring")), (UNEQUAL_SHARDS[world], ("gather",))]:
                inputs = batch(sum(sizes), dtype, seed=world)
                for exchange in exchanges:
                    cases.append((*inputs, sizes, exchange))
                    expected.append((full_loss_and_grads(*inputs), sizes, dtype, exchange))
        _RUNS[world] = expected, run_processes(every_case, world, cases)
    return _RUNS[world]


@pytest.mark.parametrize("world", [2, 3, 4])
def test_every_rank_gets_the_full_batch_loss_and_gradients(world):
    expected, ranks = run_every_case(world)
    for i, ((full, full_grads), sizes, dtype, exchange) in enumerate(expected):
        tol, where = TOLERANCE[dtype], f"{exchange}, shards {sizes}, {dtype}"
        losses = torch.stack([results[i][0] for results, _ in ranks])
        assert abs(losses.mean() - full) <= tol * max(1.0, abs(full)), where  # relative to the loss's size
        grads = [torch.cat([results[i][1][k] for results, _ in ranks]) / world for k in (0, 1)]  # rows by rank
        grads += [sum(results[i][1][k] for results, _ in ranks) / world for k in (2, 3)]  # t and b, averaged
        for name, got, want in zip(["images", "texts", "t", "b"], grads, full_grads):
            assert (got - want).abs().max() <= tol, f"{where}: gradient of {name}"
        assert all(results[i][0].dtype == dtype for results, _ in ranks)


@pytest.mark.parametrize("world", [2, 3, 4])
def test_mistakes_get_the_same_clear_error_on_every_rank(world):
    _, ranks = run_every_case(world)
    messages = [mistakes for _, mistakes in ranks]
    assert all(m == messages[0] for m in messages)  # every rank raised, with one message
    m = messages[0]
    assert "the ring needs the same number of pairs on every rank" in m["unequal shards on the ring"]
    assert str(list(range(2, 2 + world))) in m["unequal shards on the ring"]  # it names the sizes
    assert "one embedding width D on every rank" in m["widths differ between ranks"]
    assert str(list(range(8, 8 + world))) in m["widths differ between ranks"]
    assert "one shape [n, D] on every rank" in m["one rank's texts are short"]
    assert "((3, 8), (2, 8))" in m["one rank's texts are short"]
    assert f"the same exchange, got {['ring'] + ['gather'] * (world - 1)}" in m["ranks chose different exchanges"]


def test_one_process_falls_back_to_the_plain_loss():
    assert not dist.is_initialized()
    images, texts, t, b = batch(6, torch.float64)
    for exchange in ("ring", "gather"):
        loss = distributed.distributed_sigmoid_loss(images, texts, t, b, exchange)
        assert torch.equal(loss, sigmoid_loss(t * texts @ images.t() + b))
    with pytest.raises(ValueError, match="exchange must be 'ring' or 'gather', got 'bidir'"):
        distributed.distributed_sigmoid_loss(images, texts, t, b, "bidir")


def test_ring_schedule_visits_every_rank_once():
    for world in range(1, 17):
        seen = [0] + [d * k for k, directions in enumerate(distributed.ring_schedule(world), 1) for d in directions]
        assert sorted(s % world for s in seen) == list(range(world))
        assert len(distributed.ring_schedule(world)) == world // 2  # both directions: half the steps


def test_data_parallel_training_gives_the_weights_of_one_process():
    from siglip_lib.train import TrainConfig

    config = TrainConfig(steps=4, warmup_steps=1)
    one = run_processes(distributed.data_parallel_weights, 1, config, "ring", torch.float64)[0]
    two = run_processes(distributed.data_parallel_weights, 2, config, "ring", torch.float64)
    fresh = dict(distributed.tiny_siglip().double().named_parameters())
    moved = max((p - fresh[k]).abs().max().item() for k, p in one.items())
    differ = max((two[0][k] - p).abs().max().item() for k, p in one.items())
    assert moved > 1e-3 and differ <= 1e-5, (moved, differ)
    assert all(torch.equal(two[0][k], two[1][k]) for k in one)  # DDP kept the copies equal


def test_torchrun_trains_data_parallel_with_the_training_command(tmp_path):
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "-m", "siglip_lib.train",
               "--steps", "3", "--exchange", "gather", "--out", str(tmp_path / "model")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180,
                          env=os.environ | {"OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 processes (gather, cpu): 3 steps" in done.stdout
    assert SigLipModel.from_pretrained(tmp_path / "model").tokenizer is not None


def test_tensor_memory_counts_what_is_alive():
    x = torch.randn(1000, 1000)
    with TensorMemory() as memory:
        y = x.exp()
        z = y.sin()
        del y
        w = z[:10]  # a view: no new memory
    assert memory.peak == 8_000_000 and memory.now == 4_000_000 and w.shape == (10, 1000)


def row(world, local, peak, method="ring"):
    return dict(method=method, world_size=world, batch=world * local, local_batch=local, ms=1.0, peak_mib=peak)


def test_the_benchmark_checks_the_rings_claim():
    from siglip_lib.distributed_benchmark import format_table, ring_is_flat

    assert ring_is_flat([row(2, 64, 2.0), row(3, 64, 3.0), row(4, 64, 3.0)])
    assert not ring_is_flat([row(3, 64, 3.0), row(4, 64, 4.0)])  # grows with the number of ranks
    assert not ring_is_flat([row(2, 64, 2.0), row(4, 64, 3.0)])  # only one world size of 3 or more: no claim
    assert format_table([row(3, 64, 3.0)]).splitlines()[1].split() == ["ring", "3", "192", "64", "1.0", "3.0"]


def test_the_shipped_benchmark_table_shows_what_the_readme_says():
    import csv
    from pathlib import Path

    from siglip_lib.distributed_benchmark import ring_is_flat

    path = Path(__file__).resolve().parent.parent / "assets" / "distributed_benchmark_cpu.csv"
    rows = [{k: (v if k == "method" else float(v)) for k, v in r.items()} for r in csv.DictReader(path.open())]
    assert ring_is_flat(rows)
    peak = {(r["method"], r["world_size"], r["local_batch"]): r["peak_mib"] for r in rows}
    assert peak[("gather", 4, 2048)] > 2 * peak[("ring", 4, 2048)]  # all-gather grows with the ranks
    assert {r["batch"] for r in rows if r["world_size"] == 4} >= {256.0, 8192.0}  # global batch 256 to 8192
