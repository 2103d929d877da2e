# GENERATED FILE, DO NOT EDIT: edit notebooks/A1_engineering.ipynb and run `python tools/export.py`.

import json
import re
import shutil
from pathlib import Path

import torch


class WordTokenizer:
    """Word-level tokenizer for a small, closed vocabulary: each caption -> ids of its words, <eos>, then
    <pad> up to max_length. Calling it on a list of captions gives input_ids [B, max_length]."""

    PAD, EOS = "<pad>", "<eos>"
    FILE = "word_tokenizer.json"  # the name it has in a save_pretrained folder

    def __init__(self, words, max_length: int):
        self.vocab = [self.PAD, self.EOS, *words]
        self.ids = {w: i for i, w in enumerate(self.vocab)}
        if len(self.ids) != len(self.vocab):
            raise ValueError(f"the words of a vocabulary must be distinct, got {list(words)}")
        self.max_length = max_length
        self.pad_token_id, self.eos_token_id = self.ids[self.PAD], self.ids[self.EOS]

    def __len__(self) -> int:
        return len(self.vocab)

    def __call__(self, captions) -> torch.Tensor:
        captions = [captions] if isinstance(captions, str) else list(captions)
        return torch.tensor([self.encode(c) for c in captions], dtype=torch.long)  # [B, max_length]

    def encode(self, caption: str) -> list[int]:
        if not isinstance(caption, str):
            raise TypeError(f"expected a caption (str), got {type(caption).__name__}")
        words = re.findall(r"[a-z0-9]+", caption.lower())
        unknown = [w for w in words if w not in self.ids]
        if unknown:
            raise ValueError(f"{unknown} in {caption!r} not in this tokenizer's vocabulary: its {len(self) - 2} "
                             f"words are {self.vocab[2:]} (plus {self.PAD} and {self.EOS})")
        if len(words) + 1 > self.max_length:
            raise ValueError(f"{caption!r} has {len(words)} words; at most {self.max_length - 1} fit (+ <eos>)")
        ids = [self.ids[w] for w in words] + [self.eos_token_id]
        return ids + [self.pad_token_id] * (self.max_length - len(ids))

    def decode(self, ids) -> str:
        return " ".join(self.vocab[i] for i in ids if i not in (self.pad_token_id, self.eos_token_id))

    def save(self, folder) -> None:
        data = {"words": self.vocab[2:], "max_length": self.max_length}
        (Path(folder) / self.FILE).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder) -> "WordTokenizer":
        data = json.loads((Path(folder) / cls.FILE).read_text(encoding="utf-8"))
        return cls(data["words"], data["max_length"])


class PretrainedTokenizer:
    """transformers' tokenizer of a pretrained SigLIP, called the way SigLIP was trained: every caption padded
    to max_length. (Padding to the longest caption instead is the classic mistake: the last position, which
    SigLIP reads the caption vector from, then holds a different token.) Loaded from the checkpoint's folder
    on first use, so it needs no network of its own."""

    FILES = ("tokenizer_config.json", "tokenizer.json", "spiece.model", "special_tokens_map.json")

    def __init__(self, folder, max_length: int):
        self.name_or_path, self.max_length, self._tokenizer = str(folder), max_length, None

    def __call__(self, captions) -> torch.Tensor:
        if self._tokenizer is None:
            from transformers import AutoTokenizer

            self._tokenizer = AutoTokenizer.from_pretrained(self.name_or_path)
        captions = [captions] if isinstance(captions, str) else list(captions)
        return self._tokenizer(captions, padding="max_length", max_length=self.max_length, truncation=True,
                               return_tensors="pt")["input_ids"]

    def save(self, folder) -> None:
        """Copy the tokenizer's files next to the weights, so the saved folder loads with its tokenizer."""
        for name in self.FILES:
            source = Path(self.name_or_path) / name
            if source.is_file() and source.resolve() != (Path(folder) / name).resolve():
                shutil.copyfile(source, Path(folder) / name)


def load_tokenizer(folder, max_length: int):
    """The tokenizer saved in a checkpoint folder: a WordTokenizer, transformers' own, or None if there is none."""
    folder = Path(folder)
    if (folder / WordTokenizer.FILE).is_file():
        return WordTokenizer.load(folder)
    if any((folder / name).is_file() for name in PretrainedTokenizer.FILES):
        return PretrainedTokenizer(folder, max_length)
    return None
