# GENERATED FILE, DO NOT EDIT: edit notebooks/07_training.ipynb and run `python tools/export.py`.

import argparse
import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from siglip_lib.config import SigLipVisionConfig
from siglip_lib.loss import sigmoid_loss, softmax_loss
from siglip_lib.model import SigLipConfig, SigLipModel
from siglip_lib.preprocess import preprocess
from siglip_lib.shapes import CLASS_NAMES, HELD_OUT_SEED, IMAGE_SIZE, make_shapes
from siglip_lib.text import SigLipTextConfig, WordTokenizer


def shapes_tokenizer() -> WordTokenizer:
    """The 9 words of the shapes captions (plus <pad> and <eos>); captions are padded to 5 tokens."""
    words = ["a"] + sorted({word for name in CLASS_NAMES for word in name.split()})
    return WordTokenizer(words, max_length=5)


def tiny_siglip(loss: str = "sigmoid", seed: int = 0) -> SigLipModel:
    """A small SigLipModel for the shapes data (about 0.8 M parameters), with its tokenizer attached.

    loss="softmax" starts the temperature at CLIP's 1/0.07 instead of SigLIP's 10."""
    tokenizer = shapes_tokenizer()
    width = 96
    text = SigLipTextConfig(vocab_size=len(tokenizer), embed_dim=width, max_position_embeddings=tokenizer.max_length,
                            num_attention_heads=3, num_encoder_blocks=2, mlp_hidden_dim=4 * width,
                            pad_token_id=tokenizer.pad_token_id)
    vision = SigLipVisionConfig(embed_dim=width, image_size=IMAGE_SIZE, patch_size=8, num_attention_heads=3,
                                num_encoder_blocks=4, mlp_hidden_dim=4 * width)
    config = SigLipConfig(text, vision)
    if loss == "softmax":
        config.logit_scale_init = math.log(1 / 0.07)
    torch.manual_seed(seed)
    model = SigLipModel(config)
    model.tokenizer = tokenizer
    return model


@dataclass
class TrainConfig:
    steps: int = 2500
    batch_size: int = 16  # one image of every class: no false negatives in the loss
    lr: float = 1e-3  # peak learning rate, after warm-up
    warmup_steps: int = 250
    weight_decay: float = 0.05
    grad_clip: float = 1.0
    loss: str = "sigmoid"  # or "softmax" (CLIP)
    seed: int = 0  # weights and training images; held-out images use HELD_OUT_SEED


def lr_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up to config.lr, then cosine decay to 0."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.lr * 0.5 * (1 + math.cos(math.pi * progress))


def train(model: SigLipModel, config: TrainConfig, progress: bool = True, eval_every: int = 250) -> dict:
    """Train in place on fresh make_shapes batches. Returns the history: the loss of every step, the zero-shot
    accuracy on 200 held-out images every eval_every steps (0: never), and the training time in seconds
    (evaluation excluded)."""
    if config.loss not in ("sigmoid", "softmax"):
        raise ValueError(f"loss must be 'sigmoid' or 'softmax', got {config.loss!r}")
    if not 2 <= config.batch_size <= len(CLASS_NAMES):
        raise ValueError(f"batch_size must be 2 to {len(CLASS_NAMES)}: a batch holds images of distinct classes "
                         f"(no false negatives), got {config.batch_size}")
    device = next(model.parameters()).device
    loss_fn = sigmoid_loss if config.loss == "sigmoid" else softmax_loss
    decay = [p for p in model.parameters() if p.dim() >= 2]  # matrices decay; biases, norms, t, b do not
    rest = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": config.weight_decay},
                                   {"params": rest, "weight_decay": 0.0}], lr=config.lr)
    from tqdm.auto import tqdm

    monitor = make_shapes(200, seed=HELD_OUT_SEED)  # the first 200 of held_out_accuracy's 500 images
    model.train()
    losses, accuracy, evaluating = [], [], 0.0
    start = time.perf_counter()
    bar = tqdm(range(config.steps), desc=f"training ({config.loss} loss)", disable=not progress, mininterval=1)
    for step in bar:
        batch = make_shapes(config.batch_size, seed=[config.seed, step, 1], distinct_classes=True)
        pixel_values = preprocess(batch.images, size=IMAGE_SIZE).to(device)
        input_ids = model.tokenizer(batch.captions).to(device)
        logits = model(pixel_values=pixel_values, input_ids=input_ids).logits_per_text
        loss = loss_fn(logits)
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step, config)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        optimizer.step()
        losses.append(loss.item())
        if step % 50 == 0:
            bar.set_postfix(loss=f"{sum(losses[-50:]) / len(losses[-50:]):.3f}")
        if eval_every and ((step + 1) % eval_every == 0 or step + 1 == config.steps):
            tick = time.perf_counter()
            accuracy.append((step + 1, _accuracy(model, monitor)))
            evaluating += time.perf_counter() - tick
    model.eval()
    return {"loss": losses, "accuracy": accuracy, "seconds": time.perf_counter() - start - evaluating,
            "config": asdict(config)}


@torch.no_grad()
def zero_shot(model: SigLipModel, images, captions, batch_size: int = 250) -> torch.Tensor:
    """For each image, the index of the caption that fits it best [n_images]. Captions go through the model's
    own tokenizer (the word tokenizer of a tiny model, transformers' with padding="max_length" otherwise)."""
    if model.tokenizer is None:
        raise ValueError("this model has no tokenizer: load it with SigLipModel.from_pretrained, or set "
                         "model.tokenizer to a function from captions to input_ids")
    if isinstance(captions, str) or not len(captions):
        raise ValueError(f"expected a list of candidate captions, got {captions!r}")
    was_training = model.training
    model.eval()
    first = next(model.parameters())
    text = model.embed_texts(model.tokenizer(list(captions)).to(first.device))  # [C, D]
    images = list(images) if isinstance(images, (list, tuple)) else [images]
    best = []
    for i in range(0, len(images), batch_size):
        pixel_values = preprocess(images[i:i + batch_size], size=model.config.vision_config.image_size)
        scores = model.embed_images(pixel_values.to(first.device, first.dtype)) @ text.t()  # [b, C]
        best.append(scores.argmax(dim=-1).cpu())
    model.train(was_training)
    return torch.cat(best)


def held_out_accuracy(model: SigLipModel, n: int = 500) -> float:
    """Zero-shot top-1 accuracy on n held-out shapes images, one caption per class as the candidates."""
    return _accuracy(model, make_shapes(n, seed=HELD_OUT_SEED))


def _accuracy(model, data) -> float:
    predicted = zero_shot(model, data.images, [f"a {name}" for name in data.class_names])
    return (predicted == torch.tensor(data.labels)).float().mean().item()


def main(argv=None) -> int:
    """python -m siglip_lib.train: train the tiny SigLIP; save it (--out) and/or compare the two losses."""
    parser = argparse.ArgumentParser(prog="python -m siglip_lib.train", description=main.__doc__)
    parser.add_argument("--out", help="folder to write the trained model to (save_pretrained format)")
    parser.add_argument("--compare", metavar="JSON", help="also train with the softmax loss; write both records here")
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--seed", type=int, default=TrainConfig.seed)
    args = parser.parse_args(argv)
    runs = {}
    for loss in ("sigmoid", "softmax") if args.compare else ("sigmoid",):
        model = tiny_siglip(loss, seed=args.seed)
        history = train(model, TrainConfig(steps=args.steps, seed=args.seed, loss=loss))
        history["final_accuracy"] = held_out_accuracy(model)
        print(f"{loss} loss: {history['seconds']:.0f} s of training, zero-shot accuracy on 500 held-out images "
              f"{history['final_accuracy']:.1%}")
        runs[loss] = history
        if loss == "sigmoid" and args.out:
            model.save_pretrained(args.out)
            print(f"wrote {args.out}")
    if args.compare:
        record = {"made_by": "python -m siglip_lib.train --compare", "torch_threads": torch.get_num_threads(),
                  "runs": runs}
        Path(args.compare).write_text(json.dumps(record) + "\n")
        print(f"wrote {args.compare}")
    return 0


if __name__ == "__main__" and "__file__" in globals():  # run as a script; in a notebook this cell only defines
    raise SystemExit(main())
