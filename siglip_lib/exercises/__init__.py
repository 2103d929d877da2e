# GENERATED FILE, DO NOT EDIT: edit notebooks/solutions/00_checkers.ipynb and run `python tools/export.py`.

"""Self-checking exercises: check_...(my_function) says whether the function is right, and names the classic
mistakes. The engine is engine.py (notebooks/solutions/00_checkers.ipynb); each lesson's checkers, with their
reference and their mistakes, are a module of their own, written by that lesson's solutions notebook."""

from siglip_lib.exercises.attention import check_attention, check_split_heads
from siglip_lib.exercises.encoder_block import check_encoder_block, check_mlp
from siglip_lib.exercises.patch_embedding import check_patch_embedding
from siglip_lib.exercises.position_embedding import check_position_interpolation
from siglip_lib.exercises.sigmoid_loss import check_sigmoid_loss
from siglip_lib.exercises.text_tower import check_logits
from siglip_lib.exercises.training import check_lr_schedule, check_train_step
from siglip_lib.exercises.vision_model import check_map_head

CHECKERS = {  # lesson notebook -> its checkers
    "01_patch_embedding": [check_patch_embedding],
    "02_position_embedding": [check_position_interpolation],
    "03_attention": [check_attention, check_split_heads],
    "04_encoder_block": [check_mlp, check_encoder_block],
    "05_vision_model": [check_map_head],
    "06_text_tower": [check_logits],
    "07_sigmoid_loss": [check_sigmoid_loss],
    "08_training": [check_lr_schedule, check_train_step],
}
