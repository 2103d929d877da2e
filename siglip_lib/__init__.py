"""SigLIP built from scratch in PyTorch: the vision encoder (ViT-B/16, 224 px), the text tower, the sigmoid
loss, a tiny SigLIP that trains on the CPU, and SigLIP 2's NaFlex vision tower (any aspect ratio).

This file is hand-written; every other module in siglip_lib/ is generated from notebooks/ by
`python tools/export.py` (edit the notebook, then regenerate).
"""

from .checkpoint import pretrained_or_random
from .config import SigLip2VisionConfig, SigLipConfig, SigLipTextConfig, SigLipVisionConfig
from .loss import sigmoid_loss, softmax_loss
from .model import SigLipModel
from .outputs import SigLipOutput, SigLipTextOutput, SigLipVisionOutput
from .preprocess import load_image, preprocess
from .shapes import make_shapes
from .siglip2 import SigLip2VisionModel, preprocess_naflex
from .text import SigLipTextModel
from .vision import SigLipVisionModel

__all__ = ["SigLip2VisionConfig", "SigLip2VisionModel", "SigLipConfig", "SigLipModel", "SigLipOutput",
           "SigLipTextConfig", "SigLipTextModel", "SigLipTextOutput", "SigLipVisionConfig", "SigLipVisionModel",
           "SigLipVisionOutput", "load_image", "make_shapes", "preprocess", "preprocess_naflex", "pretrained_or_random",
           "sigmoid_loss", "softmax_loss", "zero_shot"]
__version__ = "0.4.0"


def __getattr__(name):
    # zero_shot lives in siglip_lib.train; importing that module here, eagerly, would make
    # `python -m siglip_lib.train` warn that the module was imported before it ran.
    if name == "zero_shot":
        from .train import zero_shot

        return zero_shot
    raise AttributeError(f"module 'siglip_lib' has no attribute {name!r}")
