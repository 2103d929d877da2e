"""The text tower, the losses and the two-tower SigLipModel against transformers' SiglipModel."""

import math

import pytest
import torch
import torch.nn.functional as F
import transformers
from PIL import Image

from siglip_lib.config import SigLipVisionConfig
from siglip_lib.loss import sigmoid_loss, softmax_loss
from siglip_lib.config import SigLipConfig, SigLipTextConfig
from siglip_lib.model import SigLipModel
from siglip_lib.parity import perturb_like_trained
from siglip_lib.text import SigLipTextModel
from siglip_lib.tokenizers import PretrainedTokenizer, WordTokenizer
from siglip_lib.train import zero_shot


def small_config() -> SigLipConfig:
    """Small sizes with the structure of the base model (heads, MLP ratio, pooling), for fast tests."""
    text = SigLipTextConfig(vocab_size=300, embed_dim=64, max_position_embeddings=16, num_attention_heads=4,
                            num_encoder_blocks=2, mlp_hidden_dim=256)
    vision = SigLipVisionConfig(embed_dim=64, image_size=32, patch_size=8, num_attention_heads=4,
                                num_encoder_blocks=2, mlp_hidden_dim=256)
    return SigLipConfig(text, vision)


def hf_pair(config: SigLipConfig, seed: int = 0):
    """(ours, transformers) with identical weights: transformers' random init, shaken to look trained.

    The same steps as siglip_lib.parity.siglip_pair, written out on purpose: these tests check that harness
    too, and a construction bug shared by both would hide itself (issue 2 found one in transformers_pair)."""
    torch.manual_seed(seed)
    hf = transformers.SiglipModel(transformers.SiglipConfig(**config.to_transformers_dict())).eval()
    perturb_like_trained(hf, seed)
    with torch.no_grad():
        hf.logit_scale.fill_(math.log(10))
        hf.logit_bias.fill_(-10.0)
    return SigLipModel.from_transformers(hf).eval(), hf


def inputs(config: SigLipConfig, n: int = 3, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    size = config.vision_config.image_size
    pixel_values = torch.rand(n, 3, size, size, generator=gen) * 2 - 1
    input_ids = torch.randint(0, config.text_config.vocab_size, (n, config.text_config.max_position_embeddings),
                              generator=gen)
    return pixel_values, input_ids


FIELDS = ("text_embeds", "image_embeds", "logits_per_image", "logits_per_text", "loss")


@pytest.mark.parametrize("seed", [0, 1])
def test_small_model_matches_transformers(seed):
    config = small_config()
    ours, hf = hf_pair(config, seed)
    pixel_values, input_ids = inputs(config, n=4, seed=seed)
    with torch.no_grad():
        a = ours(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
        b = hf(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
    for name in FIELDS:
        torch.testing.assert_close(getattr(a, name), getattr(b, name), rtol=0, atol=1e-5)
    torch.testing.assert_close(a.text_model_output.last_hidden_state, b.text_model_output.last_hidden_state,
                               rtol=0, atol=1e-5)
    assert a.loss.item() > 0.1  # a real loss, not the trivial one of all-equal logits


def test_base_model_matches_transformers():
    """The official base configuration (203 M parameters): the numbers the issue asks for."""
    config = SigLipConfig()
    ours, hf = hf_pair(config)
    pixel_values, input_ids = inputs(config, n=2)
    with torch.no_grad():
        a = ours(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
        b = hf(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
    for name in FIELDS:
        torch.testing.assert_close(getattr(a, name), getattr(b, name), rtol=0, atol=1e-5)


def test_sigmoid_loss_is_the_formula():
    """-mean_i sum_j log sigmoid(z_ij * logit_ij), written out with loops, against the library."""
    logits = torch.randn(5, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 4
    total = 0.0
    for i in range(5):
        for j in range(5):
            z = 1.0 if i == j else -1.0
            total += -math.log(1 / (1 + math.exp(-z * logits[i, j].item())))
    assert sigmoid_loss(logits).item() == pytest.approx(total / 5, rel=1e-12)


def test_softmax_loss_is_symmetric_cross_entropy_and_ignores_bias():
    logits = torch.randn(6, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    rows = -torch.log_softmax(logits, dim=1).diagonal().mean()
    cols = -torch.log_softmax(logits, dim=0).diagonal().mean()
    assert softmax_loss(logits).item() == pytest.approx(((rows + cols) / 2).item(), rel=1e-12)
    assert softmax_loss(logits + 7).item() == pytest.approx(softmax_loss(logits).item(), rel=1e-12)
    assert sigmoid_loss(logits + 7).item() != pytest.approx(sigmoid_loss(logits).item())


@pytest.mark.parametrize("bad", [torch.zeros(3, 4), torch.zeros(3), [[0.0]]])
def test_losses_reject_non_square_logits(bad):
    for loss in (sigmoid_loss, softmax_loss):
        with pytest.raises(ValueError, match=r"square logits \[n, n\]"):
            loss(bad)


def test_save_pretrained_round_trip_in_both_libraries(tmp_path):
    config = small_config()
    ours, hf = hf_pair(config)
    ours.tokenizer = WordTokenizer(["a", "red", "circle"], max_length=config.text_config.max_position_embeddings)
    ours.save_pretrained(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors", "word_tokenizer.json"]
    back = SigLipModel.from_pretrained(tmp_path)
    for (k, a), b in zip(ours.state_dict().items(), back.state_dict().values()):
        assert torch.equal(a, b), k
    assert isinstance(back.tokenizer, WordTokenizer) and back.tokenizer.vocab == ours.tokenizer.vocab
    hf_back = transformers.SiglipModel.from_pretrained(tmp_path)
    for (k, a), b in zip(hf.state_dict().items(), hf_back.state_dict().values()):
        assert torch.equal(a, b), k


def test_from_pretrained_of_a_transformers_folder(tmp_path):
    config = small_config()
    ours, hf = hf_pair(config)
    hf.save_pretrained(tmp_path)
    loaded = SigLipModel.from_pretrained(tmp_path)
    pixel_values, input_ids = inputs(config)
    with torch.no_grad():
        torch.testing.assert_close(loaded(pixel_values=pixel_values, input_ids=input_ids).logits_per_image,
                                   hf(pixel_values=pixel_values, input_ids=input_ids).logits_per_image,
                                   rtol=0, atol=1e-5)
    assert loaded.tokenizer is None  # no tokenizer files in this folder: zero_shot says so
    with pytest.raises(ValueError, match="no tokenizer"):
        zero_shot(loaded, [Image.new("RGB", (32, 32))], ["a cat", "a dog"])


def test_from_pretrained_refuses_a_vision_tower_alone(tmp_path):
    transformers.SiglipVisionModel(transformers.SiglipVisionConfig(**small_config().vision_config
                                                                   .to_transformers_dict())).save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="model_type 'siglip'.*SigLipVisionModel.from_pretrained"):
        SigLipModel.from_pretrained(tmp_path)


def test_from_pretrained_names_missing_tensors(tmp_path):
    from safetensors.torch import load_file, save_file

    small_config_model, _ = hf_pair(small_config())
    small_config_model.save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    del tensors["text_model.final_layer_norm.weight"], tensors["logit_bias"]
    save_file(tensors, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="missing tensor logit_bias"):
        SigLipModel.from_pretrained(tmp_path)
    tensors["logit_bias"] = torch.zeros(1)
    save_file(tensors, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match=r"missing tensor text_model.final_layer_norm.weight"):
        SigLipModel.from_pretrained(tmp_path)


def test_from_pretrained_refuses_unexpected_tensors(tmp_path):
    from safetensors.torch import load_file, save_file

    model, _ = hf_pair(small_config())
    model.save_pretrained(tmp_path)
    tensors = load_file(tmp_path / "model.safetensors")
    tensors["classifier.weight"] = torch.zeros(2, 64)
    save_file(tensors, tmp_path / "model.safetensors")
    with pytest.raises(ValueError, match="unexpected tensor classifier.weight"):
        SigLipModel.from_pretrained(tmp_path)


def test_pretrained_tokenizer_pads_to_max_length():
    """The wrapper must ask transformers for padding="max_length": SigLIP reads the last position."""
    calls = []

    class Recorder:
        def __call__(self, captions, **kwargs):
            calls.append(kwargs)
            return {"input_ids": torch.zeros(len(captions), kwargs["max_length"], dtype=torch.long)}

    tokenizer = PretrainedTokenizer("unused", max_length=64)
    tokenizer._tokenizer = Recorder()
    assert tokenizer(["a cat", "a dog"]).shape == (2, 64)
    assert calls[0]["padding"] == "max_length" and calls[0]["max_length"] == 64


def test_padding_length_changes_the_caption_vector():
    """Why the wrapper above matters: the same caption padded to another length gives another vector."""
    torch.manual_seed(0)
    model = SigLipTextModel(small_config().text_config).eval()
    tokens = torch.tensor([[5, 6, 7, 2] + [1] * 12])
    with torch.no_grad():
        full = model(tokens).pooler_output
        short = model(tokens[:, :8]).pooler_output
    assert F.cosine_similarity(full, short).item() < 0.999


def test_word_tokenizer():
    tokenizer = WordTokenizer(["a", "red", "circle"], max_length=5)
    ids = tokenizer(["a red circle", "A Red circle."])
    assert ids.tolist() == [[2, 3, 4, 1, 0]] * 2
    assert tokenizer.decode(ids[0]) == "a red circle"
    with pytest.raises(ValueError, match=r"\['blue'\] in 'a blue circle' not in this tokenizer's vocabulary"):
        tokenizer("a blue circle")
    with pytest.raises(ValueError, match="at most 4 fit"):
        tokenizer("a red red red circle")
    with pytest.raises(TypeError, match="expected a caption"):
        tokenizer([3])
    with pytest.raises(ValueError, match="distinct"):
        WordTokenizer(["a", "a"], max_length=4)


@pytest.mark.parametrize("bad, error, message", [
    (torch.zeros(16, dtype=torch.long), ValueError, r"2 dimensions \[B, T\].*add a batch dimension"),
    (torch.zeros(1, 16), TypeError, r"integer token ids \(torch.int64 or torch.int32\), got torch.float32"),
    (torch.zeros(1, 16, dtype=torch.uint8), TypeError, "got torch.uint8"),
    (torch.zeros(1, 17, dtype=torch.long), ValueError, r"1 to 16 tokens long.*got 17"),
    (torch.full((1, 4), 300), ValueError, r"token ids must lie in \[0, 300\).*300 to 300"),
    ("a red circle", TypeError, "must be a torch.Tensor"),
])
def test_text_tower_rejects_bad_input_ids(bad, error, message):
    model = SigLipTextModel(small_config().text_config)
    with pytest.raises(error, match=message):
        model(bad)


def test_configs_check_their_sizes():
    with pytest.raises(ValueError, match="divisible"):
        SigLipTextConfig(embed_dim=10, num_attention_heads=3)
    with pytest.raises(ValueError, match="vocab_size must be a positive int"):
        SigLipTextConfig(vocab_size=0)
    with pytest.raises(ValueError, match=r"projection_size \(32\) != vision_config.embed_dim \(768\)"):
        SigLipConfig(SigLipTextConfig(projection_size=32), SigLipVisionConfig())
    with pytest.raises(ValueError, match="use_head"):
        SigLipConfig(vision_config=SigLipVisionConfig(use_head=False))


def test_forward_needs_both_inputs_and_initialisation_follows_the_paper():
    model = SigLipModel(small_config())
    assert model.logit_scale.exp().item() == pytest.approx(10.0)
    assert model.logit_bias.item() == -10.0
    pixel_values, input_ids = inputs(small_config())
    with pytest.raises(TypeError, match="input_ids"):
        model(pixel_values=pixel_values)
    out = model(pixel_values=pixel_values, input_ids=input_ids, return_loss=True)
    torch.testing.assert_close(out.logits_per_image, out.logits_per_text.t())
    torch.testing.assert_close(out.image_embeds.norm(dim=-1), torch.ones(3))
    assert out[0] is out.loss  # tuple-style access, as transformers


def test_pretrained_checkpoint_tokenizes_with_transformers(tmp_path):
    """A transformers folder with a SentencePiece tokenizer (a tiny one trained here, offline): from_pretrained
    attaches transformers' tokenizer, which pads every caption to max_position_embeddings."""
    import sentencepiece

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(["a photo of a cat", "a photo of a dog", "a red circle", "a blue square"] * 20))
    sentencepiece.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(tmp_path / "spiece"),
                                             vocab_size=24, pad_id=0, eos_id=1, unk_id=2, bos_id=-1, minloglevel=2)
    folder = tmp_path / "model"
    _, hf = hf_pair(small_config())
    hf.save_pretrained(folder)
    transformers.SiglipTokenizer(vocab_file=str(tmp_path / "spiece.model")).save_pretrained(folder)
    model = SigLipModel.from_pretrained(folder)
    assert isinstance(model.tokenizer, PretrainedTokenizer)
    ids = model.tokenizer(["a cat", "a photo of a dog"])
    assert ids.shape == (2, 16)  # padded to max_position_embeddings, not to the longest caption
    assert (ids[0, -3:] == ids[0, -1]).all()  # the short caption ends in padding

    images = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    best = zero_shot(model, images, ["a cat", "a dog", "a red circle"])
    assert best.shape == (2,) and best.max() < 3

    # save_pretrained copies the SentencePiece tokenizer next to the weights: the folder round-trips (issue 12)
    saved = model.save_pretrained(tmp_path / "ours")
    again = SigLipModel.from_pretrained(saved)
    assert isinstance(again.tokenizer, PretrainedTokenizer)
    assert torch.equal(again.tokenizer(["a cat", "a photo of a dog"]), ids)
    assert (transformers.AutoTokenizer.from_pretrained(saved)(["a cat"])["input_ids"]
            == transformers.AutoTokenizer.from_pretrained(folder)(["a cat"])["input_ids"])


def test_save_pretrained_refuses_a_tokenizer_it_cannot_save(tmp_path):
    model = SigLipModel(small_config())
    model.tokenizer = lambda captions: torch.zeros(len(captions), 16, dtype=torch.long)
    with pytest.raises(TypeError, match="cannot save model.tokenizer .*function.*no save"):
        model.save_pretrained(tmp_path / "out")
    assert not (tmp_path / "out").exists()  # refused before anything was written
