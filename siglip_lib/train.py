# GENERATED FILE, DO NOT EDIT: edit notebooks/08_training.ipynb and notebooks/A1_engineering.ipynb and run
# `python tools/export.py`.

import json
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from siglip_lib import (SigLipConfig, SigLipModel, SigLipTextConfig, SigLipVisionConfig, make_shapes, preprocess,
                        sigmoid_loss, softmax_loss)
from siglip_lib.shapes import CLASS_NAMES, HELD_OUT_SEED, IMAGE_SIZE
from siglip_lib.tokenizers import WordTokenizer


def tiny_siglip(loss: str = "sigmoid", seed: int = 0) -> SigLipModel:
    """A small SigLipModel for the shapes data (about 0.8 M parameters), with a tokenizer of the captions' 9 words
    (captions padded to 5 tokens). loss="softmax" starts from CLIP's t = 1/0.07 instead of SigLIP's t = 10."""
    tokenizer = WordTokenizer(["a"] + sorted({word for name in CLASS_NAMES for word in name.split()}), max_length=5)
    sizes = dict(embed_dim=96, num_attention_heads=3, mlp_hidden_dim=4 * 96)
    text = SigLipTextConfig(vocab_size=len(tokenizer), max_position_embeddings=tokenizer.max_length,
                            num_encoder_blocks=2, pad_token_id=tokenizer.pad_token_id, **sizes)
    vision = SigLipVisionConfig(image_size=IMAGE_SIZE, patch_size=8, num_encoder_blocks=4, **sizes)
    torch.manual_seed(seed)
    model = SigLipModel(SigLipConfig(text, vision, logit_scale_init=math.log(1 / 0.07 if loss == "softmax" else 10)))
    model.tokenizer = tokenizer
    return model


@torch.no_grad()
def zero_shot(model: SigLipModel, images: list, captions: list, batch_size: int = 250) -> torch.Tensor:
    """For each image, the index of the caption that fits it best [n_images]. Captions: through model.tokenizer."""
    if model.tokenizer is None:
        raise ValueError("this model has no tokenizer: load it with from_pretrained, or set model.tokenizer")
    if isinstance(captions, str) or not len(captions):
        raise ValueError(f"expected a list of candidate captions, got {captions!r}")
    was_training, size = model.training, model.config.vision_config.image_size
    texts = model.eval().embed_texts(model.tokenizer(list(captions)))  # [C, D], each of length 1
    best = [(model.embed_images(preprocess(images[i:i + batch_size], size=size)) @ texts.T).argmax(dim=-1).cpu()
            for i in range(0, len(images), batch_size)]  # [b, C] cosines -> the best caption of each image
    model.train(was_training)
    return torch.cat(best)


def held_out_accuracy(model: SigLipModel, n: int = 500) -> float:
    """Zero-shot top-1 accuracy on the first n held-out shapes images, one caption per class as the candidates."""
    data = make_shapes(n, seed=HELD_OUT_SEED)
    predicted = zero_shot(model, data.images, [f"a {name}" for name in data.class_names])
    return (predicted == torch.tensor(data.labels)).float().mean().item()


@dataclass
class TrainConfig:
    steps: int = 2500
    batch_size: int = 16  # at most 16: one image of each class, so no false negatives in the loss
    lr: float = 1e-3  # peak learning rate, after warm-up
    warmup_steps: int = 250
    weight_decay: float = 0.05  # AdamW's, on the Linear and Conv2d weights only (param_groups)
    grad_clip: float = 1.0
    loss: str = "sigmoid"  # or "softmax" (CLIP)
    seed: int = 0  # training images; the weights come from tiny_siglip(seed=...), held-out images HELD_OUT_SEED


def lr_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up to config.lr, then cosine decay to 0."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.lr * 0.5 * (1 + math.cos(math.pi * progress))


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """AdamW's two groups: the Linear and Conv2d weights decay (big_vision's kernels); no other tensor does."""
    kernels = {id(m.weight) for m in model.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))}
    return [{"params": [p for p in model.parameters() if id(p) in kernels], "weight_decay": weight_decay},
            {"params": [p for p in model.parameters() if id(p) not in kernels], "weight_decay": 0.0}]


def optimizer_step(model, optimizer, loss: torch.Tensor, lr: float, grad_clip: float) -> None:  # one update
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip, foreach=True)  # all tensors at once: faster
    optimizer.step()


def train(model: SigLipModel, config: TrainConfig, progress: bool = True, eval_every: int = 250) -> dict:
    """Train in place on fresh make_shapes batches. Returns the history: the loss of every step, the zero-shot
    accuracy on 200 held-out images every eval_every steps (0: never), and the training time in seconds."""
    if config.loss not in ("sigmoid", "softmax"):
        raise ValueError(f"loss must be 'sigmoid' or 'softmax', got {config.loss!r}")
    loss_fn = sigmoid_loss if config.loss == "sigmoid" else softmax_loss
    optimizer = torch.optim.AdamW(param_groups(model, config.weight_decay), lr=config.lr)
    history = {"loss": [], "accuracy": [], "seconds": 0.0, "config": asdict(config)}
    for step in tqdm(range(config.steps), desc=f"training ({config.loss} loss)", disable=not progress):
        start = time.perf_counter()
        batch = make_shapes(config.batch_size, seed=[config.seed, step, 1], distinct_classes=True)
        out = model.train()(preprocess(batch.images, size=IMAGE_SIZE), model.tokenizer(batch.captions))
        loss = loss_fn(out.logits_per_text)
        optimizer_step(model, optimizer, loss, lr_at(step, config), config.grad_clip)
        history["loss"].append(loss.item())
        history["seconds"] += time.perf_counter() - start
        if eval_every and ((step + 1) % eval_every == 0 or step + 1 == config.steps):
            history["accuracy"].append((step + 1, held_out_accuracy(model, n=200)))  # not counted in seconds
    model.eval()
    return history


def main(argv=None) -> int:
    """python -m siglip_lib.train: train the tiny SigLIP; save it (--out) and/or compare the two losses.
    Started by torchrun, it trains data-parallel instead (notebook 09; options: --help under torchrun)."""
    import argparse

    if torch.distributed.is_torchelastic_launched():
        from siglip_lib.processes import data_parallel_main

        return data_parallel_main(argv)
    parser = argparse.ArgumentParser(prog="python -m siglip_lib.train", description=main.__doc__)
    parser.add_argument("--out", help="folder to write the trained model to (save_pretrained format)")
    parser.add_argument("--compare", metavar="JSON", help="also train with the softmax loss; write both records here")
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    args, runs = parser.parse_args(argv), {}
    for loss in ("sigmoid", "softmax") if args.compare else ("sigmoid",):
        model = tiny_siglip(loss)
        runs[loss] = history = train(model, TrainConfig(steps=args.steps, loss=loss))
        history["final_accuracy"] = held_out_accuracy(model)
        print(f"{loss} loss: {history['seconds']:.0f} s, zero-shot accuracy {history['final_accuracy']:.1%}")
        if loss == "sigmoid" and args.out:
            model.save_pretrained(args.out)
    if args.compare:
        Path(args.compare).write_text(json.dumps({"torch_threads": torch.get_num_threads(), "runs": runs}) + "\n")
    return 0


if __name__ == "__main__" and "__file__" in globals():  # run as a script; in a notebook this cell does nothing
    raise SystemExit(main())
