"""Table 1 metrics: behave as metrics on sets whose answer is known, refuse missing
weights, and lay out published numbers beside ours."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from daemon.cli import main
from pipeline.training.extractors import (
    ALEXNET_FILE,
    INCEPTION_FILE,
    full_extractors,
    tiny_extractors,
)
from pipeline.training.local_weights import MissingFilesError
from pipeline.training.metrics import evaluate_folders
from pipeline.training.photos import DatasetError
from pipeline.training.table import markdown_table, read_paper_numbers
from tests.pipeline.training_support import write_photos


@pytest.fixture(scope="module")
def photo_sets(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The same set twice, and a set of other images under the same type names."""
    root = tmp_path_factory.mktemp("sets")
    same_a = write_photos(root / "a", count=4)
    same_b = write_photos(root / "b", count=4)
    other = write_photos(root / "c", types=("wildfire", "flood"), count=4)
    return same_a, same_b, other


def test_metrics_know_identical_sets_from_different_ones(
    photo_sets: tuple[Path, Path, Path],
) -> None:
    same_a, same_b, other = photo_sets
    extractors = tiny_extractors()
    identical = {row.disaster_type: row for row in evaluate_folders(same_a, same_b, extractors)}
    different = {row.disaster_type: row for row in evaluate_folders(same_a, other, extractors)}
    for name in ("flood", "wildfire"):
        assert identical[name].fid == pytest.approx(0.0, abs=1e-3)
        assert different[name].fid is not None and different[name].fid > 0.01
        # Unpaired sets: the mean over all pairs includes the image with itself and others,
        # so identical sets are not at the perfect score — but closer than different ones.
        assert identical[name].ssim is not None and different[name].ssim is not None
        assert identical[name].ssim > different[name].ssim
        assert identical[name].lpips is not None and different[name].lpips is not None
        assert identical[name].lpips < different[name].lpips
        assert identical[name].clip_score is not None and 0 <= identical[name].clip_score <= 100
        assert identical[name].real == identical[name].generated == 4


def test_evaluation_needs_a_shared_disaster_type(tmp_path: Path) -> None:
    real = write_photos(tmp_path / "real", types=("flood",), count=2)
    made = write_photos(tmp_path / "made", types=("drought",), count=2)
    with pytest.raises(DatasetError, match="no disaster type has images in both"):
        evaluate_folders(real, made, tiny_extractors())


def test_real_extractors_name_every_missing_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(MissingFilesError) as caught:
        full_extractors(tmp_path, "openai/clip-vit-large-patch14")
    assert INCEPTION_FILE in str(caught.value) and ALEXNET_FILE in str(caught.value)
    real = write_photos(tmp_path / "real", count=2)
    args = ["evaluate", "--real", str(real), "--generated", str(real), "--out", str(tmp_path)]
    assert main([*args, "--metrics-models", "full", "--weights-dir", str(tmp_path)]) == 2
    assert INCEPTION_FILE in capsys.readouterr().err


def test_published_numbers_sit_beside_ours(
    tmp_path: Path, photo_sets: tuple[Path, Path, Path]
) -> None:
    same_a, _, other = photo_sets
    paper = tmp_path / "paper.csv"
    paper.write_text(
        "disaster_type,method,metric,value\n"
        "flood,Stable Diffusion (paper),fid,123.4\n"
        "flood,Stable Diffusion (paper),ssim,0.21\n"
    )
    numbers = read_paper_numbers(paper)
    rows = evaluate_folders(same_a, other, tiny_extractors())
    table = markdown_table(rows, numbers, "my adapter")
    assert "FID ↓ (my adapter) | FID ↓ (Stable Diffusion (paper))" in table
    flood = next(line for line in table.splitlines() if line.startswith("| flood"))
    assert "123.40" in flood and "0.210" in flood
    wildfire = next(line for line in table.splitlines() if line.startswith("| wildfire"))
    assert wildfire.count("–") == 4  # no published numbers for wildfire
    paper.write_text("disaster_type,method,metric,value\nmeteor,SD,fid,1\n")
    with pytest.raises(DatasetError, match="unknown disaster type 'meteor'"):
        read_paper_numbers(paper)


@pytest.mark.slow
def test_evaluate_command_writes_table_csv_and_charts(
    tmp_path: Path, photo_sets: tuple[Path, Path, Path]
) -> None:
    same_a, _, other = photo_sets
    out = tmp_path / "out"
    assert (
        main(["evaluate", "--real", str(same_a), "--generated", str(other), "--out", str(out)]) == 0
    )
    rows = list(csv.DictReader((out / "table1.csv").open()))
    assert {row["disaster_type"] for row in rows} == {"flood", "wildfire"}
    assert all(float(row["fid:ours"]) > 0 for row in rows)
    for metric in ("fid", "clip_score", "lpips", "ssim"):
        assert (out / f"{metric}.png").stat().st_size > 1000


@pytest.mark.slow
def test_generate_keywords_only_is_the_plain_baseline(tmp_path: Path) -> None:
    real = write_photos(tmp_path / "real", types=("flood",), count=2)
    made, out = tmp_path / "made", tmp_path / "out"
    args = ["evaluate", "--real", str(real), "--generated", str(made), "--out", str(out)]
    small = ["--size", "64", "--steps", "1", "--device", "cpu", "--types", "flood"]
    assert main([*args, *small, "--generate", "--per-type", "2", "--keywords-only"]) == 0
    prompts = (made / "prompts.jsonl").read_text().splitlines()
    assert len(prompts) == 2
    assert all('"prompt": "Flood. Do not include any humans."' in line for line in prompts)
    assert sorted(p.name for p in (made / "flood").iterdir()) == ["000.png", "001.png"]
    assert main([*args, *small, "--generate", "--per-type", "1"]) == 2  # made/ is not empty
    adapter = ["--adapter", str(tmp_path)]
    assert main([*args, *small, "--generate", "--keywords-only", *adapter]) == 2
    with pytest.raises(SystemExit):
        main([*args, "--generate", "--per-type", "two"])
