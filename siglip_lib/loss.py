# GENERATED FILE, DO NOT EDIT: edit notebooks/06_text_and_loss.ipynb and run `python tools/export.py`.

import torch
import torch.nn.functional as F


def _check_square_logits(logits: torch.Tensor) -> None:
    if not isinstance(logits, torch.Tensor) or logits.dim() != 2 or logits.shape[0] != logits.shape[1]:
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"expected square logits [n, n] for n matching (caption, image) pairs, got {got}")


def sigmoid_loss(logits_per_text: torch.Tensor) -> torch.Tensor:
    """SigLIP's loss. logits_per_text [n, n]: row i = caption i against every image; pair (i, i) matches.

    Every pair is a binary classification: -mean_i sum_j log sigmoid(label_ij * logit_ij), label +1 on
    the diagonal and -1 elsewhere.
    """
    _check_square_logits(logits_per_text)
    n = logits_per_text.shape[0]
    labels = -torch.ones_like(logits_per_text) + 2 * torch.eye(n, device=logits_per_text.device)  # [n, n]
    return -F.logsigmoid(labels * logits_per_text).sum(dim=-1).mean()


def softmax_loss(logits_per_text: torch.Tensor) -> torch.Tensor:
    """CLIP's loss, for comparison: cross-entropy picking the matching image for each caption and the
    matching caption for each image, averaged. A bias added to every logit cancels out."""
    _check_square_logits(logits_per_text)
    targets = torch.arange(logits_per_text.shape[0], device=logits_per_text.device)
    return (F.cross_entropy(logits_per_text, targets) + F.cross_entropy(logits_per_text.t(), targets)) / 2
