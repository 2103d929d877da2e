# GENERATED FILE, DO NOT EDIT: edit notebooks/09_scaling_out.ipynb and run `python tools/export.py`.

import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

from siglip_lib import make_shapes, preprocess, sigmoid_loss
from siglip_lib.checks import check_shards
from siglip_lib.memory import TensorMemory
from siglip_lib.train import IMAGE_SIZE, lr_at, optimizer_step, param_groups, tiny_siglip


def pair_loss_sum(images, texts, t, b, matching: bool) -> torch.Tensor:
    """-sum log sigmoid(label * z) over one block: captions texts [m, D] (rows) against images [k, D] (columns).
    matching=True: a rank's captions against its own images, so pair (i, i) matches; otherwise no pair does."""
    logits = t * texts @ images.t() + b  # [m, k]
    labels = 2 * torch.eye(*logits.shape, dtype=logits.dtype, device=logits.device) - 1 if matching else -1
    return -F.logsigmoid(labels * logits).sum()


def ring_schedule(world_size: int) -> list[list[int]]:
    """The directions caption blocks travel at each step of the two-way ring: +1 to rank r + 1, -1 to r - 1.
    After step k, rank r holds the captions of rank r - k (+1, from the left) and r + k (-1, from the right)."""
    right, left = world_size // 2, (world_size - 1) // 2  # steps moving right, moving left: world_size - 1 in all
    return [[+1, -1] if k <= left else [+1] for k in range(1, right + 1)]


class _GatherTexts(torch.autograd.Function):  # forward: all ranks' captions [n, D]; backward: sum, keep own rows

    @staticmethod
    def forward(ctx, texts, sizes, group):
        padded = F.pad(texts, (0, 0, 0, max(sizes) - len(texts)))  # one shape on every rank
        gathered = [torch.empty_like(padded) for _ in sizes]
        dist.all_gather(gathered, padded, group=group)
        ctx.sizes, ctx.group, ctx.rank = sizes, group, dist.get_rank(group)
        return torch.cat([block[:size] for block, size in zip(gathered, sizes)])

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone(memory_format=torch.contiguous_format)  # a copy: all_reduce works in place
        dist.all_reduce(grad, group=ctx.group)  # sum over ranks
        start = sum(ctx.sizes[:ctx.rank])
        return grad[start:start + ctx.sizes[ctx.rank]], None, None


def gather_sigmoid_loss(image_embeds, text_embeds, t, b, group=None) -> torch.Tensor:
    """This rank's share of the sigmoid loss, all captions gathered: the mean over ranks is the full loss."""
    sizes, rank = check_shards(image_embeds, text_embeds, group, "gather"), dist.get_rank(group)
    all_texts = _GatherTexts.apply(text_embeds, sizes, group)  # [n, D]
    start = sum(sizes[:rank])
    logits = t * all_texts @ image_embeds.t() + b  # [n captions, n_r images]: this rank's column
    labels = -torch.ones_like(logits)
    labels[start:start + len(image_embeds)].fill_diagonal_(1)  # its own captions match its images
    return -F.logsigmoid(labels * logits).sum() * len(sizes) / sum(sizes)


def _pass_on(parcels, directions, group):
    """Send each parcel one rank along its direction (+1 or -1) and return what the opposite neighbour sent."""
    rank, world = dist.get_rank(group), dist.get_world_size(group)
    received = [torch.empty_like(parcel) for parcel in parcels]
    ops = [dist.P2POp(op, tensor, group=group, tag=tag, group_peer=(rank + sign * d) % world)
           for tag, (parcel, got, d) in enumerate(zip(parcels, received, directions))
           for op, tensor, sign in [(dist.isend, parcel.contiguous(), +1), (dist.irecv, got, -1)]]
    for request in dist.batch_isend_irecv(ops):  # all at once, so that no pair of ranks waits on each other
        request.wait()
    return received


def _ring_forward(images, texts, t, b, group) -> torch.Tensor:
    total = pair_loss_sum(images, texts, t, b, matching=True)  # step 0: this rank's own pairs
    travelling = {+1: texts, -1: texts}  # the caption block moving right, and the one moving left
    for directions in ring_schedule(dist.get_world_size(group)):
        for d, block in zip(directions, _pass_on([travelling[d] for d in directions], directions, group)):
            travelling[d] = block
            total = total + pair_loss_sum(images, block, t, b, matching=False)
    return total


def _block_grads(images, texts, t, b, matching, weight):
    """The gradients of weight * pair_loss_sum with respect to (images, texts, t, b), the block recomputed."""
    with torch.enable_grad():
        leaves = [x.detach().requires_grad_() for x in (images, texts, t, b)]
        return torch.autograd.grad(weight * pair_loss_sum(*leaves, matching), leaves)


def _ring_backward(images, texts, t, b, group, weight):
    g_images, g_texts, g_t, g_b = _block_grads(images, texts, t, b, True, weight)
    parcels = dict.fromkeys((+1, -1), torch.stack([texts, torch.zeros_like(texts)]))  # [captions, their gradient]
    schedule = ring_schedule(dist.get_world_size(group))
    for directions in schedule:
        for d, parcel in zip(directions, _pass_on([parcels[d] for d in directions], directions, group)):
            gi, gtext, gt, gb = _block_grads(images, parcel[0], t, b, False, weight)
            g_images, g_t, g_b = g_images + gi, g_t + gt, g_b + gb
            parcel[1] += gtext  # this rank's part of the gradient for the visiting captions
            parcels[d] = parcel
    trips = {d: sum(d in step for step in schedule) for d in (+1, -1)}  # how far each parcel travelled
    for d in [d for d in (+1, -1) if trips[d]]:  # send each parcel home, receive this rank's own
        home = _pass_on([parcels[d][1]], [-d * trips[d]], group)[0]
        g_texts = g_texts + home
    return g_images, g_texts, g_t, g_b


class _RingSigmoidLoss(torch.autograd.Function):
    @staticmethod
    def forward(ctx, images, texts, t, b, group):
        ctx.save_for_backward(images, texts, t, b)
        ctx.group = group
        return _ring_forward(images, texts, t, b, group) / len(images)

    @staticmethod
    def backward(ctx, grad):
        images, texts, t, b = ctx.saved_tensors
        return *_ring_backward(images, texts, t, b, ctx.group, grad / len(images)), None


def ring_sigmoid_loss(image_embeds, text_embeds, t, b, group=None) -> torch.Tensor:
    """This rank's share of the sigmoid loss by the two-way ring (equal shards); the mean over ranks: the full loss."""
    sizes = check_shards(image_embeds, text_embeds, group, "ring")
    if len(set(sizes)) > 1:
        raise ValueError(f"the ring needs the same number of pairs on every rank, got {sizes}; "
                         "use exchange='gather' for shards of different sizes")
    return _RingSigmoidLoss.apply(image_embeds, text_embeds, t, b, group)


def distributed_sigmoid_loss(image_embeds, text_embeds, t, b, exchange: str = "ring", group=None):
    """SigLIP's loss for this rank's shard of normalised embeddings [n_r, D]; t = exp(t') and b as in the model.
    The mean over ranks equals sigmoid_loss of the whole batch; exchange: "ring" or "gather"."""
    if exchange not in ("ring", "gather"):
        raise ValueError(f"exchange must be 'ring' or 'gather', got {exchange!r}")
    if not dist.is_initialized() or dist.get_world_size(group) == 1:
        return sigmoid_loss(t * text_embeds @ image_embeds.t() + b)
    loss = ring_sigmoid_loss if exchange == "ring" else gather_sigmoid_loss
    return loss(image_embeds, text_embeds, t, b, group)


def shard_loss_and_grads(image_embeds, text_embeds, t, b, sizes, exchange):
    """In a process group: this rank's loss and the gradients of (its images, its texts, t, b)."""
    mine = slice(sum(sizes[:dist.get_rank()]), sum(sizes[:dist.get_rank() + 1]))
    leaves = [x.detach().clone().requires_grad_() for x in (image_embeds[mine], text_embeds[mine], t, b)]
    loss = distributed_sigmoid_loss(*leaves, exchange=exchange)
    loss.backward()
    return loss.detach(), [x.grad for x in leaves]


def loss_memory(local_batches, width: int = 768, exchanges=("gather", "ring")) -> dict:
    """In a process group: {exchange: [peak bytes of tensors this rank's loss allocates, forward and backward,
    beyond its inputs, for each local batch size (pairs per rank)]}."""
    peaks = {exchange: [] for exchange in exchanges}
    for exchange, n in [(exchange, n) for exchange in peaks for n in local_batches]:
        torch.manual_seed(dist.get_rank())
        images, texts = (F.normalize(torch.randn(n, width), dim=-1).requires_grad_() for _ in range(2))
        t, b = torch.tensor([10.0], requires_grad=True), torch.tensor([-10.0], requires_grad=True)
        with TensorMemory() as memory:
            distributed_sigmoid_loss(images, texts, t, b, exchange).backward()
        peaks[exchange].append(memory.peak)
    return peaks


def train_data_parallel(model, config, exchange="ring", device="cpu", dtype=torch.float32) -> dict:
    """Notebook 08's training with the sigmoid loss (config.loss is not used), one shard of every batch per rank,
    DDP averaging the gradients. In a process group; returns this rank's share of the loss at every step and
    the training time in seconds."""
    rank, world = dist.get_rank(), dist.get_world_size()
    ddp = torch.nn.parallel.DistributedDataParallel(model.to(device, dtype).train())
    optimizer = torch.optim.AdamW(param_groups(model, config.weight_decay), lr=config.lr)
    history, start, n = {"loss": []}, time.perf_counter(), config.batch_size
    mine = slice(rank * n // world, (rank + 1) * n // world)  # this rank's pairs of the global batch
    for step in range(config.steps):
        batch = make_shapes(n, seed=[config.seed, step, 1], distinct_classes=True)
        out = ddp(preprocess(batch.images[mine], size=IMAGE_SIZE, device=device, dtype=dtype),
                  model.tokenizer(batch.captions[mine]).to(device))
        loss = distributed_sigmoid_loss(out.image_embeds, out.text_embeds, model.logit_scale.exp(),
                                        model.logit_bias, exchange)
        optimizer_step(model, optimizer, loss, lr_at(step, config), config.grad_clip)
        history["loss"].append(loss.item())
    return history | {"seconds": time.perf_counter() - start}


def data_parallel_weights(config, exchange: str = "ring", dtype=torch.float32) -> dict:
    """In a process group: train_data_parallel on a fresh tiny SigLIP; its weights afterwards (CPU)."""
    model = tiny_siglip()
    train_data_parallel(model, config, exchange, dtype=dtype)
    return {name: p.detach().cpu() for name, p in model.named_parameters()}
