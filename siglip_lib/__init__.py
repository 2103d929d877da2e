"""SigLIP's vision encoder built from scratch. Hand-written: every other module here is generated
from notebooks/ by `python tools/export.py`."""

from .config import SigLipVisionConfig
from .preprocess import load_image, preprocess

try:  # the modules below exist once notebook 05 has been exported
    from .vision import SigLipVisionModel, SigLipVisionOutput, pretrained_or_random
except ImportError:
    pass

__version__ = "0.1.0"
