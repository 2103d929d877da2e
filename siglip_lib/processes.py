# GENERATED FILE, DO NOT EDIT: edit notebooks/A1_engineering.ipynb and run `python tools/export.py`.

import os
import pickle
import queue
import socket
import sys
import time
import traceback
from datetime import timedelta

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_method():
    """forkserver where the platform has it (Linux, macOS): one server process imports torch and siglip_lib once,
    and each rank is a fork of it, ready in milliseconds. Elsewhere (Windows) spawn: each rank imports them anew."""
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["siglip_lib.distributed"])  # read when the server starts (the first call)
    return context


def _one_process(fn, rank, world_size, port, results, args):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)  # the processes share the machine's cores
    try:
        dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=timedelta(seconds=60))
        results.put(pickle.dumps((rank, fn(*args), None)))
    except BaseException:
        results.put(pickle.dumps((rank, None, traceback.format_exc())))
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _collect(processes, results, timeout: float) -> dict:
    """{rank: (result, traceback or None)} from every process; a process that dies without answering (it could
    not even start fn) or a run longer than timeout seconds raises a RuntimeError."""
    answers, deadline = {}, time.monotonic() + timeout
    while len(answers) < len(processes):
        try:
            rank, value, error = pickle.loads(results.get(timeout=1))
            answers[rank] = (value, error)
        except queue.Empty:
            silent = [r for r, p in enumerate(processes) if p.exitcode is not None and r not in answers]
            if silent:
                code = processes[silent[0]].exitcode
                raise RuntimeError(f"rank {silent[0]} of {len(processes)} exited (code {code}) without an answer; "
                                   "its error is printed above (stderr)") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer from ranks {sorted(set(range(len(processes))) - set(answers))} "
                                   f"within {timeout} s") from None
    return answers


def run_processes(fn, world_size: int, *args, timeout: float = 180) -> list:
    """Run fn(*args) in world_size fresh processes joined in a gloo process group; their results by rank.
    fn must be importable (a function of a module, not of a notebook). A failed rank raises its traceback."""
    if not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size must be a positive int, got {world_size!r}")
    if getattr(fn, "__module__", None) == "__main__" and not hasattr(sys.modules["__main__"], "__file__"):
        raise ValueError(f"fn must be importable by a fresh process, but {fn.__qualname__} is defined in this "
                         "notebook or interactive session: import it from its module (siglip_lib....) instead")
    context = _start_method()
    results, port = context.Queue(), _free_port()
    processes = [context.Process(target=_one_process, args=(fn, rank, world_size, port, results, args))
                 for rank in range(world_size)]
    for p in processes:
        p.start()
    try:
        answers = _collect(processes, results, timeout)
    finally:
        for p in processes:
            p.join(timeout=10)
            if p.is_alive():
                p.kill()
    failed = [f"rank {rank} of {world_size} failed:\n{error}" for rank, (_, error) in sorted(answers.items()) if error]
    if failed:  # every failed rank: the first to fail may not be rank 0, whose error can be the consequence
        raise RuntimeError("\n".join(failed))
    return [answers[rank][0] for rank in range(world_size)]


def data_parallel_main(argv=None) -> int:
    """torchrun --nproc-per-node N -m siglip_lib.train: train the tiny SigLIP data-parallel (notebook 09)."""
    import argparse

    from siglip_lib.distributed import train_data_parallel
    from siglip_lib.train import TrainConfig, held_out_accuracy, tiny_siglip

    parser = argparse.ArgumentParser(prog="torchrun --nproc-per-node N -m siglip_lib.train",
                                     description=data_parallel_main.__doc__)
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--exchange", choices=["ring", "gather"], default="ring", help="how the loss is shared")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu", help="cpu: gloo; cuda: nccl")
    parser.add_argument("--out", help="folder to write the trained model to (save_pretrained format)")
    args = parser.parse_args(argv)
    device = torch.device(f"cuda:{os.environ['LOCAL_RANK']}" if args.device == "cuda" else "cpu")
    if args.device == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if args.device == "cuda" else "gloo")
    model = tiny_siglip()
    history = train_data_parallel(model, TrainConfig(steps=args.steps), args.exchange, device)
    if dist.get_rank() == 0:
        accuracy = held_out_accuracy(model.cpu())
        print(f"{dist.get_world_size()} processes ({args.exchange}, {device}): {args.steps} steps in "
              f"{history['seconds']:.0f} s, rank 0's last loss {history['loss'][-1]:.3f}, "
              f"zero-shot accuracy {accuracy:.1%}")
        if args.out:
            model.save_pretrained(args.out)
    dist.destroy_process_group()
    return 0
