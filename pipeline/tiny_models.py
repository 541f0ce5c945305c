"""The ``tiny`` profile: every model class the full pipeline uses, built from a small config
with seeded random weights (the way diffusers' and transformers' own tests build dummy
components). Outputs are noise; the code paths — tokenizers, processors, schedulers,
post-processing — are the real ones."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import timm
import torch
from diffusers import (
    AutoencoderKL,
    StableDiffusionPipeline,
    UNet2DConditionModel,
)
from peft import LoraConfig, get_peft_model
from transformers import (
    AutoTokenizer,
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    CLIPProcessor,
    CLIPSegConfig,
    CLIPSegForImageSegmentation,
    CLIPSegProcessor,
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTokenizer,
    DPTConfig,
    DPTForDepthEstimation,
    DPTImageProcessor,
    GroundingDinoConfig,
    GroundingDinoForObjectDetection,
    GroundingDinoImageProcessor,
    GroundingDinoProcessor,
    LlamaConfig,
    LlamaForCausalLM,
    SamConfig,
    SamImageProcessor,
    SamModel,
    SamProcessor,
    ViTImageProcessor,
)

from pipeline import diffusion_parts, tiny_tokenizers
from pipeline.model_set import ProcessedModel, TextModel

# A fixed base seed: the tiny models are identical in every process, so renders and cached
# media are reproducible across restarts and machines.
TINY_WEIGHTS_SEED = 20240611


@contextmanager
def seeded(offset: int) -> Iterator[None]:
    """Build a model under its own seed without disturbing the caller's global RNG."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(TINY_WEIGHTS_SEED + offset)
        yield


def in_eval_mode(module: Any) -> Any:
    """Switch a freshly built model to inference behaviour (dropout off) and return it."""
    torch.nn.Module.eval(module)
    return module


def clip_tokenizer() -> Any:
    """The tiny CLIP BPE tokenizer, loaded from its generated files."""
    return CLIPTokenizer.from_pretrained(tiny_tokenizers.build_clip_tokenizer_dir())


def build_llm() -> TextModel:
    """A 2-layer LlamaForCausalLM over the scene-word tokenizer."""
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizers.build_llm_tokenizer_dir())
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with seeded(1):
        model = in_eval_mode(LlamaForCausalLM(config))
    return TextModel(model=model, tokenizer=tokenizer)


def apply_tiny_lora(llm: TextModel) -> TextModel:
    """Wrap the tiny LLM with a randomly initialised LoRA adapter through peft, so the
    adapter code path runs in tests exactly as a fine-tuned adapter would for ``full``."""
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])
    # Non-zero B matrices: a default LoRA starts as the identity and would change nothing.
    lora.init_lora_weights = False
    with seeded(2):
        wrapped = in_eval_mode(get_peft_model(llm.model, lora))
    return TextModel(model=wrapped, tokenizer=llm.tokenizer)


def _text_encoder(vocab_size: int, tokenizer: Any) -> Any:
    config = CLIPTextConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=37,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return CLIPTextModel(config)


def _vae() -> Any:
    # Four blocks as in SD's VAE: latents are 1/8 of the image side (16x16 at 128 px).
    # No mid-block attention: at this width it only costs time.
    return AutoencoderKL(  # type: ignore[no-untyped-call]
        block_out_channels=(8, 16, 16, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=128,
        mid_block_add_attention=False,
    )


def _unet(in_channels: int) -> Any:
    return UNet2DConditionModel(  # type: ignore[no-untyped-call]
        block_out_channels=(16, 32),
        layers_per_block=1,
        sample_size=16,
        in_channels=in_channels,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )


def build_diffusion() -> tuple[Any, Any]:
    """Tiny Stable-Diffusion text-to-image and inpainting pipelines sharing VAE, text
    encoder, tokenizer and scheduler, as the full profile's do (pipeline/diffusion_parts)."""
    tokenizer = clip_tokenizer()
    with seeded(3):
        text_encoder = _text_encoder(len(tokenizer), tokenizer)
        vae = _vae()
        unet = _unet(in_channels=4)
    with seeded(4):
        inpaint_unet = _unet(in_channels=9)  # latents + mask + masked-image latents
    # SD1.5's noise schedule with the full profile's few-step solver.
    scheduler = diffusion_parts.few_step_scheduler(diffusion_parts.SD1_NOISE_SCHEDULE)
    t2i: Any = StableDiffusionPipeline(  # type: ignore[no-untyped-call]
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return diffusion_parts.tune(t2i), diffusion_parts.inpaint_sharing(t2i, inpaint_unet)


def _tiny_clip_text_config(tokenizer: Any) -> dict[str, Any]:
    """The text tower shared by the tiny CLIP and CLIPSeg models."""
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 77,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }


def _tiny_clip_vision_config(layers: int) -> dict[str, Any]:
    """The vision tower shared by the tiny CLIP and CLIPSeg models (32 px, 8 px patches)."""
    return {
        "image_size": 32,
        "patch_size": 8,
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": layers,
        "num_attention_heads": 4,
    }


def build_clip() -> ProcessedModel:
    """A tiny CLIPModel (text + vision towers) with a real CLIPProcessor."""
    tokenizer = clip_tokenizer()
    config = CLIPConfig(
        text_config=_tiny_clip_text_config(tokenizer),
        vision_config=_tiny_clip_vision_config(layers=2),
        projection_dim=32,
    )
    with seeded(5):
        model = in_eval_mode(CLIPModel(config))
    image_processor = CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    )
    processor = CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer)  # type: ignore[no-untyped-call]
    return ProcessedModel(model=model, processor=processor)


def build_clipseg() -> ProcessedModel:
    """A tiny CLIPSegForImageSegmentation with a real CLIPSegProcessor."""
    tokenizer = clip_tokenizer()
    config = CLIPSegConfig(
        text_config=_tiny_clip_text_config(tokenizer),
        vision_config=_tiny_clip_vision_config(layers=3),
        projection_dim=32,
        extract_layers=(1, 2),
        reduce_dim=16,
        decoder_num_attention_heads=2,
        decoder_intermediate_size=32,
    )
    with seeded(6):
        model = in_eval_mode(CLIPSegForImageSegmentation(config))
    image_processor = ViTImageProcessor(size={"height": 32, "width": 32})
    processor = CLIPSegProcessor(image_processor=image_processor, tokenizer=tokenizer)  # type: ignore[no-untyped-call]
    return ProcessedModel(model=model, processor=processor)


# The extra feature level is 1/64 of the input; GroupNorm needs more than 1x1 there.
GROUNDING_IMAGE_SIZE = 128


def build_grounding_dino() -> ProcessedModel:
    """A tiny GroundingDinoForObjectDetection (Swin + BERT backbones) and its processor."""
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizers.build_bert_tokenizer_dir())
    config = GroundingDinoConfig(
        backbone_config={
            "model_type": "swin",
            "embed_dim": 8,
            "depths": [1, 1, 1, 1],
            "num_heads": [1, 1, 1, 1],
            "window_size": 2,
            "image_size": GROUNDING_IMAGE_SIZE,
            "out_features": ["stage2", "stage3", "stage4"],
            "out_indices": [2, 3, 4],
        },
        text_config={
            "model_type": "bert",
            "vocab_size": tiny_tokenizers.BERT_VOCAB_SIZE,
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 32,
            "max_position_embeddings": 64,
        },
        d_model=32,
        encoder_layers=1,
        decoder_layers=2,  # one layer breaks the upstream bbox-head weight tying
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        num_queries=16,
        num_feature_levels=4,
        encoder_n_points=2,
        decoder_n_points=2,
        max_text_len=32,
        disable_custom_kernels=True,
    )
    with seeded(7):
        model = in_eval_mode(GroundingDinoForObjectDetection(config))
    image_processor = GroundingDinoImageProcessor(
        size={"shortest_edge": GROUNDING_IMAGE_SIZE, "longest_edge": GROUNDING_IMAGE_SIZE}
    )
    processor = GroundingDinoProcessor(image_processor=image_processor, tokenizer=tokenizer)  # type: ignore[no-untyped-call]
    return ProcessedModel(model=model, processor=processor)


SAM_IMAGE_SIZE = 64


def build_sam() -> ProcessedModel:
    """A tiny SamModel (ViT image encoder, prompt encoder, mask decoder) and SamProcessor."""
    patch = 8
    config = SamConfig(
        vision_config={
            "hidden_size": 32,
            "output_channels": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": SAM_IMAGE_SIZE,
            "patch_size": patch,
            "window_size": 4,
            "global_attn_indexes": [1],
            "mlp_dim": 64,
            "num_pos_feats": 8,
        },
        prompt_encoder_config={
            "hidden_size": 16,
            "image_size": SAM_IMAGE_SIZE,
            "patch_size": patch,
            "mask_input_channels": 4,
        },
        mask_decoder_config={
            "hidden_size": 16,
            "mlp_dim": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "iou_head_hidden_dim": 16,
        },
    )
    with seeded(8):
        model = in_eval_mode(SamModel(config))
    low_res = 4 * SAM_IMAGE_SIZE // patch  # SAM's masks are 4x its image-embedding grid
    image_processor = SamImageProcessor(
        size={"longest_edge": SAM_IMAGE_SIZE},
        pad_size={"height": SAM_IMAGE_SIZE, "width": SAM_IMAGE_SIZE},
        mask_size={"longest_edge": low_res},
        mask_pad_size={"height": low_res, "width": low_res},
    )
    return ProcessedModel(model=model, processor=SamProcessor(image_processor=image_processor))  # type: ignore[no-untyped-call]


def build_depth() -> ProcessedModel:
    """A tiny DPTForDepthEstimation (ViT backbone, reassemble + fusion neck, depth head)."""
    config = DPTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=2,
        backbone_out_indices=(0, 1),
        num_attention_heads=4,
        intermediate_size=37,
        reassemble_factors=(4, 2),
        neck_hidden_sizes=(16, 32),
        fusion_hidden_size=16,
        neck_ignore_stages=(),
        use_auxiliary_head=False,
    )
    with seeded(9):
        model = in_eval_mode(DPTForDepthEstimation(config))
    image_processor = DPTImageProcessor(
        size={"height": 32, "width": 32}, keep_aspect_ratio=False, ensure_multiple_of=1
    )
    return ProcessedModel(model=model, processor=image_processor)


def build_vit() -> torch.nn.Module:
    """timm's ViT-B/16 architecture cut to 2 blocks of width 64; head = identity.
    It keeps ViT-B/16's pretrained config, so `resolve_data_config` gives 224 px inputs."""
    with seeded(10):
        model: torch.nn.Module = timm.create_model(
            "vit_base_patch16_224",
            pretrained=False,
            num_classes=0,
            depth=2,
            embed_dim=64,
            num_heads=2,
        )
    return model.eval()
