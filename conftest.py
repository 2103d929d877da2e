"""Settings for `pytest`: the unit tests in tests/ and the notebooks, which nbval runs.

The tests never use the network. SIGLIP_OFFLINE makes the notebooks and `python -m siglip_lib.compare`
take their offline path (random weights with the official configuration) even where the hub could be
reached, so the stored notebook outputs stay comparable and nothing is downloaded. The notebook kernels
that nbval starts inherit these variables.

pytest runs on two workers (pyproject.toml), each with its share of torch's threads. On 2 cores, one process
with torch's 2 threads took 12 minutes, two workers with one thread each 6: on this project's small kernels
two threads spend much of their time waiting for each other.
"""

import os
from pathlib import Path

os.environ["SIGLIP_OFFLINE"] = "1"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["TRANSFORMERS_VERBOSITY"] = "error"

import pytest
import torch

if "PYTEST_XDIST_WORKER_COUNT" in os.environ:  # pytest -n N (pyproject.toml): the N workers share the cores
    _threads = max(1, torch.get_num_threads() // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    torch.set_num_threads(_threads)
    os.environ["OMP_NUM_THREADS"] = str(_threads)  # for the notebook kernels and processes this worker starts

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"


@pytest.fixture(scope="session")
def photo_pixels():
    from siglip_lib import preprocess

    return preprocess(ASSETS / "grace_hopper.jpg")  # [1, 3, 224, 224]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
