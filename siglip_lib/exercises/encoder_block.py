# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/04_encoder_block.ipynb and run `python tools/export.py`.

import torch
import torch.nn.functional as F

from siglip_lib import SigLipVisionConfig
from siglip_lib.encoder import MLP, EncoderBlock
from siglip_lib.exercises.engine import Checker, seeded


def small_config():  # D = 12 in 3 heads, MLP 24 wide
    return SigLipVisionConfig(embed_dim=12, num_attention_heads=3, mlp_hidden_dim=24, image_size=8, patch_size=4)


def random_norms(module):  # LayerNorms with random weights and biases, so that using the wrong one shows
    for m in module.modules():
        if isinstance(m, torch.nn.LayerNorm):
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.normal_(0, 0.5)
    return module.eval()


def mlp_forward(mlp, x):
    """x [B, N, D] -> [B, N, D] through mlp.fc1, the activation, mlp.fc2."""
    return mlp.fc2(F.gelu(mlp.fc1(x), approximate="tanh"))


check_mlp = Checker(
    "mlp_forward(mlp, x [B, N, D]) -> [B, N, D]: fc1, GELU (tanh approximation), fc2", mlp_forward,
    [seeded(9, lambda: (MLP(small_config()).eval(), 3 * torch.randn(2, 5, 12))),
     seeded(10, lambda: (MLP(small_config()).eval(), 3 * torch.randn(1, 3, 12)))],
    outputs={"output": "[B, N, D]"},
    hints=["mlp.fc1 widens to [B, N, 4D], mlp.fc2 comes back to [B, N, D]",
           "the activation in between: F.gelu(h, approximate='tanh')"])


@check_mlp.mistake
def exact_gelu(mlp, x):
    """the exact GELU: SigLIP uses its tanh approximation, F.gelu(h, approximate='tanh'). The two differ by
    less than 1e-3, but only the tanh one gives the pretrained model's numbers."""
    return mlp.fc2(F.gelu(mlp.fc1(x)))


@check_mlp.mistake
def relu(mlp, x):
    """ReLU instead of GELU: SigLIP's MLP uses F.gelu(h, approximate='tanh')."""
    return mlp.fc2(torch.relu(mlp.fc1(x)))


@check_mlp.mistake
def no_activation(mlp, x):
    """no activation between fc1 and fc2: two Linear layers in a row are one linear map. Put
    F.gelu(h, approximate='tanh') between them."""
    return mlp.fc2(mlp.fc1(x))


@check_mlp.mistake
def no_fc2(mlp, x):
    """you stopped after fc1 and the GELU ([B, N, 4D]): apply mlp.fc2 to come back to [B, N, D]."""
    return F.gelu(mlp.fc1(x), approximate="tanh")


def block_forward(block, x):
    """x [B, N, D] -> [B, N, D]: one pre-LN encoder block."""
    x = x + block.self_attn(block.layer_norm1(x))[0]
    return x + block.mlp(block.layer_norm2(x))


check_encoder_block = Checker(
    "block_forward(block, x [B, N, D]) -> [B, N, D]: x + attn(LN1(x)), then x + MLP(LN2(x))", block_forward,
    [seeded(11, lambda: (random_norms(EncoderBlock(small_config())), torch.randn(2, 5, 12))),
     seeded(12, lambda: (random_norms(EncoderBlock(small_config())), torch.randn(1, 4, 12)))],
    outputs={"output": "[B, N, D]"},
    hints=["each branch adds to the stream: x = x + branch(its LayerNorm(x))",
           "attention first (layer_norm1, self_attn), then the MLP (layer_norm2, mlp)"],
    error_hints=[("tuple", "block.self_attn(h) returns a pair (output, weights): take [0]")])


@check_encoder_block.mistake
def no_attention_residual(block, x):
    """forgot the residual around attention: x = x + block.self_attn(block.layer_norm1(x))[0]."""
    x = block.self_attn(block.layer_norm1(x))[0]
    return x + block.mlp(block.layer_norm2(x))


@check_encoder_block.mistake
def no_mlp_residual(block, x):
    """forgot the residual around the MLP: x = x + block.mlp(block.layer_norm2(x))."""
    x = x + block.self_attn(block.layer_norm1(x))[0]
    return block.mlp(block.layer_norm2(x))


@check_encoder_block.mistake
def no_residuals(block, x):
    """forgot both residuals: each branch adds to the stream, x = x + branch(LN(x))."""
    return block.mlp(block.layer_norm2(block.self_attn(block.layer_norm1(x))[0]))


@check_encoder_block.mistake
def post_ln(block, x):
    """that is a post-LN block (LayerNorm after the sum, as in the 2017 Transformer). SigLIP is pre-LN:
    normalise the input of each branch, x + attn(LN1(x)), and leave the stream itself unnormalised."""
    x = block.layer_norm1(x + block.self_attn(x)[0])
    return block.layer_norm2(x + block.mlp(x))


@check_encoder_block.mistake
def normalised_stream(block, x):
    """the residual carries LN(x) instead of x: keep h = LN1(x) for the branch only, and add its output to
    the original x."""
    x = block.layer_norm1(x)
    x = x + block.self_attn(x)[0]
    x = block.layer_norm2(x)
    return x + block.mlp(x)


@check_encoder_block.mistake
def layer_norm1_twice(block, x):
    """you used layer_norm1 twice: the MLP branch has its own, block.layer_norm2. Each LayerNorm learns the
    weight and bias of the branch it feeds."""
    x = x + block.self_attn(block.layer_norm1(x))[0]
    return x + block.mlp(block.layer_norm1(x))


@check_encoder_block.mistake
def layer_norm2_twice(block, x):
    """you used layer_norm2 twice: the attention branch has its own, block.layer_norm1, the one that comes
    before block.self_attn."""
    x = x + block.self_attn(block.layer_norm2(x))[0]
    return x + block.mlp(block.layer_norm2(x))


@check_encoder_block.mistake
def layer_norms_swapped(block, x):
    """the two LayerNorms are swapped: layer_norm1 goes before attention, layer_norm2 before the MLP."""
    x = x + block.self_attn(block.layer_norm2(x))[0]
    return x + block.mlp(block.layer_norm1(x))


@check_encoder_block.mistake
def mlp_first(block, x):
    """the MLP runs before attention: attention comes first, x = x + attn(LN1(x)), then the MLP."""
    x = x + block.mlp(block.layer_norm2(x))
    return x + block.self_attn(block.layer_norm1(x))[0]


@check_encoder_block.mistake
def parallel_branches(block, x):
    """the MLP sees the block's input, not the output of the attention step: compute x = x + attn(LN1(x))
    first, then x = x + MLP(LN2(x)) with that new x."""
    return x + block.self_attn(block.layer_norm1(x))[0] + block.mlp(block.layer_norm2(x))
