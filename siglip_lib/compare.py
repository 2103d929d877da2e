# GENERATED FILE, DO NOT EDIT: edit notebooks/11_parity.ipynb and run `python tools/export.py`.

"""python -m siglip_lib.compare: the from-scratch SigLIP (or SigLIP 2) vision model against transformers, on a
real photo."""
import argparse
import sys
import tempfile
from pathlib import Path

import torch

from siglip_lib.checkpoint import (OFFICIAL_MODEL_ID, SIGLIP2_MODEL_ID, HubUnavailableError, hub_disabled,
                                   vision_model_for)
from siglip_lib.parity import cosine_stats, max_abs_diff
from siglip_lib.preprocess import preprocess
from siglip_lib.siglip2 import SigLip2VisionModel, preprocess_naflex


def default_image() -> Path:
    """The sample photo shipped in the repository's assets/ folder."""
    return Path(__file__).resolve().parent.parent / "assets" / "grace_hopper.jpg"


def _load_pair(model_id: str, workdir: str):
    """(ours, theirs, description): pretrained from the hub when possible, else random official weights."""
    import transformers

    ours_class, official = vision_model_for(model_id)  # SigLIP 2 when the name says siglip2
    hf_name = ours_class.hf_classes[0]  # "SiglipVisionModel" or "Siglip2VisionModel", and its config class:
    hf_class, hf_config_class = (getattr(transformers, name) for name in (hf_name, hf_name.replace("Model", "Config")))
    offline = f"both models get the same random weights with the {official} configuration."
    if hub_disabled():
        print(f"Offline (SIGLIP_OFFLINE is set): {offline}")
    else:
        try:  # ours first: it fails within seconds without a network, where transformers retries for half a minute
            ours = ours_class.from_pretrained(model_id)
            theirs = hf_class.from_pretrained(model_id).eval()
            return ours, theirs, f"pretrained weights of {model_id}"
        except HubUnavailableError:
            print(f"Offline: the Hugging Face hub cannot be reached, so {offline}")
    torch.manual_seed(0)
    theirs = hf_class(hf_config_class(**ours_class.config_class().to_transformers_dict()))
    theirs.save_pretrained(workdir)  # our loader reads what transformers writes
    return ours_class.from_pretrained(workdir), theirs.eval(), "random weights, official configuration"


def report(a, b) -> float:
    """Print how our output a and transformers' output b agree; return the largest |difference|."""
    print(f"before pooling (last_hidden_state): ours {tuple(a.last_hidden_state.shape)}, "
          f"transformers {tuple(b.last_hidden_state.shape)}")
    outputs = ["last_hidden_state"]
    if a.pooler_output is None or b.pooler_output is None:
        print("after pooling: no MAP head in this checkpoint (vision_use_head=False)")
    else:
        outputs.append("pooler_output")
        print(f"after pooling (pooler_output):      ours {tuple(a.pooler_output.shape)}, "
              f"transformers {tuple(b.pooler_output.shape)}")
    worst = 0.0
    for name in outputs:
        x, y = getattr(a, name), getattr(b, name)
        (mean, low), diff = cosine_stats(x, y), max_abs_diff(x, y)
        worst = max(worst, diff)
        print(f"{name:17s}  cosine similarity mean {mean:.6f} min {low:.6f}  max |difference| {diff:.2e}"
              f"{'  (bit-for-bit identical)' if torch.equal(x, y) else ''}")
    return worst


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siglip_lib.compare", description=__doc__)
    parser.add_argument("--image", type=Path, default=None, help="photo to run both models on "
                        "(default: assets/grace_hopper.jpg)")
    parser.add_argument("--model-id", default=OFFICIAL_MODEL_ID, help="hub id of the checkpoint (an id naming "
                        f"siglip2, such as {SIGLIP2_MODEL_ID}, selects SigLIP 2)")
    parser.add_argument("--max-patches", type=int, default=256, help="SigLIP 2's patch budget (default 256)")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="largest allowed |difference|")
    args = parser.parse_args(argv)
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    args.image = args.image or default_image()
    with tempfile.TemporaryDirectory() as workdir, torch.no_grad():
        ours, theirs, weights = _load_pair(args.model_id, workdir)
        siglip2 = isinstance(ours, SigLip2VisionModel)  # the photo at its own shape, or at the checkpoint's size
        inputs = (preprocess_naflex(args.image, max_num_patches=args.max_patches) if siglip2 else
                  {"pixel_values": preprocess(args.image, size=ours.config.image_size)})
        a, b = ours(**inputs), theirs(**inputs)
        for out in (a, b) if siglip2 else ():  # padding rows are never read: compare the patches
            out.last_hidden_state = out.last_hidden_state[inputs["pixel_attention_mask"].bool()][None]
    shapes = f", spatial_shapes {inputs['spatial_shapes'].tolist()}" if "spatial_shapes" in inputs else ""
    print(f"weights: {weights}; image: {args.image.name} -> pixel_values {tuple(inputs['pixel_values'].shape)}{shapes}")
    worst = report(a, b)
    ok = worst <= args.tolerance
    print(f"{'PASS' if ok else 'FAIL'}: largest difference {worst:.2e} {'<=' if ok else '>'} "
          f"tolerance {args.tolerance:.0e}")
    return 0 if ok else 1


if __name__ == "__main__" and "__file__" in globals():  # run as a script; in a notebook this cell only defines
    sys.exit(main())
