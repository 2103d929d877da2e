"""SigLIP built from scratch in PyTorch: the vision encoder (ViT-B/16, 224 px), the text tower, the sigmoid
loss, and a tiny SigLIP that trains on the CPU.

This file is hand-written; every other module in siglip_lib/ is generated from notebooks/ by
`python tools/export.py` (edit the notebook, then regenerate).
"""

from .config import SigLipVisionConfig
from .loss import sigmoid_loss, softmax_loss
from .model import SigLipConfig, SigLipModel, SigLipOutput
from .preprocess import load_image, preprocess
from .shapes import make_shapes
from .text import SigLipTextConfig, SigLipTextModel, SigLipTextOutput
from .train import zero_shot
from .vision import SigLipVisionModel, SigLipVisionOutput, pretrained_or_random

__all__ = ["SigLipConfig", "SigLipModel", "SigLipOutput", "SigLipTextConfig", "SigLipTextModel", "SigLipTextOutput",
           "SigLipVisionConfig", "SigLipVisionModel", "SigLipVisionOutput", "load_image", "make_shapes", "preprocess",
           "pretrained_or_random", "sigmoid_loss", "softmax_loss", "zero_shot"]
__version__ = "0.2.0"
