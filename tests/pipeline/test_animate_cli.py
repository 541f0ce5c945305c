"""`cinealert animate`: a user's photo to the same media and report as a render; clear
refusals of bad input. Uses small generated pictures, so it runs without ../shared."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from daemon.cli import main
from pipeline.learned_flow import FlowModelError, load_flow_model, predict_flow


def write_inputs(folder: Path) -> tuple[Path, Path, Path]:
    """A 96 x 64 textured photo, a mask of its lower half, a depth with a near box."""
    rng = np.random.default_rng(0)
    coarse = rng.uniform(0, 255, size=(9, 13, 3)).astype(np.uint8)
    photo = Image.fromarray(coarse).resize((96, 64), Image.Resampling.BICUBIC)
    mask = np.zeros((64, 96), np.uint8)
    mask[32:, :] = 255
    depth = np.full((64, 96), 40, np.uint8)
    depth[8:28, 60:84] = 250
    paths = folder / "photo.jpg", folder / "mask.png", folder / "depth.png"
    photo.save(paths[0], quality=95)
    Image.fromarray(mask).save(paths[1])
    Image.fromarray(depth).save(paths[2])
    return paths


def test_animate_writes_media_frames_and_a_report(tmp_path: Path) -> None:
    photo, mask, depth = write_inputs(tmp_path)
    out = tmp_path / "out"
    code = main(
        ["animate", "--image", str(photo), "--mask", str(mask), "--depth", str(depth),
         "--hazard", "flood", "--camera", "up-down", "--frames", "6", "--size", "96",
         "--png-frames", "--device", "cpu", "--out", str(out)]
    )  # fmt: skip
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    names = {entry["file"] for entry in report["files"]}
    assert names == {f"flood-animate.{ext}" for ext in ("gif", "webp", "mp4")} | {
        "flood-animate-poster.png"
    }
    assert {"animate", "encode", "total"} <= set(report["timings_ms"])
    details = report["details"]
    assert details["camera"] == "up-down" and details["depth_source"] == "given"
    assert details["hole_fill"] == "classical" and details["mask_source"] == "given"
    assert set(details["animation_timings_ms"]) == {"flow", "integrate", "layers", "splat"}
    assert details["animation_device"] == "cpu"  # below 512 px the CPU animates
    assert report["models"] == {"image": "photo.jpg"}  # nothing loaded: inputs were given
    frames = sorted(out.glob("frame_*.png"))
    assert [p.name for p in frames] == [f"frame_{i:03d}.png" for i in range(6)]
    first, second = (np.asarray(Image.open(p)) for p in frames[:2])
    assert first.shape == (64, 96, 3) and not np.array_equal(first, second)


def test_camera_off_moves_only_the_mask(tmp_path: Path) -> None:
    photo, mask, _ = write_inputs(tmp_path)
    out = tmp_path / "out"
    args = ["animate", "--image", str(photo), "--mask", str(mask), "--hazard", "flood",
            "--camera", "none", "--frames", "4", "--png-frames", "--out", str(out)]  # fmt: skip
    assert main(args) == 0
    still = np.asarray(Image.open(photo).convert("RGB"))
    for path in sorted(out.glob("frame_*.png")):
        frame = np.asarray(Image.open(path))
        assert np.array_equal(frame[:32], still[:32])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--hazard", "meteor"], "unknown hazard"),
        (["--hazard", "flood", "--camera", "circular"], "needs --depth"),
        (["--hazard", "flood", "--mask", "missing.png"], "no such file"),
        (["--hazard", "flood", "--frames", "1"], "at least 2 frames"),
        (["--hazard", "flood", "--flow", "missing.pt"], "no such flow model"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    photo, mask, _ = write_inputs(tmp_path)
    base = ["animate", "--image", str(photo), "--out", str(tmp_path / "out")]
    if "--mask" not in extra:
        base += ["--mask", str(mask)]
    assert main(base + extra) == 2
    assert message in capsys.readouterr().err.lower()


def test_a_photo_that_is_not_an_image_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bogus = tmp_path / "photo.jpg"
    bogus.write_bytes(b"not a jpeg")
    code = main(["animate", "--image", str(bogus), "--hazard", "flood", "--out", str(tmp_path)])
    assert code == 2 and "not a readable image" in capsys.readouterr().err


class ConstantFlow(torch.nn.Module):
    """A stand-in learned predictor: 1.5 px/frame rightwards everywhere."""

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        flow = torch.zeros_like(pixels[:, :2])
        flow[:, 0] = 1.5
        return flow


def test_a_scripted_flow_model_plugs_in(tmp_path: Path) -> None:
    path = tmp_path / "flow.pt"
    torch.jit.save(torch.jit.script(ConstantFlow()), str(path))
    model = load_flow_model(path)
    image = np.zeros((16, 24, 3), np.uint8)
    mask = np.zeros((16, 24), bool)
    mask[4:12] = True
    flow = predict_flow(model, image, mask)
    assert flow.shape == (16, 24, 2)
    assert np.all(flow[mask][:, 0] == 1.5) and np.all(flow[~mask] == 0.0)
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(FlowModelError, match="not a TorchScript model"):
        load_flow_model(tmp_path / "junk.pt")
