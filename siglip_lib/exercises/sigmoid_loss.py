# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/07_sigmoid_loss.ipynb and run `python tools/export.py`.

import functools

import torch
import torch.nn.functional as F

from siglip_lib.exercises.engine import Checker, seeded
from siglip_lib.exercises.text_tower import check_logits, logits, logits_per_image


def siglip_loss(image_embeds, text_embeds, logit_scale, logit_bias):
    """image_embeds [n, D], text_embeds [n, D], logit_scale t′, logit_bias b -> the sigmoid loss (a number)."""
    return loss_from_logits(logits(image_embeds, text_embeds, logit_scale, logit_bias))  # logits: notebook 06


def loss_from_logits(logits_per_text):
    """[n, n], row i = caption i, pair (i, i) matches -> −log σ(label · logit) summed over all pairs, over n."""
    n = logits_per_text.shape[0]
    labels = 2 * torch.eye(n) - 1  # +1 on the diagonal, -1 elsewhere
    return -F.logsigmoid(labels * logits_per_text).sum() / n


check_sigmoid_loss = Checker(
    "siglip_loss(image_embeds [n, D], text_embeds [n, D], logit_scale t′, logit_bias b) -> the sigmoid loss",
    siglip_loss,
    [seeded(16, lambda: (torch.randn(6, 5), 4 * torch.randn(6, 5), torch.tensor(1.2), torch.tensor(-1.5))),
     seeded(15, lambda: (3 * torch.randn(4, 8), 2 * torch.randn(4, 8), torch.tensor(10.0).log(), torch.tensor(-10.0)))],
    outputs={"loss": "a number (a tensor of shape [])"},
    arg_names=("image_embeds", "text_embeds", "logit_scale", "logit_bias"),
    hints=["logits = text_embeds @ image_embeds.T * t + b, with t = logit_scale.exp()",
           "F.logsigmoid(x) is log σ(x), without overflow"])


def _in_the_loss(wrong_logits):  # a classic mistake of notebook 06, made in the loss: same name, same message
    @functools.wraps(wrong_logits)
    def answer(*inputs):
        return loss_from_logits(wrong_logits(*inputs))

    return answer


for _mistake in check_logits.mistakes:
    if _mistake.answer is not logits_per_image:
        check_sigmoid_loss.mistake(_in_the_loss(_mistake.answer))


@check_sigmoid_loss.mistake
def labels_0_and_1(*inputs):
    """labels of 0 and 1: the sigmoid loss needs +1 for the matching pairs (the diagonal) and −1 for every other
    pair, so that -log σ(label · logit) pushes the non-matching logits down."""
    z = logits(*inputs)
    return -F.logsigmoid(torch.eye(len(z)) * z).sum() / len(z)


@check_sigmoid_loss.mistake
def every_pair_a_match(*inputs):
    """every pair is labelled as a match: the label is +1 only on the diagonal (caption i with image i) and −1
    everywhere else. 2 * torch.eye(n) - 1 makes them."""
    z = logits(*inputs)
    return -F.logsigmoid(z).sum() / len(z)


@check_sigmoid_loss.mistake
def matching_pairs_only(*inputs):
    """you left out the non-matching pairs: the loss sums −log σ(label · logit) over all n² pairs, with label −1
    off the diagonal. Those pairs are what teaches the model to say no."""
    z = logits(*inputs)
    return -F.logsigmoid(z.diagonal()).sum() / len(z)


@check_sigmoid_loss.mistake
def mean_over_pairs(*inputs):
    """wrong scale: you averaged over all n² pairs. SigLIP sums the loss over the pairs of each caption and
    averages over the n captions: divide the total by n."""
    z = logits(*inputs)
    return -F.logsigmoid((2 * torch.eye(len(z)) - 1) * z).mean()


@check_sigmoid_loss.mistake
def not_divided_by_n(*inputs):
    """wrong scale: divide the total over all pairs by the batch size n."""
    return siglip_loss(*inputs) * len(inputs[0])


@check_sigmoid_loss.mistake
def softmax(*inputs):
    """that is CLIP's softmax loss (cross-entropy over each row and column). SigLIP treats every pair on its
    own: -log σ(label · logit), summed."""
    z = logits(*inputs)
    targets = torch.arange(len(z))
    return (F.cross_entropy(z, targets) + F.cross_entropy(z.T, targets)) / 2


@check_sigmoid_loss.mistake
def negative(*inputs):
    """your loss is negative: it is minus the sum of log σ(label · logit). Each log σ is below 0, so the minus
    sign makes the loss positive, and small when the pairs are right."""
    return -siglip_loss(*inputs)


@check_sigmoid_loss.mistake
def sign_inside(*inputs):
    """sign error inside: the loss of one pair is −log σ(label · logit), which is small when a matching pair
    has a large positive logit. Yours rewards the opposite."""
    return loss_from_logits(-logits(*inputs))  # −log σ(−label · logit)
