"""Draw the project's diagrams: assets/architecture.png and assets/encoder_block.png.

    python assets/draw_figures.py

Plain matplotlib boxes and arrows, so the figures can be changed and redrawn by anyone.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

HERE = Path(__file__).resolve().parent
COLOURS = {"data": "#e8eef7", "embed": "#fde2b8", "block": "#cfe8cf", "norm": "#e6d6f0", "head": "#f7c9c9"}


def box(ax, x, y, w, h, text, kind, fontsize=10):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=COLOURS[kind], edgecolor="#333333", linewidth=1.2))
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def arrow(ax, start, end, text=None, rad=0.0):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color="#333333",
                                 linewidth=1.2, connectionstyle=f"arc3,rad={rad}"))
    if text:
        ax.text((start[0] + end[0]) / 2 + 0.12, (start[1] + end[1]) / 2, text, fontsize=8.5,
                color="#444444", va="center", family="monospace")


def architecture(path):
    fig, ax = plt.subplots(figsize=(9, 7.5))
    ax.set_xlim(0, 9)
    ax.set_ylim(0, 10)
    ax.axis("off")
    x = 3.2
    steps = [
        (9.3, "image", "data", "[B, 3, 224, 224]"),
        (8.1, "patch embedding\nConv2d 3→768, 16×16, stride 16", "embed", "[B, 196, 768]"),
        (6.9, "+ position embedding\n196 learned vectors", "embed", "[B, 196, 768]"),
        (5.2, "encoder block × 12\nLN → attention (12 heads) → +\nLN → MLP 768→3072→768 → +", "block", "[B, 196, 768]"),
        (3.6, "post LayerNorm", "norm", "last_hidden_state [B, 196, 768]"),
        (2.2, "MAP head: a learned probe\nattends over the 196 patches,\nthen h + MLP(LN(h))", "head", "pooler_output [B, 768]"),
    ]
    heights = {9.3: 0.6, 8.1: 0.8, 6.9: 0.8, 5.2: 1.3, 3.6: 0.6, 2.2: 1.1}
    for i, (y, text, kind, shape) in enumerate(steps):
        box(ax, x, y, 4.2, heights[y], text, kind)
        if i + 1 < len(steps):
            y_next = steps[i + 1][0]
            arrow(ax, (x, y - heights[y] / 2), (x, y_next + heights[y_next] / 2), shape)
    arrow(ax, (x, 2.2 - 0.55), (x, 0.75), "pooler_output [B, 768]")
    ax.text(x, 0.5, "one embedding per image (compared with text embeddings in SigLIP)", ha="center", fontsize=9)
    # The image cut into patches, on the right.
    gx, gy, cell = 6.4, 7.0, 0.17
    for r in range(14):
        for c in range(14):
            ax.add_patch(plt.Rectangle((gx + c * cell, gy + (13 - r) * cell), cell, cell, facecolor="#e8eef7",
                                       edgecolor="#7a8cab", linewidth=0.4))
    ax.text(gx + 7 * cell, gy - 0.45, "224 px = 14 × 14 patches\nof 16 × 16 px each", ha="center", fontsize=8.5)
    arrow(ax, (gx - 0.1, gy + 1.2), (x + 2.15, 8.1), rad=0.2)
    ax.set_title("SigLIP vision encoder (ViT-B/16, 224 px)", fontsize=13)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def encoder_block(path):
    fig, ax = plt.subplots(figsize=(5.5, 7))
    ax.set_xlim(0, 6)
    ax.set_ylim(0, 10.4)
    ax.axis("off")
    x, skip = 2.6, 4.9
    ys = {"in": 9.7, "ln1": 8.6, "attn": 7.4, "add1": 6.3, "ln2": 5.0, "mlp": 3.6, "add2": 2.3, "out": 1.2}
    box(ax, x, ys["in"], 2.6, 0.5, "x  [B, N, D]", "data")
    box(ax, x, ys["ln1"], 2.6, 0.55, "LayerNorm 1", "norm")
    box(ax, x, ys["attn"], 2.6, 0.8, "multi-head\nself-attention", "block")
    box(ax, x, ys["add1"], 0.55, 0.55, "+", "data", fontsize=14)
    box(ax, x, ys["ln2"], 2.6, 0.55, "LayerNorm 2", "norm")
    box(ax, x, ys["mlp"], 2.6, 1.0, "MLP\nLinear D→4D, GELU (tanh)\nLinear 4D→D", "block", fontsize=9)
    box(ax, x, ys["add2"], 0.55, 0.55, "+", "data", fontsize=14)
    box(ax, x, ys["out"], 2.6, 0.5, "x'  [B, N, D]", "data")
    order = ["in", "ln1", "attn", "add1", "ln2", "mlp", "add2", "out"]
    half = {"in": 0.25, "ln1": 0.275, "attn": 0.4, "add1": 0.275, "ln2": 0.275, "mlp": 0.5, "add2": 0.275,
            "out": 0.25}
    for a, b in zip(order, order[1:]):
        arrow(ax, (x, ys[a] - half[a]), (x, ys[b] + half[b]))
    # Residual connections around each sub-layer.
    for start, end in [("in", "add1"), ("add1", "add2")]:
        y0, y1 = ys[start] - (0.1 if start == "in" else 0.0), ys[end]
        ax.plot([x + (1.3 if start == "in" else 0.28), skip, skip], [y0, y0, y1], color="#333333", linewidth=1.2)
        arrow(ax, (skip, y1), (x + 0.28, y1))
        ax.text(skip + 0.1, (y0 + y1) / 2, "residual", rotation=90, va="center", fontsize=9, color="#444444")
    ax.set_title("One pre-LayerNorm encoder block", fontsize=12)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


if __name__ == "__main__":
    architecture(HERE / "architecture.png")
    encoder_block(HERE / "encoder_block.png")
    print("wrote", HERE / "architecture.png", "and", HERE / "encoder_block.png")
