# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/00_checkers.ipynb and run `python tools/export.py`.

from dataclasses import dataclass
from typing import Callable, NamedTuple

import torch

RTOL, ATOL = 1e-4, 1e-5  # float32 rounding of a different but correct order of operations stays far below this


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


def not_yet(text: str) -> CheckResult:
    return CheckResult(False, f"❌ Not yet: {text}")


class Mistake(NamedTuple):
    """A classic mistake: what to tell the student, and a function that makes it (the exercise's signature)."""

    message: str
    answer: Callable


class WrongReturn(Exception):
    """Raised by a checker's `call` when the function returned something it cannot compare."""


def seeded(seed: int, make: Callable) -> Callable:
    """A test case: a function that makes fresh inputs, the same ones on every call, without touching the
    caller's random state."""

    def case():
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            return make()

    return case


def _tensors(value, outputs: dict):
    """The value as a tuple of float64 tensors, one per output {name: layout}, or None and why not."""
    if len(outputs) > 1:
        listed = ", ".join(outputs)
        if not isinstance(value, (tuple, list)):
            return None, f"expected a tuple ({listed}), got a {type(value).__name__}"
        if len(value) != len(outputs):
            return None, f"expected a tuple of {len(outputs)} ({listed}), got a tuple of {len(value)}"
    else:
        value = (value,)
    out = []
    for v, (name, layout) in zip(value, outputs.items()):
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = torch.tensor(float(v))
        if v is None:
            return None, f"your function returned None instead of {name}: did you forget `return`?"
        if not isinstance(v, torch.Tensor):
            return None, f"expected {name} to be a tensor or a number ({layout}), got a {type(v).__name__}"
        out.append(v.detach().cpu().double())
    return tuple(out), None


def _close(got, want) -> bool:
    if got is None or want is None:
        return False
    return all(g.shape == w.shape and torch.allclose(g, w, rtol=RTOL, atol=ATOL) for g, w in zip(got, want))


def _short(a) -> str:
    """One input in a few characters: a tensor by its shape (or its value), a module by its class, a list by
    its items."""
    if isinstance(a, torch.Tensor):
        return f"{a.item():.4g}" if a.numel() == 1 else f"[{', '.join(map(str, a.shape))}]"
    if isinstance(a, torch.nn.Module):
        kind = type(a).__name__
        return f"{'an' if kind[0] in 'AEIMOU' else 'a'} {kind}"
    if isinstance(a, (list, tuple)) and a:
        return f"{len(a)} × ({', '.join(map(_short, a[0]))})" if isinstance(a[0], (list, tuple)) else repr(a)
    return repr(a)


def _what_differs(got, want, outputs: dict) -> str:
    """Plain words for the first output that differs: shape, scale, order, or the largest difference."""
    for g, w, (name, layout) in zip(got, want, outputs.items()):
        if _close((g,), (w,)):
            continue
        name = name if len(outputs) > 1 else "your output"
        if g.shape != w.shape:
            text = f"wrong shape: {name} should be {layout} = {tuple(w.shape)}, got {tuple(g.shape)}"
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
        if _close((g.flatten().sort().values,), (w.flatten().sort().values,)):
            return f"{name} has the right numbers in the wrong places: check the order of your dimensions"
        return (f"{name} has the right shape {tuple(w.shape)} but other values: the largest difference is "
                f"{(g - w).abs().max().item():.3g}, where the right values are about {w.abs().max().item():.3g} "
                "in size")
    return "the outputs differ"


class Checker:
    """The checker of one exercise: checker(my_function) -> CheckResult."""

    def __init__(self, task: str, reference: Callable, cases: list, outputs: dict, *, arg_names=None, hints=(),
                 error_hints=(), explain=None, call=None):
        self.task, self.reference, self.cases, self.outputs = task, reference, cases, outputs
        self.arg_names, self.hints, self.error_hints, self.explain = arg_names, hints, error_hints, explain
        self.call = call or (lambda fn, inputs: fn(*inputs))
        self.mistakes: list[Mistake] = []

    def mistake(self, answer: Callable) -> Callable:
        """Decorator: `answer` makes a classic mistake, and its docstring is what the student is told."""
        self.mistakes.append(Mistake(" ".join(answer.__doc__.split()), answer))
        return answer

    def __call__(self, fn) -> CheckResult:
        if not callable(fn):
            return not_yet("pass your function itself, as in check_...(my_function), not its result: "
                           f"got a {type(fn).__name__}")
        name = getattr(fn, "__name__", "your function")
        for case in self.cases:
            verdict = self._verdict(fn, name, case)
            if verdict is not None:
                return verdict
        n = len(self.cases)
        return CheckResult(True, f"✅ Correct: {name} matches the reference on {n} random input{'s' * (n > 1)}.")

    def _answer(self, fn, case):
        return _tensors(self.call(fn, case()), self.outputs)

    def _inputs(self, case) -> str:
        inputs = case()
        shown = [f"{n}={_short(a)}" for n, a in zip(self.arg_names, inputs)] if self.arg_names else map(_short, inputs)
        return "\n   inputs: " + ", ".join(shown)

    def _verdict(self, fn, name, case) -> CheckResult | None:
        """None when fn gives the reference's answer on this case; otherwise what to tell the student."""
        want, _ = self._answer(self.reference, case)
        try:
            got, problem = self._answer(fn, case)
        except WrongReturn as wrong:
            return not_yet(str(wrong))
        except NotImplementedError:
            return CheckResult(False, f"⏳ Not written yet: {name} still raises NotImplementedError. Replace that "
                                      "line with your code, then run the cell again.")
        except Exception as error:  # the student's code failed: say where, and what usually causes it
            hints = "".join(f"\n   hint: {hint}" for needle, hint in self.error_hints if needle in str(error))
            return not_yet(f"{name} raised {type(error).__name__}: {error}{self._inputs(case)}{hints}")
        if got is not None:  # one number may come as a tensor of shape [1] too
            got = tuple(g.reshape(()) if w.dim() == 0 and g.numel() == 1 else g for g, w in zip(got, want))
            if _close(got, want):
                return None
            for mistake in self.mistakes:
                if _close(got, self._answer(mistake.answer, case)[0]):
                    return not_yet(mistake.message)
        found = problem or (self.explain and self.explain(got, want)) or _what_differs(got, want, self.outputs)
        hints = "".join(f"\n   - {hint}" for hint in self.hints)
        return not_yet(found + self._inputs(case) + (f"\n   things to check:{hints}" if hints else ""))

    def self_test(self) -> str:
        """Check the checker: the reference passes and each classic mistake gets its own message."""
        if not self(self.reference):
            raise AssertionError(f"the reference fails: {self(self.reference)}")
        for mistake in self.mistakes:
            if (message := self(mistake.answer).message) != f"❌ Not yet: {mistake.message}":
                raise AssertionError(f"{mistake.answer.__name__} is not named as such: {message}")
        names = ", ".join(mistake.answer.__name__ for mistake in self.mistakes)
        return f"{self.task}\n  the reference passes; {len(self.mistakes)} classic mistakes, each named: {names}"

    def __repr__(self) -> str:
        return f"<exercise checker: {self.task}>"
