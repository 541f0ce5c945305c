"""The per-role resident memory of the default full profile in docs/BENCHMARKS.md is the
one the real architectures have: computed again here on the meta device (seconds, no
memory) and compared with the document, so the figure cannot go stale."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import memory_plan

BENCHMARKS = Path(__file__).resolve().parents[2] / "docs" / "BENCHMARKS.md"


@pytest.fixture(scope="module")
def memory() -> dict[str, memory_plan.RoleMemory]:
    return memory_plan.role_memory(memory_plan.meta_models())


def test_benchmarks_doc_carries_the_current_memory_plan(
    memory: dict[str, memory_plan.RoleMemory],
) -> None:
    text = BENCHMARKS.read_text(encoding="utf-8")
    start, end = text.index(memory_plan.BEGIN), text.index(memory_plan.END)
    documented = text[start : end + len(memory_plan.END)]
    assert documented == memory_plan.markdown(memory), (
        "docs/BENCHMARKS.md is stale: paste the output of `cinealert bench memory`"
    )


def test_known_architecture_sizes_and_sharing(memory: dict[str, memory_plan.RoleMemory]) -> None:
    # Published sizes of the default checkpoints' architectures.
    assert memory["llm"].parameters == 6_738_415_616  # Llama-2-7B
    assert memory["clip"].parameters == 427_616_513  # CLIP ViT-L/14
    assert memory["depth"].parameters == 24_785_089  # Depth-Anything-V2-Small
    # The inpainting role is its UNet alone: VAE and text encoder are counted in t2i.
    assert memory["inpaint"].parameters == 859_535_364
    assert memory["t2i"].parameters == 859_520_964 + 83_653_863 + 123_060_480
    assert all(entry.bytes == 2 * entry.parameters for entry in memory.values())  # float16
    # The serving plan keeps the LLM in CPU memory and loads one segmenter per method; the
    # cinemagraph keeps the inpainting UNet for its background layer, not ViT.
    served = memory_plan.plan(memory, "cinemagraph", llm_offload=True)
    assert served["llm"] == "cpu" and served["inpaint"] == "cuda"
    assert "clipseg" not in served and "vit" not in served
