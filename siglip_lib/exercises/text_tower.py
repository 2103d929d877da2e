# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/06_text_tower.ipynb and run `python tools/export.py`.

import torch
import torch.nn.functional as F

from siglip_lib.exercises.engine import Checker, seeded


def logits(image_embeds, text_embeds, logit_scale, logit_bias):
    """image_embeds [n_images, D] and text_embeds [n_texts, D], not normalised; logit_scale t′ and logit_bias b
    -> logits_per_text [n_texts, n_images] = t · cosine + b, with t = exp(t′)."""
    image_embeds = F.normalize(image_embeds, dim=-1)  # each vector of length 1
    text_embeds = F.normalize(text_embeds, dim=-1)
    return text_embeds @ image_embeds.T * logit_scale.exp() + logit_bias  # row i: caption i against every image


check_logits = Checker(
    "logits(image_embeds [n_images, D], text_embeds [n_texts, D], logit_scale t′, logit_bias b) -> "
    "logits_per_text [n_texts, n_images], t · cosine + b", logits,
    [seeded(18, lambda: (3 * torch.randn(5, 8), 2 * torch.randn(3, 8), torch.tensor([1.2]), torch.tensor([-1.5]))),
     seeded(19, lambda: (torch.randn(4, 6), 4 * torch.randn(7, 6), torch.tensor([10.0]).log(), torch.tensor([-10.0])))],
    outputs={"logits_per_text": "[n_texts, n_images]"},
    arg_names=("image_embeds", "text_embeds", "logit_scale", "logit_bias"),
    hints=["F.normalize(x, dim=-1) divides each vector by its length",
           "logits = text_embeds @ image_embeds.T * t + b, with t = logit_scale.exp()"])


@check_logits.mistake
def not_normalised(image_embeds, text_embeds, logit_scale, logit_bias):
    """the vectors are not normalised: divide each one by its length, F.normalize(x, dim=-1), so that their dot
    products are cosines."""
    return text_embeds @ image_embeds.T * logit_scale.exp() + logit_bias


@check_logits.mistake
def normalised_over_the_batch(image_embeds, text_embeds, logit_scale, logit_bias):
    """you normalised over the batch (dim 0): normalise each vector over its D entries, dim=-1."""
    return not_normalised(F.normalize(image_embeds, dim=0), F.normalize(text_embeds, dim=0), logit_scale, logit_bias)


@check_logits.mistake
def only_images_normalised(image_embeds, text_embeds, logit_scale, logit_bias):
    """only the image vectors are normalised: a dot product with a raw caption vector is not a cosine.
    Normalise text_embeds too."""
    return not_normalised(F.normalize(image_embeds, dim=-1), text_embeds, logit_scale, logit_bias)


@check_logits.mistake
def only_texts_normalised(image_embeds, text_embeds, logit_scale, logit_bias):
    """only the caption vectors are normalised: a dot product with a raw image vector is not a cosine.
    Normalise image_embeds too."""
    return not_normalised(image_embeds, F.normalize(text_embeds, dim=-1), logit_scale, logit_bias)


@check_logits.mistake
def no_exp(image_embeds, text_embeds, logit_scale, logit_bias):
    """wrong scale: logit_scale is stored as a log (t′); the temperature is t = logit_scale.exp()."""
    cosines = F.normalize(text_embeds, dim=-1) @ F.normalize(image_embeds, dim=-1).T
    return cosines * logit_scale + logit_bias


@check_logits.mistake
def no_bias(image_embeds, text_embeds, logit_scale, logit_bias):
    """forgot the bias: logits = t · cosine + b."""
    return logits(image_embeds, text_embeds, logit_scale, torch.zeros_like(logit_bias))


@check_logits.mistake
def bias_inside_the_scale(image_embeds, text_embeds, logit_scale, logit_bias):
    """the bias is inside the scale: t · (cosine + b) multiplies b by t too. Add b after scaling the cosines:
    t · cosine + b."""
    cosines = F.normalize(text_embeds, dim=-1) @ F.normalize(image_embeds, dim=-1).T
    return (cosines + logit_bias) * logit_scale.exp()


@check_logits.mistake
def logits_per_image(image_embeds, text_embeds, logit_scale, logit_bias):
    """you returned logits_per_image [n_images, n_texts], the transpose: row i must be caption i against every
    image, text_embeds @ image_embeds.T."""
    return logits(image_embeds, text_embeds, logit_scale, logit_bias).T
