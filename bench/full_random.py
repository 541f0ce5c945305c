"""Full-size pipeline architectures with random weights, for benchmarking compute without
weights: Llama-2-7B, SD1.5 UNet/VAE/CLIP-L text encoder (+ the 9-channel inpainting UNet),
CLIP ViT-L/14, GroundingDINO-T (Swin-T + BERT-base), SAM ViT-B, CLIPSeg rd64-refined,
ViT-B/16, Depth-Anything-V2-Small. ``reduced=True`` shrinks widths and depths so the same
code runs in a CPU test; on the ``meta`` device they cost nothing (bench/memory_plan.py).

Tokenizers are the tiny profile's (their ids fit every vocabulary here); outputs are noise,
the arithmetic is the real models'."""

from __future__ import annotations

from typing import Any

import timm
import torch
from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
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
    DepthAnythingConfig,
    DepthAnythingForDepthEstimation,
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

from pipeline import diffusion_parts, tiny_models, tiny_tokenizers
from pipeline.config import ROLES
from pipeline.model_set import ModelSet, ProcessedModel, TextModel
from pipeline.registry import place


def _llm(reduced: bool) -> TextModel:
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizers.build_llm_tokenizer_dir())
    size: dict[str, Any] = (
        {"hidden_size": 128, "intermediate_size": 344, "num_hidden_layers": 2}
        if reduced
        else {"hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32}
    )
    config = LlamaConfig(
        vocab_size=32000,
        num_attention_heads=4 if reduced else 32,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **size,
    )
    return TextModel(model=tiny_models.in_eval_mode(LlamaForCausalLM(config)), tokenizer=tokenizer)


def _sd_unet(in_channels: int, reduced: bool) -> Any:
    channels = (32, 64, 64, 64) if reduced else (320, 640, 1280, 1280)
    return UNet2DConditionModel(  # type: ignore[no-untyped-call]
        sample_size=64,
        in_channels=in_channels,
        out_channels=4,
        block_out_channels=channels,
        layers_per_block=1 if reduced else 2,
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        cross_attention_dim=64 if reduced else 768,
        attention_head_dim=8,
        norm_num_groups=32,
    )


def _sd_vae(reduced: bool) -> Any:
    return AutoencoderKL(  # type: ignore[no-untyped-call]
        block_out_channels=(32, 32, 64, 64) if reduced else (128, 256, 512, 512),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        latent_channels=4,
        layers_per_block=1 if reduced else 2,
        norm_num_groups=32,
        sample_size=512,
    )


def _diffusion(reduced: bool) -> tuple[Any, Any]:
    tokenizer = tiny_models.clip_tokenizer()
    text_config = CLIPTextConfig(
        vocab_size=49408,
        hidden_size=64 if reduced else 768,
        intermediate_size=128 if reduced else 3072,
        num_hidden_layers=2 if reduced else 12,
        num_attention_heads=4 if reduced else 12,
        max_position_embeddings=77,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    text_encoder = tiny_models.in_eval_mode(CLIPTextModel(text_config))
    # A scheduler's tables live on the CPU whatever device the models are built on.
    with torch.device("cpu"):
        scheduler = diffusion_parts.few_step_scheduler(diffusion_parts.SD1_NOISE_SCHEDULE)
    t2i: Any = StableDiffusionPipeline(  # type: ignore[no-untyped-call]
        vae=_sd_vae(reduced),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=_sd_unet(4, reduced),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    t2i = diffusion_parts.tune(t2i)
    return t2i, diffusion_parts.inpaint_sharing(t2i, _sd_unet(9, reduced))


def _clipseg(reduced: bool) -> ProcessedModel:
    """CLIPSeg rd64-refined: CLIP ViT-B/16 towers, a 64-wide decoder on layers 3/6/9."""
    tokenizer = tiny_models.clip_tokenizer()
    special = {
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    if reduced:
        config = CLIPSegConfig(
            text_config={"vocab_size": 49408, "hidden_size": 64, "intermediate_size": 128}
            | {"num_hidden_layers": 2, "num_attention_heads": 4}
            | special,
            vision_config={"hidden_size": 64, "intermediate_size": 128, "patch_size": 16}
            | {"num_hidden_layers": 3, "num_attention_heads": 4, "image_size": 224},
            projection_dim=64,
            extract_layers=(1, 2),
            reduce_dim=16,
        )
    else:
        config = CLIPSegConfig(
            text_config={"vocab_size": 49408} | special,
            vision_config={"patch_size": 16, "image_size": 224},
            use_complex_transposed_convolution=True,  # "refined"
        )
    processor = CLIPSegProcessor(  # type: ignore[no-untyped-call]
        image_processor=ViTImageProcessor(size={"height": 352, "width": 352}),
        tokenizer=tokenizer,
    )
    model = tiny_models.in_eval_mode(CLIPSegForImageSegmentation(config))
    return ProcessedModel(model=model, processor=processor)


def _clip(reduced: bool) -> ProcessedModel:
    tokenizer = tiny_models.clip_tokenizer()
    vision = (
        {"image_size": 224, "patch_size": 14, "hidden_size": 64, "intermediate_size": 128}
        | {"num_hidden_layers": 2, "num_attention_heads": 4}
        if reduced
        else {"image_size": 224, "patch_size": 14, "hidden_size": 1024}
        | {"intermediate_size": 4096, "num_hidden_layers": 24, "num_attention_heads": 16}
    )
    text = {
        "vocab_size": 49408,
        "hidden_size": 64 if reduced else 768,
        "intermediate_size": 128 if reduced else 3072,
        "num_hidden_layers": 2 if reduced else 12,
        "num_attention_heads": 4 if reduced else 12,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    config = CLIPConfig(
        text_config=text, vision_config=vision, projection_dim=64 if reduced else 768
    )

    processor = CLIPProcessor(  # type: ignore[no-untyped-call]
        image_processor=CLIPImageProcessor(
            size={"shortest_edge": 224}, crop_size={"height": 224, "width": 224}
        ),
        tokenizer=tokenizer,
    )
    return ProcessedModel(model=tiny_models.in_eval_mode(CLIPModel(config)), processor=processor)


def _grounding_dino(reduced: bool) -> ProcessedModel:
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizers.build_bert_tokenizer_dir())
    if reduced:
        config = GroundingDinoConfig(
            backbone_config={
                "model_type": "swin",
                "embed_dim": 16,
                "depths": [1, 1, 1, 1],
                "num_heads": [1, 1, 2, 2],
                "out_features": ["stage2", "stage3", "stage4"],
                "out_indices": [2, 3, 4],
            },
            text_config={
                "model_type": "bert",
                "hidden_size": 64,
                "num_hidden_layers": 1,
                "num_attention_heads": 2,
                "intermediate_size": 64,
            },
            d_model=64,
            encoder_layers=1,
            decoder_layers=2,
            encoder_ffn_dim=64,
            decoder_ffn_dim=64,
            num_queries=20,
            disable_custom_kernels=True,
        )
        side = 128
    else:
        # The defaults are GroundingDINO-T: Swin-T image backbone, BERT-base text backbone.
        config = GroundingDinoConfig(
            backbone_config={
                "model_type": "swin",
                "out_features": ["stage2", "stage3", "stage4"],
                "out_indices": [2, 3, 4],
            },
            disable_custom_kernels=True,
        )
        side = 800
    processor = GroundingDinoProcessor(  # type: ignore[no-untyped-call]
        image_processor=GroundingDinoImageProcessor(
            size={"shortest_edge": side, "longest_edge": side}
        ),
        tokenizer=tokenizer,
    )
    model = tiny_models.in_eval_mode(GroundingDinoForObjectDetection(config))
    return ProcessedModel(model=model, processor=processor)


def _sam(reduced: bool) -> ProcessedModel:
    side = 128 if reduced else 1024
    vision = (
        {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2}
        | {"global_attn_indexes": [1], "image_size": side, "mlp_dim": 128}
        if reduced
        else {"image_size": side}  # SamVisionConfig defaults are ViT-B (sam-vit-base)
    )
    config = SamConfig(
        vision_config=vision, prompt_encoder_config={"image_size": side}, mask_decoder_config={}
    )
    processor = SamProcessor(  # type: ignore[no-untyped-call]
        image_processor=SamImageProcessor(
            size={"longest_edge": side}, pad_size={"height": side, "width": side}
        )
    )
    return ProcessedModel(model=tiny_models.in_eval_mode(SamModel(config)), processor=processor)


def _depth(reduced: bool) -> ProcessedModel:
    """Depth-Anything-V2-Small (the full profile's default depth role): DINOv2-S/14 +
    DPT head, 24.8 M parameters."""
    width = 32 if reduced else 384
    config = DepthAnythingConfig(
        backbone_config={
            "model_type": "dinov2",
            "hidden_size": width,
            "num_hidden_layers": 4 if reduced else 12,
            "num_attention_heads": 2 if reduced else 6,
            "image_size": 518,
            "patch_size": 14,
            "out_indices": [1, 2, 3, 4] if reduced else [9, 10, 11, 12],
            "reshape_hidden_states": False,
        },
        fusion_hidden_size=16 if reduced else 64,
        head_hidden_size=8 if reduced else 32,
        neck_hidden_sizes=[8, 16, 32, 32] if reduced else [48, 96, 192, 384],
        reassemble_hidden_size=width,
        reassemble_factors=[4, 2, 1, 0.5],
        patch_size=14,
    )
    processor = DPTImageProcessor(
        size={"height": 518, "width": 518}, keep_aspect_ratio=True, ensure_multiple_of=14
    )
    model = tiny_models.in_eval_mode(DepthAnythingForDepthEstimation(config))
    return ProcessedModel(model=model, processor=processor)


def _vit(reduced: bool) -> torch.nn.Module:
    options: dict[str, Any] = {"depth": 2, "embed_dim": 64, "num_heads": 2} if reduced else {}
    model: torch.nn.Module = timm.create_model(
        "vit_base_patch16_224", pretrained=False, num_classes=0, **options
    )
    return model.eval()


def build_random_full(
    device: torch.device, dtype: torch.dtype, *, reduced: bool = False
) -> ModelSet:
    """Every role at full size (or reduced), random weights, placed on device/dtype."""
    # Initialise directly on the target device: random init of 7B parameters on CPU
    # would take minutes, on a GPU it takes seconds.
    with torch.device(device):
        llm = _llm(reduced)
        t2i, inpaint = _diffusion(reduced)
        models = ModelSet(
            llm=llm,
            t2i=t2i,
            inpaint=inpaint,
            clip=_clip(reduced),
            grounding_dino=_grounding_dino(reduced),
            sam=_sam(reduced),
            clipseg=_clipseg(reduced),
            vit=_vit(reduced),
            depth=_depth(reduced),
            names={role: f"random-{'reduced' if reduced else 'full'}/{role}" for role in ROLES},
            device=device,
            dtype=dtype,
        )
    return place(models, device, dtype)
