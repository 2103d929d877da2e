"""SigLIP built from scratch in PyTorch: the vision encoder (ViT-B/16, 224 px), the text tower, the sigmoid
loss, and a tiny SigLIP that trains on the CPU.

This file is hand-written; every other module in siglip_lib/ is generated from notebooks/ by
`python tools/export.py` (edit the notebook, then regenerate).
"""

from .checkpoint import pretrained_or_random
from .config import SigLipConfig, SigLipTextConfig, SigLipVisionConfig
from .loss import sigmoid_loss, softmax_loss
from .model import SigLipModel
from .outputs import SigLipOutput, SigLipTextOutput, SigLipVisionOutput
from .preprocess import load_image, preprocess
from .shapes import make_shapes
from .text import SigLipTextModel
from .vision import SigLipVisionModel

__all__ = ["SigLipConfig", "SigLipModel", "SigLipOutput", "SigLipTextConfig", "SigLipTextModel", "SigLipTextOutput",
           "SigLipVisionConfig", "SigLipVisionModel", "SigLipVisionOutput", "load_image", "make_shapes", "preprocess",
           "pretrained_or_random", "sigmoid_loss", "softmax_loss", "zero_shot"]
__version__ = "0.3.0"


def __getattr__(name):
    # zero_shot lives in siglip_lib.train; importing that module here, eagerly, would make
    # `python -m siglip_lib.train` warn that the module was imported before it ran.
    if name == "zero_shot":
        from .train import zero_shot

        return zero_shot
    raise AttributeError(f"module 'siglip_lib' has no attribute {name!r}")
