"""Draw the project's diagrams: assets/architecture.png, encoder_block.png, map_head.png and ring.png.

    python assets/draw_figures.py

Plain matplotlib boxes and arrows, so the figures can be changed and redrawn by anyone.
"""

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

HERE = Path(__file__).resolve().parent
INK, NOTE = "#333333", "#444444"
COLOURS = {"data": "#e8eef7", "embed": "#fde2b8", "block": "#cfe8cf", "norm": "#e6d6f0", "head": "#f7c9c9"}


def canvas(figsize, xlim, ylim):
    """A figure with one axes in data units, no frame or ticks: the diagrams are drawn in these units."""
    fig, ax = plt.subplots(figsize=figsize)
    ax.set(xlim=xlim, ylim=ylim)
    ax.axis("off")
    return fig, ax


def save(fig, path):
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


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
    fig, ax = canvas((9, 7.5), (0, 9), (0, 10))
    x = 3.2
    steps = [
        (9.3, "image", "data", "[B, 3, 224, 224]"),
        (8.1, "patch embedding\nConv2d 3→768, 16×16, stride 16", "embed", "[B, 196, 768]"),
        (6.9, "+ position embedding\n196 learned vectors", "embed", "[B, 196, 768]"),
        (5.2, "encoder block × 12\nLN → attention (12 heads) → +\nLN → MLP 768→3072→768 → +", "block", "[B, 196, 768]"),
        (3.6, "post LayerNorm", "norm", "last_hidden_state [B, 196, 768]"),
        (2.2, "MAP head: a learned probe\nattends over the 196 patches,\nthen h + MLP(LN(h))", "head",
         "pooler_output [B, 768]"),
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
    save(fig, path)


def block_box(ax, x, y, w, h, title, code, kind, fontsize=10):
    """A box with a plain-words title and, under it, the module's name in the code (monospace)."""
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                facecolor=COLOURS[kind], edgecolor=INK, linewidth=1.2))
    ax.text(x, y + (0.15 if code else 0), title, ha="center", va="center", fontsize=fontsize,
            linespacing=1.25)
    if code:
        ax.text(x, y - h / 2 + 0.16, code, ha="center", va="center", fontsize=8.5, family="monospace",
                color=NOTE)


def plus(ax, x, y, r=0.22):
    """The residual addition: a circle with a plus in it."""
    ax.add_patch(plt.Circle((x, y), r, facecolor="white", edgecolor=INK, linewidth=1.5, zorder=3))
    ax.plot([x - r * 0.6, x + r * 0.6], [y, y], color=INK, linewidth=1.5, zorder=4)
    ax.plot([x, x], [y - r * 0.6, y + r * 0.6], color=INK, linewidth=1.5, zorder=4)


def fork(ax, x, y):
    """Where the residual arm leaves the main line: a dot."""
    ax.add_patch(plt.Circle((x, y), 0.055, facecolor=INK, edgecolor=INK, zorder=3))


def residual_arm(ax, x, y_fork, y_plus, skip, r=0.22, label="residual"):
    """From the dot on the main line at y_fork, right to skip, down, and left into the ⊕ at y_plus."""
    fork(ax, x, y_fork)
    ax.plot([x, skip, skip], [y_fork, y_fork, y_plus], color=INK, linewidth=1.2, zorder=1)
    arrow(ax, (skip, y_plus), (x + r, y_plus))
    ax.text(skip + 0.12, (y_fork + y_plus) / 2, label, rotation=90, va="center", ha="left", fontsize=9,
            color=NOTE)


def encoder_block(path):
    fig, ax = canvas((5.6, 8.4), (0, 6.2), (1.2, 12.0))
    x, w, skip, r = 2.5, 3.0, 4.7, 0.22
    y = {"in": 11.5, "fork1": 10.85, "ln1": 10.15, "attn": 8.9, "add1": 7.75, "fork2": 7.1, "ln2": 6.4,
         "mlp": 4.9, "add2": 3.45, "out": 2.5}
    half = {"in": 0.27, "ln1": 0.33, "attn": 0.52, "ln2": 0.33, "mlp": 0.78, "out": 0.27}
    box(ax, x, y["in"], w, 2 * half["in"], "x   [B, N, D]", "data")
    block_box(ax, x, y["ln1"], w, 2 * half["ln1"], "LayerNorm", "layer_norm1", "norm")
    block_box(ax, x, y["attn"], w, 2 * half["attn"], "multi-head self-attention\n(12 heads)", "self_attn",
              "block")
    block_box(ax, x, y["ln2"], w, 2 * half["ln2"], "LayerNorm", "layer_norm2", "norm")
    block_box(ax, x, y["mlp"], w, 2 * half["mlp"], "Linear 768→3072\nGELU (tanh)\nLinear 3072→768", "mlp",
              "block", fontsize=9.5)
    box(ax, x, y["out"], w, 2 * half["out"], "x'   [B, N, D]", "data")
    plus(ax, x, y["add1"], r)
    plus(ax, x, y["add2"], r)
    # The main line, top to bottom: each arrow ends on the next box's top edge or the ⊕'s circle.
    seg = [(y["in"] - half["in"], y["ln1"] + half["ln1"]), (y["ln1"] - half["ln1"], y["attn"] + half["attn"]),
           (y["attn"] - half["attn"], y["add1"] + r), (y["add1"] - r, y["ln2"] + half["ln2"]),
           (y["ln2"] - half["ln2"], y["mlp"] + half["mlp"]), (y["mlp"] - half["mlp"], y["add2"] + r),
           (y["add2"] - r, y["out"] + half["out"])]
    for y0, y1 in seg:
        arrow(ax, (x, y0), (x, y1))
    # The residual arms: each leaves the main line at a dot, goes round its branch, and joins at the ⊕.
    residual_arm(ax, x, y["fork1"], y["add1"], skip, r)
    residual_arm(ax, x, y["fork2"], y["add2"], skip, r)
    # What each ⊕ computes, on the left.
    ax.text(x - r - 0.12, y["add1"], "x + self_attn(layer_norm1(x))", ha="right", va="center", fontsize=8,
            family="monospace", color=NOTE)
    ax.text(x - r - 0.12, y["add2"], "x + mlp(layer_norm2(x))", ha="right", va="center", fontsize=8,
            family="monospace", color=NOTE)
    ax.text(x, 1.7, "D = 768, N = 196 in ViT-B/16 at 224 px;\nthe block keeps the shape [B, N, D]",
            ha="center", va="center", fontsize=8.5, color=NOTE)
    ax.set_title("One pre-LayerNorm encoder block", fontsize=12)
    save(fig, path)


def map_head(path):
    fig, ax = canvas((7.4, 8.6), (0, 8.4), (2.85, 12.1))
    x, w, skip, r = 2.6, 3.2, 4.6, 0.22
    # The inputs: N patch tokens (keys and values) and the one learned probe (the query).
    cell, gap, ty = 0.3, 0.08, 11.0
    xs = [3.55 + i * (cell + gap) for i in range(6)] + [3.55 + i * (cell + gap) + 0.45 for i in range(6, 8)]
    for i, cx in enumerate(xs):
        ax.add_patch(plt.Rectangle((cx - cell / 2, ty - cell / 2), cell, cell, facecolor=COLOURS["norm"],
                                   edgecolor="#7a6a8c", linewidth=0.9))
        ax.plot([cx, 3.6], [ty - cell / 2, 10.15], color="#9a9a9a", linewidth=0.8, zorder=1)
    ax.text((xs[5] + xs[6]) / 2, ty, "…", ha="center", va="center", fontsize=12)
    ax.text((xs[0] + xs[-1]) / 2, ty + 0.3, "N patch tokens, after post_layernorm\n[B, N, D]", ha="center",
            va="bottom", fontsize=9, linespacing=1.2)
    px, ps = 1.5, 0.42
    ax.add_patch(plt.Rectangle((px - ps / 2, ty - ps / 2), ps, ps, facecolor=COLOURS["head"], edgecolor=INK,
                               linewidth=1.6))
    ax.text(px, ty + 0.3, "learned [1, 1, D],\nexpanded to [B, 1, D]", ha="center", va="bottom", fontsize=9,
            linespacing=1.2)
    ax.text(px - ps / 2 - 0.12, ty, "probe", ha="right", va="center", fontsize=8.5, family="monospace",
            color=NOTE)
    # The attention: one query, N keys and values.
    ya, ha = 9.1, 0.55
    block_box(ax, x, ya, w, 2 * ha, "multi-head attention\n(12 heads; 1 query, N keys)",
              "attention", "head", fontsize=9.5)
    arrow(ax, (px, ty - ps / 2), (px, ya + ha))
    ax.text(px - 0.1, (ty - ps / 2 + ya + ha) / 2, "query", ha="right", va="center", fontsize=9, color=NOTE)
    arrow(ax, (3.6, 10.15), (3.6, ya + ha))
    ax.text(3.72, 9.92, "keys, values", ha="left", va="center", fontsize=9, color=NOTE)
    # h + mlp(layernorm(h)): the only residual in the head.
    y = {"fork": 7.95, "ln": 7.3, "mlp": 5.95, "add": 4.65, "out": 3.75}
    half = {"ln": 0.33, "mlp": 0.75, "out": 0.3}
    block_box(ax, x, y["ln"], w, 2 * half["ln"], "LayerNorm", "layernorm", "norm")
    block_box(ax, x, y["mlp"], w, 2 * half["mlp"], "Linear 768→3072\nGELU (tanh)\nLinear 3072→768", "mlp",
              "block", fontsize=9.5)
    plus(ax, x, y["add"], r)
    box(ax, x, y["out"], w, 2 * half["out"], "h[:, 0]   [B, D]", "data")
    for y0, y1 in [(ya - ha, y["ln"] + half["ln"]), (y["ln"] - half["ln"], y["mlp"] + half["mlp"]),
                   (y["mlp"] - half["mlp"], y["add"] + r), (y["add"] - r, y["out"] + half["out"])]:
        arrow(ax, (x, y0), (x, y1))
    ax.text(x - 0.12, (ya - ha + y["fork"]) / 2, "h  [B, 1, D]", ha="right", va="center", fontsize=8.5,
            family="monospace", color=NOTE)
    residual_arm(ax, x, y["fork"], y["add"], skip, r)
    ax.text(x - r - 0.12, y["add"], "h + mlp(layernorm(h))", ha="right", va="center", fontsize=8,
            family="monospace", color=NOTE)
    ax.text(x, y["out"] - 0.6, "pooler_output: the image embedding", ha="center", va="center", fontsize=9)
    # How it differs from an encoder block.
    note = ("Unlike an encoder block:\n"
            "• no LayerNorm before the\n  attention (the tokens come\n  normed from post_layernorm)\n"
            "• no residual around the\n  attention: h is its output,\n  the probe is not added back\n"
            "Only the MLP has a residual.")
    note_box = {"boxstyle": "round,pad=0.4", "facecolor": "#f4f4f4", "edgecolor": "#999999", "linewidth": 0.9}
    ax.text(5.2, 6.6, note, ha="left", va="center", fontsize=9, linespacing=1.35, bbox=note_box)
    ax.set_title("SigLIP's MAP head (multihead attention pooling)", fontsize=12)
    save(fig, path)


def blocks_at(step, world):
    """{(rank of the captions, rank of the images)}: the blocks of logits the ring computes at this step."""
    from siglip_lib.distributed import ring_schedule

    if step == 0:
        return {(r, r) for r in range(world)}
    return {((r - d * step) % world, r) for r in range(world) for d in ring_schedule(world)[step - 1]}


def ring_holdings(ax, step, world, colours):
    """The ranks on a circle, each with the caption blocks it holds at this step, and this step's messages."""
    from siglip_lib.distributed import ring_schedule

    angles = np.pi / 2 - 2 * np.pi * np.arange(world) / world  # rank 0 at the top, then clockwise
    xy = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    for r in range(world):
        held = sorted(i for i, c in blocks_at(step, world) if c == r)
        ax.add_patch(plt.Circle(xy[r], 0.32, color=colours[r]))
        ax.text(*xy[r], f"rank {r}\ny of {', '.join(map(str, held))}", ha="center", va="center", fontsize=8,
                color="white")
        for d in ring_schedule(world)[step - 1] if step else []:  # a block arrives at r from r - d
            a, z = xy[(r - d) % world], xy[r]
            u = (z - a) / np.linalg.norm(z - a)
            ax.add_patch(FancyArrowPatch(a + 0.36 * u, z - 0.36 * u, arrowstyle="-|>", mutation_scale=10,
                                         color=INK, connectionstyle="arc3,rad=0.25"))  # two ways: two arcs
    ax.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), aspect="equal")
    ax.axis("off")


def ring(path, world=4):
    """The two-way ring of notebook 09, step by step: blocks of logits computed (top), caption blocks held (bottom)."""
    colours = plt.cm.tab10.colors
    titles = ["step 0: each rank, its own pairs", "step 1: captions from both neighbours",
              "step 2: captions from two ranks away"]
    fig, axes = plt.subplots(2, 3, figsize=(12, 8), layout="constrained")
    for step, (ax, ax_ring) in enumerate(zip(*axes)):
        earlier = {blk for s in range(step) for blk in blocks_at(s, world)}
        for (i, c), alpha in [(blk, 0.25) for blk in earlier] + [(blk, 1.0) for blk in blocks_at(step, world)]:
            ax.add_patch(plt.Rectangle((c, i), 1, 1, color=colours[c], alpha=alpha))
        ticks = [k + 0.5 for k in range(world)]
        ax.set(xlim=(0, world), ylim=(world, 0), aspect="equal", xticks=ticks, yticks=ticks, title=titles[step],
               xticklabels=[f"x of {k}" for k in range(world)], yticklabels=[f"y of {k}" for k in range(world)])
        ax.set_xlabel("images (columns), by the rank that holds them")
        ax.set_ylabel("captions (rows), by rank")
        ring_holdings(ax_ring, step, world, colours)
    fig.suptitle(f"The two-way ring on {world} ranks: the blocks of logits computed (top; pale: earlier steps) "
                 "and the caption blocks each rank holds (bottom; arrows: this step's messages)")
    save(fig, path)


if __name__ == "__main__":
    figures = {"architecture.png": architecture, "encoder_block.png": encoder_block, "map_head.png": map_head,
               "ring.png": ring}
    for name, draw in figures.items():
        draw(HERE / name)
    print("wrote", *(HERE / name for name in figures))
