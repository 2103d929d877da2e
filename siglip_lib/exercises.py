# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/00_checkers.ipynb and run `python tools/export.py`.

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from siglip_lib.config import SigLipVisionConfig
from siglip_lib.encoder import MLP, EncoderBlock
from siglip_lib.loss import softmax_loss
from siglip_lib.model import SigLipConfig, SigLipModel
from siglip_lib.text import SigLipTextConfig
from siglip_lib.vision import MultiheadAttentionPoolingHead


@dataclass(frozen=True)
class CheckResult:
    """What a checker found. True only when the answer is right; Jupyter shows the message."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return self.message

    def _repr_pretty_(self, printer, cycle) -> None:  # a bare check_...(f) at the end of a cell shows the message
        printer.text(self.message)


class Mistake(NamedTuple):
    """A classic mistake: what to tell the student, and a function that makes it (the exercise's signature)."""

    message: str
    answer: Callable


class Output(NamedTuple):
    name: str  # "weights"
    layout: str  # "[B, H, Nq, Nk]"


class WrongReturn(Exception):
    """Raised by a checker's call wrapper when the function returned something it cannot compare."""


RTOL, ATOL = 1e-4, 1e-5  # float32 rounding of a different but correct order of operations stays far below this


def seeded(seed: int, make: Callable) -> Callable:
    """A test case: a function that makes fresh inputs, the same ones on every call, without touching the
    caller's random state."""

    def case():
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            return make()

    return case


def _short(a) -> str:
    """One argument in a few characters: a tensor by its shape, a module by its class, a list by its items."""
    if isinstance(a, torch.Tensor):
        return f"[{', '.join(map(str, a.shape))}]" if a.dim() else f"{a.item():.4g}"
    if isinstance(a, torch.nn.Module):
        kind = type(a).__name__
        return f"{'an' if kind[0] in 'AEIMOU' else 'a'} {kind}"
    if isinstance(a, (list, tuple)) and a:
        return f"{len(a)} × ({', '.join(map(_short, a[0]))})" if isinstance(a[0], (list, tuple)) else repr(a)
    return repr(a)


def _describe(args, names=None) -> str:
    if names:
        return ", ".join(f"{n}={_short(a)}" for n, a in zip(names, args))
    return ", ".join(map(_short, args))


def _tensors(value, outputs):
    """The value as a tuple of float64 tensors, one per expected output, or a message saying why not."""
    if len(outputs) > 1:
        if not isinstance(value, (tuple, list)):
            return None, (f"expected a tuple ({', '.join(o.name for o in outputs)}), got a {type(value).__name__}")
        if len(value) != len(outputs):
            return None, (f"expected a tuple of {len(outputs)} ({', '.join(o.name for o in outputs)}), "
                          f"got a tuple of {len(value)}")
    else:
        value = (value,)
    out = []
    for v, o in zip(value, outputs):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = torch.tensor(float(v))
        if v is None:
            return None, f"your function returned None instead of {o.name}: did you forget `return`?"
        if not isinstance(v, torch.Tensor):
            return None, f"expected {o.name} to be a tensor or a number ({o.layout}), got a {type(v).__name__}"
        out.append(v.detach().cpu().double())
    return tuple(out), None


def _close(got, want) -> bool:
    return all(g.shape == w.shape and torch.allclose(g, w, rtol=RTOL, atol=ATOL) for g, w in zip(got, want))


def _what_differs(got, want, outputs) -> str:
    """Plain words for the first output that differs: shape, scale, order, or the largest difference."""
    for g, w, o in zip(got, want, outputs):
        if g.shape == w.shape and torch.allclose(g, w, rtol=RTOL, atol=ATOL):
            continue
        name = o.name if len(outputs) > 1 else "your output"
        if g.shape != w.shape:
            text = f"wrong shape: {name} should be {o.layout} = {tuple(w.shape)}, got {tuple(g.shape)}"
            if sorted(g.shape) == sorted(w.shape):
                text += " (the right sizes in another order: check your transpose, permute or reshape)"
            elif g.numel() == w.numel():
                text += " (the right number of values: check your reshape)"
            return text
        if not torch.isfinite(g).all():
            return f"{name} holds NaN or infinite values"
        if w.numel() == 1:
            return f"{name} is {g.item():.6g}, the right value is {w.item():.6g}"
        scale = (g * w).sum() / (w * w).sum() if (w * w).sum() > 0 else torch.tensor(0.0)
        if scale.abs() > 1e-6 and torch.allclose(g, scale * w, rtol=1e-3, atol=1e-6):
            return f"wrong scale: {name} is {scale.item():.4g} times the right one"
        if g.numel() > 1 and torch.allclose(g.flatten().sort().values, w.flatten().sort().values, rtol=RTOL, atol=ATOL):
            return f"{name} has the right numbers in the wrong places: check the order of your dimensions"
        largest = (g - w).abs().max().item()
        return (f"{name} has the right shape {tuple(w.shape)} but other values: the largest difference is "
                f"{largest:.3g}, where the right values are about {w.abs().max().item():.3g} in size")
    return "the outputs differ"


class Checker:
    """The checker of one exercise: checker(my_function) -> CheckResult. It keeps its reference answer and its
    classic mistakes, so a teacher (or a test) can list what it catches."""

    def __init__(self, task: str, cases, reference, mistakes=(), outputs=(Output("output", ""),), call=None,
                 hints=(), error_hints=(), explain=None, arg_names=None):
        self.task, self.cases, self.reference, self.mistakes = task, cases, reference, list(mistakes)
        self.outputs, self.hints, self.error_hints = outputs, hints, error_hints
        self.call = call or (lambda f, args: f(*args))  # call(fn, args) -> what is compared
        self.explain = explain  # explain(got, want) -> a message or None: what this exercise's numbers can tell
        self.arg_names = arg_names  # to label the inputs in messages

    def __call__(self, fn) -> CheckResult:
        """Run fn and the reference on every case; say what is wrong, or that fn is right. See the notebook's top."""
        name = getattr(fn, "__name__", "your function")
        if not callable(fn):
            return CheckResult(False, f"❌ Not yet: pass your function itself, as in check_...(my_function), "
                                      f"not its result: got a {type(fn).__name__}")
        for case in self.cases:
            want, _ = _tensors(self.call(self.reference, case()), self.outputs)
            try:
                raw = self.call(fn, case())
            except WrongReturn as wrong:
                return CheckResult(False, f"❌ Not yet: {wrong}")
            except NotImplementedError:
                return CheckResult(False, f"⏳ Not written yet: {name} still raises NotImplementedError. Replace that "
                                          "line with your code, then run the cell again.")
            except Exception as error:  # the student's code failed: say where, and what usually causes it
                text = (f"❌ Not yet: {name} raised {type(error).__name__}: {error}\n"
                        f"   inputs: {_describe(case(), self.arg_names)}")
                for needle, hint in self.error_hints:
                    if needle in str(error):
                        text += f"\n   hint: {hint}"
                return CheckResult(False, text)
            got, problem = _tensors(raw, self.outputs)
            if got is not None:  # one number may come as a tensor of shape [1] too
                got = tuple(g.reshape(()) if w.dim() == 0 and g.numel() == 1 else g for g, w in zip(got, want))
            if got is not None and _close(got, want):
                continue
            for mistake in self.mistakes:
                answer, _ = _tensors(self.call(mistake.answer, case()), self.outputs)
                if got is not None and _close(got, answer):
                    return CheckResult(False, f"❌ Not yet: {mistake.message}")
            found = problem or (self.explain and self.explain(got, want)) or _what_differs(got, want, self.outputs)
            text = f"❌ Not yet: {found}\n   inputs: {_describe(case(), self.arg_names)}"
            if self.hints:
                text += "\n   things to check:" + "".join(f"\n   - {h}" for h in self.hints)
            return CheckResult(False, text)
        inputs = f"{len(self.cases)} random input" + ("s" if len(self.cases) > 1 else "")
        return CheckResult(True, f"✅ Correct: {name} matches the reference on {inputs}.")

    def __repr__(self) -> str:
        return f"<exercise checker: {self.task}>"


def _conv_patches(pixel_values, weight, bias):  # the reference: a strided Conv2d, [B, N, D]
    return F.conv2d(pixel_values, weight, bias, stride=weight.shape[-1]).flatten(2).transpose(1, 2)


def _patches(pixel_values, p, order):  # [B, N, C*P*P], patches row by row, each flattened in `order`
    b = pixel_values.shape[0]
    grid = pixel_values.unfold(2, p, p).unfold(3, p, p)  # [B, C, H/P, W/P, P, P]
    return grid.permute(0, 2, 3, *order).reshape(b, -1, grid.shape[1] * p * p)


def _patch_mistake(order=(1, 4, 5), columns_first=False, bias=True, transpose=False, permute=True):
    def answer(pixel_values, weight, bias_):
        x = pixel_values.transpose(2, 3) if columns_first else pixel_values
        w = weight.transpose(2, 3) if columns_first else weight
        p, (b, c) = weight.shape[-1], x.shape[:2]
        patches = _patches(x, p, order) if permute else x.unfold(2, p, p).unfold(3, p, p).reshape(b, -1, c * p * p)
        out = patches @ w.reshape(w.shape[0], -1).T + (bias_ if bias else 0)
        return out.transpose(1, 2) if transpose else out

    return answer


def _patch_embedding_checker() -> Checker:
    cases = [seeded(1, lambda: (torch.randn(2, 3, 16, 24), torch.randn(10, 3, 4, 4), torch.randn(10))),
             seeded(2, lambda: (torch.randn(1, 2, 6, 15), torch.randn(5, 2, 3, 3), torch.randn(5)))]
    mistakes = [
        Mistake("your output is [B, D, N]: the right numbers, but the embedding must come last, [B, N, D]. "
                "Add .transpose(1, 2).", _patch_mistake(transpose=True)),
        Mistake("the patches come column by column. They must go row by row, as you read text: patch 1 is the "
                "second patch of the top row. Unfold the height (dim 2) before the width (dim 3) and keep that "
                "order.", _patch_mistake(columns_first=True)),
        Mistake("each patch is flattened channels last. A Conv2d weight [D, C, P, P] is laid out channel, then "
                "row, then column, so flatten each patch as [C, P, P] too: permute(0, 2, 3, 1, 4, 5) after "
                "the two unfolds.", _patch_mistake(order=(4, 5, 1))),
        Mistake("inside each patch, rows and columns are swapped: flatten each patch as [C, P_rows, P_columns], "
                "permute(0, 2, 3, 1, 4, 5).", _patch_mistake(order=(1, 5, 4))),
        Mistake("forgot the bias: add bias after the matrix multiply.", _patch_mistake(bias=False)),
        Mistake("you reshaped the unfolded image without moving its axes. After the two unfolds it is "
                "[B, C, H/P, W/P, P, P]: permute(0, 2, 3, 1, 4, 5) brings the grid to the front, then reshape to "
                "[B, N, C·P·P].", _patch_mistake(permute=False)),
    ]
    return Checker("patch_embedding(pixel_values [B, C, H, W], weight [D, C, P, P], bias [D]) -> [B, N, D],"
                   " as a stride-P Conv2d",
                   cases, _conv_patches, mistakes, (Output("embeddings", "[B, N, D]"),),
                   hints=["P is weight.shape[-1]; x.unfold(2, P, P).unfold(3, P, P) is [B, C, H/P, W/P, P, P]",
                          "weight.reshape(D, -1) is the Conv2d weight as a matrix [D, C·P·P]"],
                   error_hints=[("cannot be multiplied", "patches [B, N, C·P·P] @ weight.reshape(D, -1).T "
                                                         "[C·P·P, D] gives [B, N, D]")])


check_patch_embedding = _patch_embedding_checker()


def _interpolate(table, height, width, mode="bicubic", align_corners=False, grid_in=True, grid_out=True,
                 swap=False, keep_batch=False):
    side, dim = int(round(math.sqrt(table.shape[0]))), table.shape[1]
    grid = table.reshape(1, side, side, dim).permute(0, 3, 1, 2) if grid_in else table.reshape(1, dim, side, side)
    size = (width, height) if swap else (height, width)
    corners = None if mode == "nearest" else align_corners  # nearest takes no align_corners
    grid = F.interpolate(grid, size=size, mode=mode, align_corners=corners)  # [1, D, height, width]
    out = grid.permute(0, 2, 3, 1).reshape(-1, dim) if grid_out else grid.reshape(-1, dim)
    return out.unsqueeze(0) if keep_batch else out


def _interpolate_mistake(**kwargs):
    return lambda table, height, width: _interpolate(table, height, width, **kwargs)


def _position_interpolation_checker() -> Checker:
    cases = [seeded(3, lambda: (torch.randn(16, 6), 6, 3)), seeded(4, lambda: (torch.randn(25, 4), 3, 7))]
    mixed = ("a reshape cannot move the channel axis, so the grid and the channels got mixed. Reshape the table "
             "to [1, side, side, D], then permute(0, 3, 1, 2) to [1, D, side, side]; after F.interpolate, "
             "permute back to [1, height, width, D] before reshaping to [height·width, D].")
    mistakes = [
        Mistake("height and width are swapped: F.interpolate takes size=(height, width) for a grid "
                "[1, D, rows, columns].", _interpolate_mistake(swap=True)),
        Mistake("wrong interpolation: SigLIP (and transformers) resize the grid with mode='bicubic'.",
                _interpolate_mistake(mode="bilinear")),
        Mistake("F.interpolate's default mode is 'nearest', which copies values instead of blending them: pass "
                "mode='bicubic' (and align_corners=False).", _interpolate_mistake(mode="nearest")),
        Mistake("align_corners=True: transformers resizes with align_corners=False, which treats each value as "
                "the centre of a cell.", _interpolate_mistake(align_corners=True)),
        Mistake(mixed, _interpolate_mistake(grid_in=False)),
        Mistake(mixed, _interpolate_mistake(grid_out=False)),
        Mistake("your output is [1, height·width, D]: drop the batch dimension, [height·width, D].",
                _interpolate_mistake(keep_batch=True)),
    ]
    return Checker("interpolate_positions(table [side², D], height, width) -> [height·width, D], bicubic,"
                   " align_corners=False",
                   cases, _interpolate, mistakes, (Output("positions", "[height·width, D]"),),
                   hints=["side = int(table.shape[0] ** 0.5)",
                          "F.interpolate wants a batch of images: [1, D, side, side]",
                          "F.interpolate(grid, size=(height, width), mode='bicubic', align_corners=False)"])


check_position_interpolation = _position_interpolation_checker()


def _attention(query, key, value, scale=None, softmax_dim=-1, softmax=True, swap=False):
    scale = query.shape[-1] ** -0.5 if scale is None else scale(query.shape[-1])
    scores = query @ key.transpose(-1, -2) * scale  # [B, H, Nq, Nk]
    weights = scores.softmax(dim=softmax_dim) if softmax else scores
    return (weights, weights @ value) if swap else (weights @ value, weights)


def _attention_mistake(**kwargs):
    return lambda query, key, value: _attention(query, key, value, **kwargs)


def _attention_checker() -> Checker:
    cases = [seeded(5, lambda: (torch.randn(2, 3, 5, 16), torch.randn(2, 3, 7, 16), torch.randn(2, 3, 7, 16))),
             seeded(6, lambda: (torch.randn(1, 2, 4, 9), torch.randn(1, 2, 6, 9), torch.randn(1, 2, 6, 9)))]
    mistakes = [
        Mistake("wrong scale: the scores are not divided by √d (d = query.shape[-1]). Without it the softmax "
                "saturates towards one-hot as d grows.", _attention_mistake(scale=lambda d: 1.0)),
        Mistake("wrong scale: you divided the scores by d. Divide by √d: multiply by d ** -0.5.",
                _attention_mistake(scale=lambda d: 1 / d)),
        Mistake("wrong scale: you multiplied the scores by √d. Divide by it instead: multiply by d ** -0.5.",
                _attention_mistake(scale=lambda d: d**0.5)),
        Mistake("softmax over the wrong axis: yours sums to 1 over the queries. Each query's weights must sum "
                "to 1 over the keys: softmax(scores, dim=-1).", _attention_mistake(softmax_dim=-2)),
        Mistake("no softmax: the weights must be positive and sum to 1 over the keys, softmax(scores, dim=-1).",
                _attention_mistake(softmax=False)),
        Mistake("you returned (weights, output): return (output, weights).", _attention_mistake(swap=True)),
    ]
    outputs = (Output("output", "[B, H, Nq, d]"), Output("weights", "[B, H, Nq, Nk]"))

    def explain(got, want):
        weights = got[1]
        if weights.dim() == 4 and not torch.allclose(weights.sum(-1), torch.ones(()).double(), atol=1e-4):
            return ("each query's weights must sum to 1 over the keys (the last axis), and yours do not: "
                    "softmax(scores, dim=-1).")
        return None
    return Checker("attention(query [B, H, Nq, d], key, value [B, H, Nk, d]) -> (output [B, H, Nq, d],"
                   " weights [B, H, Nq, Nk])",
                   cases, _attention, mistakes, outputs,
                   hints=["scores = query @ key.transpose(-1, -2): [B, H, Nq, Nk]",
                          "each row of weights (one query) sums to 1", "output = weights @ value"],
                   error_hints=[(needle, "query @ key.transpose(-1, -2) is [B, H, Nq, Nk]; .T or transpose(0, 1) "
                                         "swap the wrong dimensions")
                                for needle in ("Expected size", "must match the size", "cannot be multiplied")],
                   explain=explain)


check_attention = _attention_checker()


def _split_heads(x, num_heads):
    b, n, dim = x.shape
    return x.reshape(b, n, num_heads, dim // num_heads).transpose(1, 2)


def _split_heads_checker() -> Checker:
    cases = [seeded(7, lambda: (torch.randn(2, 5, 12), 3)), seeded(8, lambda: (torch.randn(1, 4, 8), 2))]
    mistakes = [
        Mistake("you reshaped straight to [B, H, N, d]: that cuts the sequence of tokens into heads, not each "
                "token's channels. Reshape to [B, N, H, d] first, then transpose(1, 2).",
                lambda x, h: x.reshape(x.shape[0], h, x.shape[1], -1)),
        Mistake("missing transpose: [B, N, H, d] needs .transpose(1, 2) to become [B, H, N, d].",
                lambda x, h: x.reshape(*x.shape[:2], h, -1)),
        Mistake("each head must own a block of d neighbouring channels (head 0: channels 0 to d − 1); yours "
                "takes every H-th channel. Split the last dimension as [H, d], not [d, H].",
                lambda x, h: x.reshape(*x.shape[:2], -1, h).permute(0, 3, 1, 2)),
    ]
    return Checker("split_heads(x [B, N, D], num_heads) -> [B, H, N, D/H], head h owning channels h·d to (h+1)·d − 1",
                   cases, _split_heads, mistakes, (Output("heads", "[B, H, N, d]"),),
                   hints=["d = D // num_heads", "x.reshape(B, N, H, d).transpose(1, 2)"])


check_split_heads = _split_heads_checker()


def _small_config(**kwargs):
    return SigLipVisionConfig(embed_dim=12, num_attention_heads=3, mlp_hidden_dim=24, image_size=8, patch_size=4,
                              **kwargs)


def _randomize_norms(module):
    for m in module.modules():
        if isinstance(m, torch.nn.LayerNorm):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.5)
    return module.eval()


def _mlp(mlp, x, act=lambda h: F.gelu(h, approximate="tanh"), fc2=True):
    h = act(mlp.fc1(x))
    return mlp.fc2(h) if fc2 else h


def _mlp_checker() -> Checker:
    cases = [seeded(9, lambda: (MLP(_small_config()).eval(), 3 * torch.randn(2, 5, 12))),
             seeded(10, lambda: (MLP(_small_config()).eval(), 3 * torch.randn(1, 3, 12)))]
    mistakes = [
        Mistake("the exact GELU: SigLIP uses its tanh approximation, F.gelu(h, approximate='tanh'). The two "
                "differ by less than 1e-3, but only the tanh one gives the pretrained model's numbers.",
                lambda mlp, x: _mlp(mlp, x, act=F.gelu)),
        Mistake("ReLU instead of GELU: SigLIP's MLP uses F.gelu(h, approximate='tanh').",
                lambda mlp, x: _mlp(mlp, x, act=F.relu)),
        Mistake("no activation between fc1 and fc2: two Linear layers in a row are one linear map. Put "
                "F.gelu(h, approximate='tanh') between them.", lambda mlp, x: _mlp(mlp, x, act=lambda h: h)),
        Mistake("you stopped after fc1 and the GELU ([B, N, 4D]): apply mlp.fc2 to come back to [B, N, D].",
                lambda mlp, x: _mlp(mlp, x, fc2=False)),
    ]
    return Checker("mlp_forward(mlp, x [B, N, D]) -> [B, N, D]: fc1, GELU (tanh approximation), fc2",
                   cases, lambda mlp, x: _mlp(mlp, x), mistakes, (Output("output", "[B, N, D]"),),
                   hints=["mlp.fc1 widens to [B, N, 4D], mlp.fc2 comes back to [B, N, D]",
                          "the activation in between: F.gelu(h, approximate='tanh')"])


check_mlp = _mlp_checker()


def _block(block, x, residual1=True, residual2=True, post_ln=False, norm_residual=False, norms=(1, 2),
           parallel=False, mlp_first=False):
    norm1, norm2 = (getattr(block, f"layer_norm{i}") for i in norms)
    if post_ln:
        x = block.layer_norm1(x + block.self_attn(x)[0])
        return block.layer_norm2(x + block.mlp(x))
    if mlp_first:
        x = x + block.mlp(block.layer_norm2(x))
        return x + block.self_attn(block.layer_norm1(x))[0]
    h = norm1(x)
    a = block.self_attn(h)[0]
    y = (h if norm_residual else x) + a if residual1 else a
    h2 = norm2(x if parallel else y)
    return ((h2 if norm_residual else y) + block.mlp(h2)) if residual2 else block.mlp(h2)


def _block_mistake(**kwargs):
    return lambda block, x: _block(block, x, **kwargs)


def _encoder_block_checker() -> Checker:
    cases = [seeded(11, lambda: (_randomize_norms(EncoderBlock(_small_config())), torch.randn(2, 5, 12))),
             seeded(12, lambda: (_randomize_norms(EncoderBlock(_small_config())), torch.randn(1, 4, 12)))]
    mistakes = [
        Mistake("forgot the residual around attention: x = x + block.self_attn(block.layer_norm1(x))[0].",
                _block_mistake(residual1=False)),
        Mistake("forgot the residual around the MLP: x = x + block.mlp(block.layer_norm2(x)).",
                _block_mistake(residual2=False)),
        Mistake("forgot both residuals: each branch adds to the stream, x = x + branch(LN(x)).",
                _block_mistake(residual1=False, residual2=False)),
        Mistake("that is a post-LN block (LayerNorm after the sum, as in the 2017 Transformer). SigLIP is "
                "pre-LN: normalise the input of each branch, x + attn(LN1(x)), and leave the stream itself "
                "unnormalised.", _block_mistake(post_ln=True)),
        Mistake("the residual carries LN(x) instead of x: keep h = LN1(x) for the branch only, and add its "
                "output to the original x.", _block_mistake(norm_residual=True)),
        Mistake("you used layer_norm1 twice: the MLP branch has its own, block.layer_norm2.",
                _block_mistake(norms=(1, 1))),
        Mistake("you used layer_norm2 twice: the attention branch has its own, block.layer_norm1.",
                _block_mistake(norms=(2, 2))),
        Mistake("the two LayerNorms are swapped: layer_norm1 goes before attention, layer_norm2 before the MLP.",
                _block_mistake(norms=(2, 1))),
        Mistake("the MLP runs before attention: attention comes first, x = x + attn(LN1(x)), then the MLP.",
                _block_mistake(mlp_first=True)),
        Mistake("the MLP sees the block's input, not the output of the attention step: compute "
                "x = x + attn(LN1(x)) first, then x = x + MLP(LN2(x)) with that new x.",
                _block_mistake(parallel=True)),
    ]
    return Checker("block_forward(block, x [B, N, D]) -> [B, N, D]: x + attn(LN1(x)), then x + MLP(LN2(x))",
                   cases, _block, mistakes, (Output("output", "[B, N, D]"),),
                   hints=["each branch adds to the stream: x = x + branch(its LayerNorm(x))",
                          "attention first (layer_norm1, self_attn), then the MLP (layer_norm2, mlp)"],
                   error_hints=[("tuple", "block.self_attn(h) returns a pair (output, weights): take [0]")])


check_encoder_block = _encoder_block_checker()


def _map(head, x, pool="probe", layernorm=True, residual=True, mlp=True, keep_axis=False):
    probe = head.probe.expand(x.shape[0], -1, -1)  # [B, 1, D]
    if pool == "mean":
        h = x.mean(dim=1, keepdim=True)
    elif pool == "first":
        h = x[:, :1]
    elif pool == "swapped":
        h = head.attention(x, context=probe)[0]  # [B, N, D]
    else:
        h = head.attention(probe, context=x)[0]  # [B, 1, D]
    if mlp:
        update = head.mlp(head.layernorm(h) if layernorm else h)
        h = h + update if residual else update
    return h if keep_axis else h[:, 0]


def _map_mistake(**kwargs):
    return lambda head, x: _map(head, x, **kwargs)


def _map_head_checker() -> Checker:
    cases = [seeded(13, lambda: (_randomize_norms(MultiheadAttentionPoolingHead(_small_config())),
                                 torch.randn(2, 6, 12))),
             seeded(14, lambda: (_randomize_norms(MultiheadAttentionPoolingHead(_small_config())),
                                 torch.randn(3, 4, 12)))]
    mistakes = [
        Mistake("you averaged the tokens (then the MLP). The MAP head lets its learned probe attend over them: "
                "head.attention(probe, context=x)[0].", _map_mistake(pool="mean")),
        Mistake("you started from the first token: SigLIP has no class token. The learned probe attends over "
                "all tokens: head.attention(probe, context=x)[0].", _map_mistake(pool="first")),
        Mistake("the probe and the tokens are swapped: the probe asks (the query, first argument), the tokens "
                "answer (context=x).", _map_mistake(pool="swapped")),
        Mistake("forgot the residual around the MLP: h = h + head.mlp(head.layernorm(h)).",
                _map_mistake(residual=False)),
        Mistake("forgot head.layernorm before the MLP: h = h + head.mlp(head.layernorm(h)).",
                _map_mistake(layernorm=False)),
        Mistake("you stopped after the attention: the head then adds head.mlp(head.layernorm(h)) to h.",
                _map_mistake(mlp=False)),
        Mistake("your output is [B, 1, D], one probe per image: drop that axis with h[:, 0].",
                _map_mistake(keep_axis=True)),
    ]
    return Checker("map_head(head, x [B, N, D]) -> [B, D]: the probe attends over x, then h + MLP(LayerNorm(h))",
                   cases, _map, mistakes, (Output("pooled", "[B, D]"),),
                   error_hints=[("is invalid for input of size", "head.probe is [1, 1, D]: expand it to the batch "
                                                                 "first, head.probe.expand(B, -1, -1)"),
                                ("tuple", "head.attention(...) returns a pair (output, weights): take [0]")])


check_map_head = _map_head_checker()


def _siglip_loss(image_embeds, text_embeds, logit_scale, logit_bias, normalize_dim=-1, exp=True, bias=True,
                 labels="pm1", reduce="rows", sign=1.0, minus_sign=False, kind="sigmoid"):
    if normalize_dim is not None:
        image_embeds = F.normalize(image_embeds, dim=normalize_dim)
        text_embeds = F.normalize(text_embeds, dim=normalize_dim)
    t = logit_scale.exp() if exp else logit_scale
    logits = text_embeds @ image_embeds.T * t + (logit_bias if bias else 0)  # [n, n]
    if kind == "softmax":
        return softmax_loss(logits)
    n = logits.shape[0]
    eye = torch.eye(n, dtype=logits.dtype)
    z = {"pm1": 2 * eye - 1, "01": eye, "ones": torch.ones_like(eye), "diagonal": eye}[labels]
    pairs = -F.logsigmoid(sign * z * logits)  # [n, n]
    pairs = pairs * eye if labels == "diagonal" else pairs
    total = {"rows": pairs.sum() / n, "all": pairs.mean(), "sum": pairs.sum()}[reduce]
    return -total if minus_sign else total


def _loss_mistake(**kwargs):
    return lambda *args: _siglip_loss(*args, **kwargs)


def _sigmoid_loss_checker() -> Checker:
    cases = [seeded(16, lambda: (torch.randn(6, 5), 4 * torch.randn(6, 5), torch.tensor(1.2), torch.tensor(-1.5))),
             seeded(15, lambda: (3 * torch.randn(4, 8), 2 * torch.randn(4, 8), torch.tensor(math.log(10.0)),
                                 torch.tensor(-10.0)))]
    mistakes = [
        Mistake("the embeddings are not normalised: divide each vector by its length, F.normalize(x, dim=-1), "
                "before the dot products.", _loss_mistake(normalize_dim=None)),
        Mistake("you normalised over the batch (dim 0): normalise each vector over its D entries, dim=-1.",
                _loss_mistake(normalize_dim=0)),
        Mistake("wrong scale: logit_scale is stored as a log (t′); the temperature is t = logit_scale.exp().",
                _loss_mistake(exp=False)),
        Mistake("forgot the bias: logits = t · (text · image) + b.", _loss_mistake(bias=False)),
        Mistake("labels of 0 and 1: the sigmoid loss needs +1 for the matching pairs (the diagonal) and −1 for "
                "every other pair, so that -log σ(label · logit) pushes the non-matching logits down.",
                _loss_mistake(labels="01")),
        Mistake("every pair is labelled as a match: the label is +1 only on the diagonal (caption i with image "
                "i) and −1 everywhere else. 2 * torch.eye(n) - 1 makes them.", _loss_mistake(labels="ones")),
        Mistake("you left out the non-matching pairs: the loss sums −log σ(label · logit) over all n² pairs, with "
                "label −1 off the diagonal. Those pairs are what teaches the model to say no.",
                _loss_mistake(labels="diagonal")),
        Mistake("wrong scale: you averaged over all n² pairs. SigLIP sums the loss over the pairs of each "
                "caption and averages over the n captions: divide the total by n.", _loss_mistake(reduce="all")),
        Mistake("wrong scale: divide the total over all pairs by the batch size n.", _loss_mistake(reduce="sum")),
        Mistake("that is CLIP's softmax loss (cross-entropy over each row and column). SigLIP treats every pair "
                "on its own: -log σ(label · logit), summed.", _loss_mistake(kind="softmax")),
        Mistake("your loss is negative: it is minus the sum of log σ(label · logit). Each log σ is below 0, so "
                "the minus sign makes the loss positive, and small when the pairs are right.",
                _loss_mistake(minus_sign=True)),
        Mistake("sign error inside: the loss of one pair is −log σ(label · logit), which is small when a "
                "matching pair has a large positive logit. Yours rewards the opposite.", _loss_mistake(sign=-1.0)),
    ]
    return Checker("siglip_loss(image_embeds [n, D], text_embeds [n, D], logit_scale t′, logit_bias b) -> the"
                   " sigmoid loss",
                   cases, _siglip_loss, mistakes, (Output("loss", "a number (a tensor of shape [])"),),
                   hints=["logits = text_embeds @ image_embeds.T * t + b, with t = logit_scale.exp()",
                          "F.logsigmoid(x) is log σ(x), without overflow"],
                   arg_names=("image_embeds", "text_embeds", "logit_scale", "logit_bias"))


check_sigmoid_loss = _sigmoid_loss_checker()


def _lr(step, steps, warmup_steps, peak_lr, warmup="plus1", decay="cosine", over="rest"):
    if warmup == "none":
        return peak_lr * 0.5 * (1 + math.cos(math.pi * step / steps))
    if step < warmup_steps:
        return peak_lr * (step + (1 if warmup == "plus1" else 0)) / warmup_steps
    progress = (step - warmup_steps) / max(1, steps - warmup_steps) if over == "rest" else step / steps
    if decay == "linear":
        return peak_lr * (1 - progress)
    if decay == "plain_cos":
        return peak_lr * math.cos(math.pi * progress)
    return peak_lr * 0.5 * (1 + math.cos(math.pi * progress))


def _lr_mistake(**kwargs):
    return lambda *args: _lr(*args, **kwargs)


def _every_step(f, args):
    steps = args[0]
    rates = [f(step, *args) for step in range(steps)]
    if any(r is None for r in rates):
        raise WrongReturn("your function returned None instead of a rate: did you forget `return`?")
    return torch.tensor([float(r) for r in rates])


def _lr_schedule_checker() -> Checker:
    cases = [lambda: (100, 10, 1e-3), lambda: (37, 5, 0.5)]
    mistakes = [
        Mistake("no warm-up: for the first warmup_steps steps the rate must climb in a straight line, "
                "peak_lr · (step + 1) / warmup_steps.", _lr_mistake(warmup="none")),
        Mistake("off by one in the warm-up: your step 0 gets a rate of 0, which wastes a step. Use "
                "peak_lr · (step + 1) / warmup_steps, which reaches peak_lr at step warmup_steps − 1.",
                _lr_mistake(warmup="plus0")),
        Mistake("the cosine must start after the warm-up: progress = (step − warmup_steps) / (steps − "
                "warmup_steps), which goes from 0 to almost 1.", _lr_mistake(over="all")),
        Mistake("the rate goes negative: a half cosine from peak_lr to 0 is peak_lr · ½ · (1 + cos(π · "
                "progress)).", _lr_mistake(decay="plain_cos")),
        Mistake("that decay is a straight line: the schedule follows a half cosine, peak_lr · ½ · (1 + cos(π · "
                "progress)), slow at first, then faster, then slow again near 0.", _lr_mistake(decay="linear")),
    ]

    def explain(got, want):
        rates, right = got[0], want[0]
        if rates.shape != right.shape:
            return None
        step = int((~torch.isclose(rates, right, rtol=RTOL, atol=ATOL)).nonzero()[0])
        return (f"the rate of step {step} is {rates[step].item():.6g}, the right one is {right[step].item():.6g} "
                f"(for steps={len(right)}, the warm-up ends after step {int(right.argmax())})")

    return Checker("lr_schedule(step, steps, warmup_steps, peak_lr) -> the learning rate of that step",
                   cases, _lr, mistakes, (Output("rates", "one rate per step [steps]"),), call=_every_step,
                   hints=["during the warm-up: peak_lr · (step + 1) / warmup_steps",
                          "after it: progress = (step − warmup_steps) / (steps − warmup_steps), "
                          "rate = peak_lr · ½ · (1 + cos(π · progress))"],
                   explain=explain, arg_names=("steps", "warmup_steps", "peak_lr"))


check_lr_schedule = _lr_schedule_checker()


def _tiny_model():
    text = SigLipTextConfig(vocab_size=10, embed_dim=16, max_position_embeddings=4, num_attention_heads=2,
                            num_encoder_blocks=1, mlp_hidden_dim=32, pad_token_id=0)
    vision = SigLipVisionConfig(embed_dim=16, image_size=16, patch_size=8, num_attention_heads=2,
                                num_encoder_blocks=1, mlp_hidden_dim=32)
    return SigLipModel(SigLipConfig(text, vision))


def _train_step(model, optimizer, pixel_values, input_ids, zero_grad=True, backward=True, kind="sigmoid"):
    out = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
    loss = out.loss if kind == "sigmoid" else softmax_loss(out.logits_per_text)
    if zero_grad:
        optimizer.zero_grad()
    if backward:
        loss.backward()
    optimizer.step()
    return loss.item()


def _three_steps(f, args):
    seed, batches = args
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = _tiny_model().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for pixels, ids in batches:
        loss = f(model, optimizer, pixels.clone(), ids.clone())
        if loss is None:
            raise WrongReturn("your function returned None: return the loss, loss.item()")
        if not isinstance(loss, (int, float, torch.Tensor)) or (isinstance(loss, torch.Tensor) and loss.numel() != 1):
            shown = (f"a tensor of shape {list(loss.shape)}" if isinstance(loss, torch.Tensor)
                     else f"a {type(loss).__name__}")
            raise WrongReturn(f"your function returned {shown}: return the loss, one number (loss.item())")
        losses.append(float(loss.detach()) if isinstance(loss, torch.Tensor) else float(loss))
    return torch.tensor(losses), torch.cat([p.detach().flatten() for p in model.parameters()])



def _train_step_checker() -> Checker:

    def batches():
        return [(torch.randn(4, 3, 16, 16), torch.randint(1, 10, (4, 4))) for _ in range(3)]

    cases = [seeded(17, lambda: (17, batches()))]
    mistakes = [
        Mistake("the weights did not change: gradients must exist when optimizer.step() runs. Call loss.backward(), "
                "then optimizer.step(), with no optimizer.zero_grad() between them (clear the old gradients "
                "before backward).", lambda m, o, p, i: _train_step(m, o, p, i, backward=False)),
        Mistake("forgot optimizer.zero_grad(): PyTorch adds new gradients to the old ones, so from the second "
                "step on each update mixes in earlier batches.",
                lambda m, o, p, i: _train_step(m, o, p, i, zero_grad=False)),
        Mistake("that is CLIP's softmax loss: this series trains with the sigmoid loss, "
                "model(pixel_values=..., input_ids=..., return_loss=True).loss.",
                lambda m, o, p, i: _train_step(m, o, p, i, kind="softmax")),
    ]
    outputs = (Output("losses", "one loss per step"), Output("weights", "every weight after three steps"))
    return Checker("train_step(model, optimizer, pixel_values, input_ids) -> the loss, after one optimisation step",
                   cases, _train_step, mistakes, outputs, call=_three_steps, arg_names=("seed", "batches"),
                   hints=["loss = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True).loss",
                          "optimizer.zero_grad(); loss.backward(); optimizer.step(); return loss.item()"],
                   error_hints=[("does not require grad", "compute the loss with gradients on: no torch.no_grad() "
                                                          "and no .detach() before loss.backward()")])


check_train_step = _train_step_checker()


CHECKERS = {  # notebook -> its checkers, with the reference answer and the mistakes each one knows
    "01_patch_embedding": [check_patch_embedding],
    "02_position_embedding": [check_position_interpolation],
    "03_attention": [check_attention, check_split_heads],
    "04_encoder_block": [check_mlp, check_encoder_block],
    "05_vision_model": [check_map_head],
    "06_text_and_loss": [check_sigmoid_loss],
    "07_training": [check_lr_schedule, check_train_step],
}
