"""The exercise checkers (siglip_lib.exercises): right answers pass, classic mistakes get the right message.

The wrong answers here are written the way students write them, independently of the mistakes the checkers
keep (each lesson's solutions notebook writes its checker and runs it on its own mistakes). Each test asserts
the checker rejects the answer *and* names the mistake; a correct answer written another way passes.
"""

import json
import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from siglip_lib import exercises as ex
from siglip_lib.embeddings import patchify

ROOT = Path(__file__).resolve().parent.parent


def passes(checker, fn):
    result = checker(fn)
    assert result.passed, result.message
    assert result.message.startswith("✅ Correct")


def rejects(checker, fn, *phrases):
    result = checker(fn)
    assert not result.passed and not result, result.message
    assert result.message.startswith(("❌ Not yet", "⏳ Not written yet")), result.message
    for phrase in phrases:
        assert phrase in result.message, f"expected {phrase!r} in:\n{result.message}"
    return result


# --- notebook 01: patch embedding ------------------------------------------------------------------------

def pe_unfold(pixel_values, weight, bias):  # the straightforward answer
    b, c, h, w = pixel_values.shape
    p = weight.shape[-1]
    patches = pixel_values.unfold(2, p, p).unfold(3, p, p).permute(0, 2, 3, 1, 4, 5).reshape(b, -1, c * p * p)
    return patches @ weight.view(weight.shape[0], -1).t() + bias


def pe_einsum(pixel_values, weight, bias):  # another correct way
    p = weight.shape[-1]
    b, c, h, w = pixel_values.shape
    x = pixel_values.reshape(b, c, h // p, p, w // p, p)
    return torch.einsum("bcipjq,dcpq->bijd", x, weight).reshape(b, -1, weight.shape[0]) + bias


def test_patch_embedding_right_answers_pass():
    passes(ex.check_patch_embedding, pe_unfold)
    passes(ex.check_patch_embedding, pe_einsum)


def test_patch_embedding_classic_mistakes():
    def channels_last_first(pixel_values, weight, bias):
        return F.conv2d(pixel_values, weight, bias, stride=weight.shape[-1]).flatten(2)  # [B, D, N]

    def column_order(pixel_values, weight, bias):
        b, c, h, w = pixel_values.shape
        p = weight.shape[-1]
        grid = patchify(pixel_values, p).reshape(b, h // p, w // p, -1).transpose(1, 2)  # columns first
        return grid.reshape(b, -1, c * p * p) @ weight.reshape(weight.shape[0], -1).T + bias

    def pixels_channels_last(pixel_values, weight, bias):
        b, c, h, w = pixel_values.shape
        p = weight.shape[-1]
        x = pixel_values.permute(0, 2, 3, 1).reshape(b, h // p, p, w // p, p, c).permute(0, 1, 3, 2, 4, 5)
        return x.reshape(b, -1, p * p * c) @ weight.reshape(weight.shape[0], -1).T + bias  # (P, P, C) order

    def no_bias(pixel_values, weight, bias):
        return patchify(pixel_values, weight.shape[-1]) @ weight.reshape(weight.shape[0], -1).T

    def fixed_patch_size(pixel_values, weight, bias):
        return patchify(pixel_values, 16) @ weight.reshape(weight.shape[0], -1).T + bias  # 16 px, not P

    def forgot_weight_transpose(pixel_values, weight, bias):
        return patchify(pixel_values, weight.shape[-1]) @ weight.reshape(weight.shape[0], -1) + bias

    rejects(ex.check_patch_embedding, channels_last_first, "[B, D, N]", "transpose(1, 2)")
    rejects(ex.check_patch_embedding, column_order, "column by column", "row by row")
    rejects(ex.check_patch_embedding, pixels_channels_last, "channels last", "[C, P, P]")
    rejects(ex.check_patch_embedding, no_bias, "forgot the bias")

    def no_permute(pixel_values, weight, bias):
        b, c, h, w = pixel_values.shape
        p = weight.shape[-1]
        patches = pixel_values.unfold(2, p, p).unfold(3, p, p).reshape(b, -1, c * p * p)
        return patches @ weight.reshape(weight.shape[0], -1).T + bias

    rejects(ex.check_patch_embedding, no_permute, "without moving its axes", "permute(0, 2, 3, 1, 4, 5)")
    rejects(ex.check_patch_embedding, fixed_patch_size, "raised ValueError", "inputs: [2, 3, 16, 24]")
    rejects(ex.check_patch_embedding, forgot_weight_transpose, "raised RuntimeError", "hint:", ".T")


# --- notebook 02: position interpolation -----------------------------------------------------------------

def interp_right(table, height, width):
    side = math.isqrt(table.shape[0])
    grid = table.T.reshape(1, -1, side, side)  # [D, N] -> [1, D, side, side]: also right
    grid = F.interpolate(grid, size=(height, width), mode="bicubic", align_corners=False)
    return grid.flatten(2)[0].T


def test_position_interpolation():
    passes(ex.check_position_interpolation, interp_right)

    def make(swap=False, mode="bicubic", corners=False, reshape_in=False, batch=False):
        def student(table, height, width):
            side, dim = math.isqrt(table.shape[0]), table.shape[1]
            if reshape_in:
                grid = table.reshape(1, dim, side, side)  # mixes grid and channels
            else:
                grid = table.reshape(1, side, side, dim).permute(0, 3, 1, 2)
            size = (width, height) if swap else (height, width)
            grid = F.interpolate(grid, size=size, mode=mode, align_corners=corners)
            out = grid.permute(0, 2, 3, 1).reshape(1, -1, dim)
            return out if batch else out[0]
        return student

    rejects(ex.check_position_interpolation, make(swap=True), "height and width are swapped")
    rejects(ex.check_position_interpolation, make(mode="bilinear"), "mode='bicubic'")
    rejects(ex.check_position_interpolation, make(corners=True), "align_corners=False")
    rejects(ex.check_position_interpolation, make(reshape_in=True), "cannot move the channel axis")
    rejects(ex.check_position_interpolation, make(batch=True), "drop the batch dimension")

    def default_mode(table, height, width):
        side, dim = math.isqrt(table.shape[0]), table.shape[1]
        grid = F.interpolate(table.reshape(1, side, side, dim).permute(0, 3, 1, 2), size=(height, width))
        return grid.permute(0, 2, 3, 1).reshape(-1, dim)

    rejects(ex.check_position_interpolation, default_mode, "default mode is 'nearest'")

    def along_the_sequence(table, height, width):  # 1-D interpolation of the flat sequence
        return F.interpolate(table.T[None], size=height * width, mode="linear")[0].T

    rejects(ex.check_position_interpolation, along_the_sequence, "right shape", "other values", "things to check")


# --- notebook 03: attention and heads --------------------------------------------------------------------

def attention_right(query, key, value):
    weights = torch.softmax(query @ key.mT / math.sqrt(query.size(-1)), dim=-1)
    return weights @ value, weights


def attention_sdpa(query, key, value):
    weights = (query @ key.transpose(-2, -1) * query.shape[-1] ** -0.5).softmax(-1)
    return F.scaled_dot_product_attention(query, key, value), weights


def test_attention():
    passes(ex.check_attention, attention_right)
    passes(ex.check_attention, attention_sdpa)

    def student(scale=None, dim=-1, use_softmax=True):
        def attention(query, key, value):
            scores = query @ key.transpose(-2, -1)
            scores = scores / math.sqrt(query.shape[-1]) if scale is None else scores * scale(query.shape[-1])
            weights = torch.softmax(scores, dim=dim) if use_softmax else scores
            return weights @ value, weights
        return attention

    rejects(ex.check_attention, student(scale=lambda d: 1), "wrong scale", "not divided by √d")
    rejects(ex.check_attention, student(scale=lambda d: 1 / d), "wrong scale", "divided the scores by d")
    rejects(ex.check_attention, student(scale=lambda d: math.sqrt(d)), "wrong scale", "multiplied")
    rejects(ex.check_attention, student(dim=2), "softmax over the wrong axis", "dim=-1")
    rejects(ex.check_attention, student(use_softmax=False), "no softmax")
    rejects(ex.check_attention, student(dim=1), "sum to 1 over the keys", "yours do not")

    def forgot_key_transpose(query, key, value):
        weights = torch.softmax(query @ key / math.sqrt(query.shape[-1]), dim=-1)
        return weights @ value, weights

    def only_output(query, key, value):
        return attention_right(query, key, value)[0]

    def swapped(query, key, value):
        return attention_right(query, key, value)[::-1]

    rejects(ex.check_attention, forgot_key_transpose, "raised RuntimeError", "transpose(-1, -2)")
    rejects(ex.check_attention, only_output, "expected a tuple (output, weights)")
    rejects(ex.check_attention, swapped, "return (output, weights)")


def test_split_heads():
    B = lambda x: x.shape[0]  # noqa: E731
    passes(ex.check_split_heads, lambda x, h: x.view(B(x), x.shape[1], h, -1).permute(0, 2, 1, 3))
    passes(ex.check_split_heads, lambda x, h: torch.stack(x.chunk(h, dim=-1), dim=1))
    rejects(ex.check_split_heads, lambda x, h: x.view(B(x), h, x.shape[1], -1), "reshaped straight to [B, H, N, d]")
    rejects(ex.check_split_heads, lambda x, h: x.view(B(x), x.shape[1], h, -1), "missing transpose")
    rejects(ex.check_split_heads, lambda x, h: x.view(B(x), x.shape[1], -1, h).permute(0, 3, 1, 2),
            "block of d neighbouring channels")
    rejects(ex.check_split_heads, lambda x, h: x.unsqueeze(1).expand(-1, h, -1, -1), "wrong shape", "(2, 3, 5, 4)")


# --- notebook 04: MLP and encoder block ------------------------------------------------------------------

def test_mlp():
    passes(ex.check_mlp, lambda mlp, x: mlp.fc2(torch.nn.GELU(approximate="tanh")(mlp.fc1(x))))

    def formula(mlp, x):  # the tanh approximation written out
        h = mlp.fc1(x)
        return mlp.fc2(0.5 * h * (1 + torch.tanh(math.sqrt(2 / math.pi) * (h + 0.044715 * h**3))))

    passes(ex.check_mlp, formula)
    rejects(ex.check_mlp, lambda mlp, x: mlp.fc2(F.gelu(mlp.fc1(x))), "exact GELU", "approximate='tanh'")
    rejects(ex.check_mlp, lambda mlp, x: mlp.fc2(torch.relu(mlp.fc1(x))), "ReLU instead of GELU")
    rejects(ex.check_mlp, lambda mlp, x: mlp.fc2(mlp.fc1(x)), "no activation")
    rejects(ex.check_mlp, lambda mlp, x: F.gelu(mlp.fc1(x), approximate="tanh"), "apply mlp.fc2")


def block_right(block, x):
    x = x + block.self_attn(block.layer_norm1(x))[0]
    return x + block.mlp(block.layer_norm2(x))


def test_encoder_block():
    passes(ex.check_encoder_block, block_right)

    def no_attention_residual(block, x):
        h = block.self_attn(block.layer_norm1(x))[0]
        return h + block.mlp(block.layer_norm2(h))

    def no_mlp_residual(block, x):
        x = x + block.self_attn(block.layer_norm1(x))[0]
        return block.mlp(block.layer_norm2(x))

    def post_ln(block, x):
        x = block.layer_norm1(x + block.self_attn(x)[0])
        return block.layer_norm2(x + block.mlp(x))

    def one_norm(block, x):
        x = x + block.self_attn(block.layer_norm1(x))[0]
        return x + block.mlp(block.layer_norm1(x))

    def normalised_residual(block, x):
        x = block.layer_norm1(x)
        x = x + block.self_attn(x)[0]
        x = block.layer_norm2(x)
        return x + block.mlp(x)

    def forgot_index(block, x):
        x = x + block.self_attn(block.layer_norm1(x))  # a tuple
        return x + block.mlp(block.layer_norm2(x))

    def parallel(block, x):
        return x + block.self_attn(block.layer_norm1(x))[0] + block.mlp(block.layer_norm2(x))

    rejects(ex.check_encoder_block, no_attention_residual, "forgot the residual around attention")
    rejects(ex.check_encoder_block, no_mlp_residual, "forgot the residual around the MLP")
    rejects(ex.check_encoder_block, post_ln, "post-LN", "pre-LN")
    rejects(ex.check_encoder_block, one_norm, "layer_norm1 twice", "layer_norm2")
    rejects(ex.check_encoder_block, normalised_residual, "the residual carries LN(x)")
    rejects(ex.check_encoder_block, forgot_index, "raised TypeError", "returns a pair (output, weights): take [0]")
    rejects(ex.check_encoder_block, parallel, "the MLP sees the block's input")

    def swapped_norms(block, x):
        x = x + block.self_attn(block.layer_norm2(x))[0]
        return x + block.mlp(block.layer_norm1(x))

    def mlp_first(block, x):
        x = x + block.mlp(block.layer_norm2(x))
        return x + block.self_attn(block.layer_norm1(x))[0]

    def gelu_after_the_sum(block, x):  # an unnamed mistake: the generic message, with hints
        x = x + block.self_attn(block.layer_norm1(x))[0]
        return F.gelu(x + block.mlp(block.layer_norm2(x)))

    rejects(ex.check_encoder_block, swapped_norms, "LayerNorms are swapped")
    rejects(ex.check_encoder_block, mlp_first, "the MLP runs before attention")
    rejects(ex.check_encoder_block, gelu_after_the_sum, "other values", "things to check", "an EncoderBlock")


# --- notebook 05: MAP head -------------------------------------------------------------------------------

def map_right(head, x):
    probe = head.probe.repeat(x.size(0), 1, 1)
    h, _ = head.attention(probe, context=x)
    h = h + head.mlp(head.layernorm(h))
    return h.squeeze(1)


def test_map_head():
    passes(ex.check_map_head, map_right)

    def mean_pool(head, x):
        h = x.mean(dim=1)
        return h + head.mlp(head.layernorm(h))

    def no_layernorm(head, x):
        h = head.attention(head.probe.expand(len(x), -1, -1), context=x)[0]
        return (h + head.mlp(h))[:, 0]

    def no_residual(head, x):
        h = head.attention(head.probe.expand(len(x), -1, -1), context=x)[0]
        return head.mlp(head.layernorm(h))[:, 0]

    def kept_axis(head, x):
        h = head.attention(head.probe.expand(len(x), -1, -1), context=x)[0]
        return h + head.mlp(head.layernorm(h))

    def not_expanded(head, x):  # right too: the attention broadcasts a probe of batch 1 over the images
        h = head.attention(head.probe, context=x)[0]
        return (h + head.mlp(head.layernorm(h)))[:, 0]

    rejects(ex.check_map_head, mean_pool, "averaged the tokens", "probe")
    rejects(ex.check_map_head, no_layernorm, "forgot head.layernorm")
    rejects(ex.check_map_head, no_residual, "forgot the residual around the MLP")
    rejects(ex.check_map_head, kept_axis, "[B, 1, D]", "h[:, 0]")
    passes(ex.check_map_head, not_expanded)
    rejects(ex.check_map_head, lambda head, x: x[:, 0], "right shape", "other values")


# --- notebook 06: the logits of the two towers -----------------------------------------------------------

def logits_right(image_embeds, text_embeds, logit_scale, logit_bias):
    image_embeds = image_embeds / image_embeds.norm(dim=-1, keepdim=True)
    text_embeds = text_embeds / text_embeds.norm(dim=-1, keepdim=True)
    return logit_scale.exp() * text_embeds @ image_embeds.t() + logit_bias


def logits_cosine(image_embeds, text_embeds, logit_scale, logit_bias):  # another correct way
    cosines = F.cosine_similarity(text_embeds[:, None], image_embeds[None], dim=-1)  # [n_texts, n_images]
    return math.exp(logit_scale.item()) * cosines + logit_bias.item()


def test_logits():
    passes(ex.check_logits, logits_right)
    passes(ex.check_logits, logits_cosine)

    def student(dim=-1, exp=True, bias="after", per_image=False):
        def logits(image_embeds, text_embeds, logit_scale, logit_bias):
            if dim is not None:
                image_embeds, text_embeds = F.normalize(image_embeds, dim=dim), F.normalize(text_embeds, dim=dim)
            t = logit_scale.exp() if exp else logit_scale
            cosines = image_embeds @ text_embeds.T if per_image else text_embeds @ image_embeds.T
            if bias == "inside":
                return t * (cosines + logit_bias)
            return t * cosines + (logit_bias if bias == "after" else 0)
        return logits

    rejects(ex.check_logits, student(dim=None), "not normalised")
    rejects(ex.check_logits, student(dim=0), "normalised over the batch (dim 0)")
    rejects(ex.check_logits, student(exp=False), "wrong scale", "logit_scale.exp()")
    rejects(ex.check_logits, student(bias=None), "forgot the bias")
    rejects(ex.check_logits, student(bias="inside"), "inside the scale")
    rejects(ex.check_logits, student(per_image=True), "logits_per_image", "the transpose")

    def half_normalised(image_embeds, text_embeds, logit_scale, logit_bias):
        image_embeds = image_embeds / image_embeds.norm(dim=1, keepdim=True)
        return text_embeds @ image_embeds.T * logit_scale.exp() + logit_bias

    def no_scale(image_embeds, text_embeds, logit_scale, logit_bias):  # unnamed: the generic message
        return F.normalize(text_embeds, dim=-1) @ F.normalize(image_embeds, dim=-1).T + logit_bias

    def matching_pairs_only(image_embeds, text_embeds, logit_scale, logit_bias):  # unnamed: a wrong shape
        return logits_right(image_embeds, text_embeds, logit_scale, logit_bias).diagonal()

    rejects(ex.check_logits, half_normalised, "only the image vectors are normalised")
    rejects(ex.check_logits, no_scale, "right shape", "other values", "text_embeds=[3, 8]", "logit_scale=1.2")
    rejects(ex.check_logits, matching_pairs_only, "wrong shape", "[n_texts, n_images] = (3, 5)")


# --- notebook 07: the sigmoid loss -----------------------------------------------------------------------

def loss_paper(image_embeds, text_embeds, logit_scale, logit_bias):  # the paper's pseudocode
    zimg = F.normalize(image_embeds, dim=-1)
    ztxt = F.normalize(text_embeds, dim=-1)
    logits = zimg @ ztxt.T * logit_scale.exp() + logit_bias  # image rows: the sum is the same
    labels = 2 * torch.eye(len(logits)) - 1
    return -torch.sum(F.logsigmoid(labels * logits)) / len(logits)


def loss_bce(image_embeds, text_embeds, logit_scale, logit_bias, reduction="sum"):
    image_embeds = image_embeds / image_embeds.norm(dim=-1, keepdim=True)
    text_embeds = text_embeds / text_embeds.norm(dim=-1, keepdim=True)
    logits = text_embeds @ image_embeds.T * logit_scale.exp() + logit_bias
    loss = F.binary_cross_entropy_with_logits(logits, torch.eye(len(logits)), reduction=reduction)
    return loss / len(logits) if reduction == "sum" else loss


def test_sigmoid_loss():
    passes(ex.check_sigmoid_loss, loss_paper)
    passes(ex.check_sigmoid_loss, loss_bce)  # binary cross-entropy with 0/1 targets is the same loss

    def student(normalize=True, exp=True, bias=True, labels="pm1"):
        def loss(image_embeds, text_embeds, logit_scale, logit_bias):
            if normalize:
                image_embeds, text_embeds = F.normalize(image_embeds, dim=1), F.normalize(text_embeds, dim=1)
            logits = text_embeds @ image_embeds.T * (logit_scale.exp() if exp else logit_scale)
            logits = logits + logit_bias if bias else logits
            n = len(logits)
            z = {"pm1": 2 * torch.eye(n) - 1, "01": torch.eye(n)}[labels]
            return -F.logsigmoid(z * logits).sum() / n
        return loss

    rejects(ex.check_sigmoid_loss, student(normalize=False), "not normalised")
    rejects(ex.check_sigmoid_loss, student(exp=False), "wrong scale", "logit_scale.exp()")
    rejects(ex.check_sigmoid_loss, student(bias=False), "forgot the bias")
    rejects(ex.check_sigmoid_loss, student(labels="01"), "labels of 0 and 1", "−1")
    rejects(ex.check_sigmoid_loss, lambda *a: loss_bce(*a, reduction="mean"), "wrong scale", "all n² pairs")

    def clip(image_embeds, text_embeds, logit_scale, logit_bias):
        logits = F.normalize(text_embeds, dim=-1) @ F.normalize(image_embeds, dim=-1).T * logit_scale.exp()
        targets = torch.arange(len(logits))
        return (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2

    rejects(ex.check_sigmoid_loss, clip, "CLIP's softmax loss")
    rejects(ex.check_sigmoid_loss, lambda *a: -loss_paper(*a), "your loss is negative")
    passes(ex.check_sigmoid_loss, lambda *a: loss_paper(*a).reshape(1))  # one number, whatever its shape

    def per_caption(image_embeds, text_embeds, logit_scale, logit_bias):  # forgot to reduce over captions
        logits = F.normalize(text_embeds, dim=-1) @ F.normalize(image_embeds, dim=-1).T * logit_scale.exp()
        labels = 2 * torch.eye(len(logits)) - 1
        return -F.logsigmoid(labels * (logits + logit_bias)).sum(dim=1)

    def matching_only(image_embeds, text_embeds, logit_scale, logit_bias):
        logits = F.normalize(text_embeds, dim=-1) @ F.normalize(image_embeds, dim=-1).T * logit_scale.exp()
        return -F.logsigmoid(logits.diagonal() + logit_bias).sum() / len(logits)

    def bias_twice(image_embeds, text_embeds, logit_scale, logit_bias):  # unnamed: both numbers are shown
        return loss_paper(image_embeds, text_embeds, logit_scale, 2 * logit_bias)

    rejects(ex.check_sigmoid_loss, per_caption, "wrong shape", "logit_bias=-1.5")
    rejects(ex.check_sigmoid_loss, matching_only, "left out the non-matching pairs")
    result = rejects(ex.check_sigmoid_loss, bias_twice, "the right value is")
    assert "wrong scale" not in result.message


# --- notebook 08: schedule and training step -------------------------------------------------------------

def lr_right(step, steps, warmup_steps, peak_lr):
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    t = (step - warmup_steps) / (steps - warmup_steps)
    return peak_lr * (1 + math.cos(math.pi * t)) / 2


def test_lr_schedule():
    passes(ex.check_lr_schedule, lr_right)

    def from_zero(step, steps, warmup_steps, peak_lr):
        return peak_lr * step / warmup_steps if step < warmup_steps else lr_right(step, steps, warmup_steps, peak_lr)

    def no_warmup(step, steps, warmup_steps, peak_lr):
        return lr_right(step, steps, 0, peak_lr)

    def cosine_from_start(step, steps, warmup_steps, peak_lr):
        if step < warmup_steps:
            return peak_lr * (step + 1) / warmup_steps
        return peak_lr * 0.5 * (1 + math.cos(math.pi * step / steps))

    def linear(step, steps, warmup_steps, peak_lr):
        if step < warmup_steps:
            return peak_lr * (step + 1) / warmup_steps
        return peak_lr * (1 - (step - warmup_steps) / (steps - warmup_steps))

    def forgot_return(step, steps, warmup_steps, peak_lr):
        lr_right(step, steps, warmup_steps, peak_lr)

    rejects(ex.check_lr_schedule, from_zero, "off by one", "(step + 1)")
    rejects(ex.check_lr_schedule, no_warmup, "no warm-up")
    rejects(ex.check_lr_schedule, cosine_from_start, "start after the warm-up")
    rejects(ex.check_lr_schedule, linear, "straight line")
    rejects(ex.check_lr_schedule, forgot_return, "returned None", "forget `return`")

    def cosine_one_step_late(step, steps, warmup_steps, peak_lr):  # unnamed: the first wrong step is named
        if step <= warmup_steps:
            return peak_lr * min(step + 1, warmup_steps) / warmup_steps
        return lr_right(step - 1, steps, warmup_steps, peak_lr)

    rejects(ex.check_lr_schedule, cosine_one_step_late, "the rate of step", "warm-up ends after step 9",
            "steps=100, warmup_steps=10")


def student_step(*calls):
    """A student's train_step: the forward with the loss, then these calls in this order, then the loss."""
    def train_step(model, optimizer, pixel_values, input_ids):
        loss = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True).loss
        for call in calls:
            {"zero_grad": optimizer.zero_grad, "backward": loss.backward, "step": optimizer.step}[call]()
        return loss.item()
    return train_step


step_right = student_step("zero_grad", "backward", "step")


def test_train_step():
    passes(ex.check_train_step, step_right)

    def returns_tensor(model, optimizer, pixel_values, input_ids):
        optimizer.zero_grad(set_to_none=False)
        from siglip_lib.loss import sigmoid_loss

        loss = sigmoid_loss(model(pixel_values=pixel_values, input_ids=input_ids).logits_per_text)
        loss.backward()
        optimizer.step()
        return loss  # a tensor: fine too

    passes(ex.check_train_step, returns_tensor)

    def under_no_grad(model, optimizer, pixel_values, input_ids):
        with torch.no_grad():
            loss = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True).loss
        loss.backward()
        optimizer.step()
        return loss.item()

    rejects(ex.check_train_step, student_step("backward", "step"), "forgot optimizer.zero_grad()")
    rejects(ex.check_train_step, student_step("backward", "zero_grad", "step"), "the weights did not change",
            "no optimizer.zero_grad() between")
    rejects(ex.check_train_step, student_step("zero_grad", "backward"), "the weights did not change")
    rejects(ex.check_train_step, under_no_grad, "raised RuntimeError", "no torch.no_grad()")

    def returns_output(model, optimizer, pixel_values, input_ids):
        out = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
        step_right(model, optimizer, pixel_values, input_ids)
        return out

    def forgot_return(model, optimizer, pixel_values, input_ids):
        step_right(model, optimizer, pixel_values, input_ids)

    def clipped(model, optimizer, pixel_values, input_ids):  # unnamed: a short, readable generic message
        loss = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.01)
        optimizer.step()
        return loss.item()

    rejects(ex.check_train_step, returns_output, "returned a SigLipOutput", "loss.item()")
    rejects(ex.check_train_step, forgot_return, "returned None")
    result = rejects(ex.check_train_step, clipped, "losses has the right shape", "batches=3 × ([4, 3, 16, 16], [4, 4])")
    assert len(result.message) < 800


# --- the engine ------------------------------------------------------------------------------------------

def test_not_started_not_callable_and_display():
    def attention(query, key, value):
        raise NotImplementedError

    rejects(ex.check_attention, attention, "Not written yet", "attention still raises NotImplementedError")
    q = torch.randn(1, 1, 2, 4)
    rejects(ex.check_attention, attention_right(q, q, q), "pass your function itself", "got a tuple")
    result = ex.check_split_heads(lambda x, h: x.view(x.shape[0], x.shape[1], h, -1).transpose(1, 2))
    assert bool(result) and str(result) == result.message
    from IPython.lib.pretty import pretty

    assert pretty(result) == result.message  # what Jupyter shows for a bare check_...(f)


def test_checkers_leave_the_callers_random_state_alone():
    torch.manual_seed(123)
    state = torch.get_rng_state()
    ex.check_encoder_block(block_right)
    ex.check_train_step(step_right)
    assert torch.equal(state, torch.get_rng_state())


def test_every_mistake_a_checker_knows_is_caught_with_its_own_message():
    for checkers in ex.CHECKERS.values():
        for checker in checkers:
            passes(checker, checker.reference)
            for mistake in checker.mistakes:
                assert checker(mistake.answer).message == f"❌ Not yet: {mistake.message}"


# --- the notebooks use them ------------------------------------------------------------------------------

def _code(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [("".join(c["source"]), c) for c in cells if c["cell_type"] == "code"]


@pytest.mark.parametrize("notebook", sorted(ex.CHECKERS))
def test_each_lesson_ends_with_its_exercises_and_each_solution_passes(notebook):
    lesson = _code(ROOT / "notebooks" / f"{notebook}.ipynb")
    for checker in ex.CHECKERS[notebook]:
        name = next(k for k, v in vars(ex).items() if v is checker)
        cells = [(src, c) for src, c in lesson if f"{name}(" in src]
        assert cells, f"{notebook} has no exercise cell calling {name}"
        src, cell = cells[0]
        assert "raise NotImplementedError" in src, "the exercise cell is left for the student"
        shown = "".join(o.get("text", "") + "".join(o.get("data", {}).get("text/plain", ""))
                        for o in cell["outputs"])
        assert "Not written yet" in shown, f"{notebook}'s stored output of {name}: {shown!r}"
        solution = _code(ROOT / "notebooks" / "solutions" / f"{notebook}.ipynb")
        assert any(f"{name}(" in s and "assert" in s for s, _ in solution), f"no checked solution for {name}"
    last_code = max(i for i, (src, _) in enumerate(lesson) if "siglip_lib.exercises" in src or "check_" in src)
    assert last_code >= len(lesson) - 3, f"{notebook}: the exercises should close the notebook"
