# GENERATED FILE, DO NOT EDIT: edit notebooks/A2_performance.ipynb and run `python tools/export.py`.

import weakref

import torch
from torch.utils._python_dispatch import TorchDispatchMode


class TensorMemory(TorchDispatchMode):
    """with TensorMemory() as memory: ...  -> memory.peak: the most bytes of tensors alive at once, counting the
    tensors created inside the block (those that existed before it are not counted); memory.now: alive now."""

    def __init__(self):
        super().__init__()
        self.now, self.peak, self._alive = 0, 0, {}

    def _freed(self, key):
        self.now -= self._alive.pop(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for tensor in (out if isinstance(out, (tuple, list)) else [out]):
            if isinstance(tensor, torch.Tensor) and id(storage := tensor.untyped_storage()) not in self._alive:
                self._alive[id(storage)] = storage.nbytes()
                weakref.finalize(storage, self._freed, id(storage))
                self.now += storage.nbytes()
        self.peak = max(self.peak, self.now)
        return out
