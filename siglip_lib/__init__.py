"""SigLIP's vision encoder (ViT-B/16, 224 px) built from scratch in PyTorch.

This file is hand-written; every other module in siglip_lib/ is generated from notebooks/ by
`python tools/export.py` (edit the notebook, then regenerate).
"""

from .config import SigLipVisionConfig
from .preprocess import load_image, preprocess
from .vision import SigLipVisionModel, SigLipVisionOutput, pretrained_or_random

__all__ = ["SigLipVisionConfig", "SigLipVisionModel", "SigLipVisionOutput", "load_image", "preprocess",
           "pretrained_or_random"]
__version__ = "0.1.0"
