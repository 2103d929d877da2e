# GENERATED FILE, DO NOT EDIT: edit notebooks/07_sigmoid_loss.ipynb and run `python tools/export.py`.

import torch
import torch.nn.functional as F

from siglip_lib.checks import check_square_logits


def sigmoid_loss(logits_per_text: torch.Tensor) -> torch.Tensor:
    """SigLIP's loss. logits_per_text [n, n]: row i = caption i against every image; pair (i, i) matches.

    Every pair is a binary classification: -(1/n) sum_ij log sigmoid(label_ij * logit_ij), label +1 on
    the diagonal and -1 elsewhere.
    """
    check_square_logits(logits_per_text)
    n = logits_per_text.shape[0]
    labels = 2 * torch.eye(n, device=logits_per_text.device) - 1  # +1 on the diagonal, -1 elsewhere
    return -F.logsigmoid(labels * logits_per_text).sum() / n


def softmax_loss(logits_per_text: torch.Tensor) -> torch.Tensor:
    """CLIP's loss, for comparison: cross-entropy picking the matching image for each caption and the
    matching caption for each image, averaged. A bias added to every logit cancels out."""
    check_square_logits(logits_per_text)
    targets = torch.arange(logits_per_text.shape[0], device=logits_per_text.device)
    return (F.cross_entropy(logits_per_text, targets) + F.cross_entropy(logits_per_text.t(), targets)) / 2
