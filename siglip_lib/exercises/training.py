# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/08_training.ipynb and run `python tools/export.py`.

import math

import torch
import torch.nn.functional as F

from siglip_lib import SigLipConfig, SigLipModel, SigLipTextConfig, SigLipVisionConfig
from siglip_lib.exercises.engine import RTOL, ATOL, Checker, WrongReturn, seeded


def lr_schedule(step, steps, warmup_steps, peak_lr):
    """The learning rate (a float) of step 0, 1, ..., steps - 1."""
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    progress = (step - warmup_steps) / (steps - warmup_steps)
    return peak_lr * 0.5 * (1 + math.cos(math.pi * progress))


def _every_step(fn, inputs):  # what the checker compares: the rate of every step
    rates = [fn(step, *inputs) for step in range(inputs[0])]
    if any(rate is None for rate in rates):
        raise WrongReturn("your function returned None instead of a rate: did you forget `return`?")
    return torch.tensor([float(rate) for rate in rates])


def _first_wrong_step(got, want):  # what the rates can tell: the first step that differs
    rates, right = got[0], want[0]
    if rates.shape != right.shape:
        return None
    step = int((~torch.isclose(rates, right, rtol=RTOL, atol=ATOL)).nonzero()[0])
    return (f"the rate of step {step} is {rates[step].item():.6g}, the right one is {right[step].item():.6g} "
            f"(for steps={len(right)}, the warm-up ends after step {int(right.argmax())})")


check_lr_schedule = Checker(
    "lr_schedule(step, steps, warmup_steps, peak_lr) -> the learning rate of that step", lr_schedule,
    [lambda: (100, 10, 1e-3), lambda: (37, 5, 0.5)], outputs={"rates": "one rate per step [steps]"},
    arg_names=("steps", "warmup_steps", "peak_lr"), call=_every_step, explain=_first_wrong_step,
    hints=["during the warm-up: peak_lr · (step + 1) / warmup_steps",
           "after it: progress = (step − warmup_steps) / (steps − warmup_steps), "
           "rate = peak_lr · ½ · (1 + cos(π · progress))"])


@check_lr_schedule.mistake
def no_warmup(step, steps, warmup_steps, peak_lr):
    """no warm-up: for the first warmup_steps steps the rate must climb in a straight line,
    peak_lr · (step + 1) / warmup_steps."""
    return peak_lr * 0.5 * (1 + math.cos(math.pi * step / steps))


@check_lr_schedule.mistake
def warmup_from_zero(step, steps, warmup_steps, peak_lr):
    """off by one in the warm-up: your step 0 gets a rate of 0, which wastes a step. Use
    peak_lr · (step + 1) / warmup_steps, which reaches peak_lr at step warmup_steps − 1."""
    if step < warmup_steps:
        return peak_lr * step / warmup_steps
    return lr_schedule(step, steps, warmup_steps, peak_lr)


@check_lr_schedule.mistake
def cosine_over_all_steps(step, steps, warmup_steps, peak_lr):
    """the cosine must start after the warm-up: progress = (step − warmup_steps) / (steps − warmup_steps),
    which goes from 0 to almost 1."""
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return peak_lr * 0.5 * (1 + math.cos(math.pi * step / steps))


@check_lr_schedule.mistake
def plain_cosine(step, steps, warmup_steps, peak_lr):
    """the rate goes negative: a half cosine from peak_lr to 0 is peak_lr · ½ · (1 + cos(π · progress))."""
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return peak_lr * math.cos(math.pi * (step - warmup_steps) / (steps - warmup_steps))


@check_lr_schedule.mistake
def linear_decay(step, steps, warmup_steps, peak_lr):
    """that decay is a straight line: the schedule follows a half cosine, peak_lr · ½ · (1 + cos(π · progress)),
    slow at first, then faster, then slow again near 0."""
    if step < warmup_steps:
        return peak_lr * (step + 1) / warmup_steps
    return peak_lr * (1 - (step - warmup_steps) / (steps - warmup_steps))


def train_step(model, optimizer, pixel_values, input_ids):
    """One optimisation step on one batch; returns the loss (a float)."""
    loss = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True).loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def tiny_model():  # two towers of one block each, D = 16, 16 x 16 images, captions of 4 tokens from 10 words
    text = SigLipTextConfig(vocab_size=10, embed_dim=16, max_position_embeddings=4, num_attention_heads=2,
                            num_encoder_blocks=1, mlp_hidden_dim=32, pad_token_id=0)
    vision = SigLipVisionConfig(embed_dim=16, image_size=16, patch_size=8, num_attention_heads=2,
                                num_encoder_blocks=1, mlp_hidden_dim=32)
    return SigLipModel(SigLipConfig(text_config=text, vision_config=vision))


def _three_steps(fn, inputs):  # what the checker compares: the three losses, and every weight after them
    seed, batches = inputs
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = tiny_model().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for pixel_values, input_ids in batches:
        loss = fn(model, optimizer, pixel_values.clone(), input_ids.clone())
        if not isinstance(loss, (int, float)) and not (isinstance(loss, torch.Tensor) and loss.numel() == 1):
            shown = (f"a tensor of shape {list(loss.shape)}" if isinstance(loss, torch.Tensor)
                     else "None" if loss is None else f"a {type(loss).__name__}")
            raise WrongReturn(f"your function returned {shown}: return the loss, one number (loss.item())")
        losses.append(float(torch.as_tensor(loss).detach()))
    return torch.tensor(losses), torch.cat([p.detach().flatten() for p in model.parameters()])


def _batches():  # three batches of 4 random images and captions
    return [(torch.randn(4, 3, 16, 16), torch.randint(1, 10, (4, 4))) for _ in range(3)]


check_train_step = Checker(
    "train_step(model, optimizer, pixel_values, input_ids) -> the loss, after one optimisation step", train_step,
    [seeded(17, lambda: (17, _batches()))],
    outputs={"losses": "one loss per step", "weights": "every weight after three steps"},
    arg_names=("seed", "batches"), call=_three_steps,
    hints=["loss = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True).loss",
           "optimizer.zero_grad(); loss.backward(); optimizer.step(); return loss.item()"],
    error_hints=[("does not require grad", "compute the loss with gradients on: no torch.no_grad() and no "
                                           ".detach() before loss.backward()")])


@check_train_step.mistake
def zero_grad_after_backward(model, optimizer, pixel_values, input_ids):
    """the weights did not change: gradients must exist when optimizer.step() runs. Call loss.backward(), then
    optimizer.step(), with no optimizer.zero_grad() between them (clear the old gradients before backward)."""
    loss = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True).loss
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    return loss.item()


@check_train_step.mistake
def no_zero_grad(model, optimizer, pixel_values, input_ids):
    """forgot optimizer.zero_grad(): PyTorch adds new gradients to the old ones, so from the second step on
    each update mixes in earlier batches."""
    loss = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True).loss
    loss.backward()
    optimizer.step()
    return loss.item()


@check_train_step.mistake
def softmax_loss(model, optimizer, pixel_values, input_ids):
    """that is CLIP's softmax loss: this series trains with the sigmoid loss,
    model(pixel_values=..., input_ids=..., return_loss=True).loss."""
    logits = model(pixel_values=pixel_values, input_ids=input_ids).logits_per_text
    targets = torch.arange(len(logits))
    loss = (F.cross_entropy(logits, targets) + F.cross_entropy(logits.T, targets)) / 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
