"""Encoders: every file decodes back to the frames, size and timing it claims."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from pipeline import encode
from pipeline.encode import (
    EncodingError,
    encode_gif,
    encode_mp4,
    encode_poster,
    encode_webp,
    gif_delays_ms,
)


def moving_frames(count: int = 12, height: int = 48, width: int = 64) -> list[np.ndarray]:
    """A gradient background with a square that moves right: every frame differs."""
    ys, xs = np.mgrid[0:height, 0:width]
    background = np.stack([xs * 255 // width, ys * 255 // height, np.full_like(xs, 90)], -1)
    frames = []
    for index in range(count):
        frame = background.astype(np.uint8)
        frame[10:26, 2 + 3 * index : 18 + 3 * index] = (250, 30, 30)
        frames.append(frame)
    return frames


def decoded_gif_or_webp(data: bytes) -> tuple[str, list[np.ndarray], list[int], dict[str, object]]:
    with Image.open(io.BytesIO(data)) as image:
        info = dict(image.info)
        frames, durations = [], []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")))
            durations.append(int(image.info["duration"]))
        return str(image.format), frames, durations, info


def test_gif_decodes_to_the_frames_and_loops_forever() -> None:
    frames = moving_frames()
    media = encode_gif(frames, 8.0)
    assert (media.format, media.content_type) == ("gif", "image/gif")
    assert (media.width, media.height, media.frames, media.fps) == (64, 48, 12, 8.0)
    kind, decoded, durations, info = decoded_gif_or_webp(media.data)
    assert kind == "GIF"
    assert info["loop"] == 0
    assert len(decoded) == 12 and decoded[0].shape == (48, 64, 3)
    # 8 fps = 12.5 cs per frame: alternate 12/13 cs so the loop lasts exactly 1.5 s.
    assert sum(durations) == 1500
    assert set(durations) == {120, 130}
    # Few colours here, so the shared palette reproduces the frames closely.
    for original, back in zip(frames, decoded, strict=True):
        assert np.abs(original.astype(int) - back).mean() < 4.0


def test_webp_decodes_to_the_frames_with_exact_timing() -> None:
    frames = moving_frames(count=10, height=40, width=50)
    media = encode_webp(frames, 10.0)
    assert (media.format, media.content_type) == ("webp", "image/webp")
    assert (media.width, media.height, media.frames, media.fps) == (50, 40, 10, 10.0)
    kind, decoded, durations, info = decoded_gif_or_webp(media.data)
    assert kind == "WEBP"
    assert info["loop"] == 0
    assert len(decoded) == 10 and decoded[3].shape == (40, 50, 3)
    assert durations == [100] * 10
    assert np.abs(frames[5].astype(int) - decoded[5]).mean() < 8.0


def test_mp4_is_h264_yuv420p_and_decodes_to_every_frame() -> None:
    frames = moving_frames(count=16, height=49, width=63)  # odd sides get cropped to even
    media = encode_mp4(frames, 8.0)
    assert (media.format, media.content_type) == ("mp4", "video/mp4")
    assert (media.width, media.height, media.frames, media.fps) == (62, 48, 16, 8.0)
    with av.open(io.BytesIO(media.data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert stream.average_rate == 8
        decoded = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    assert len(decoded) == 16
    assert decoded[0].shape == (48, 62, 3)
    assert np.abs(frames[7][:48, :62].astype(int) - decoded[7]).mean() < 12.0
    # Fast start: the index (moov) comes before the media data (mdat).
    assert media.data.index(b"moov") < media.data.index(b"mdat")


def test_poster_png_round_trips_exactly() -> None:
    frame = moving_frames(1)[0]
    media = encode_poster(frame)
    assert (media.format, media.content_type, media.frames) == ("png", "image/png", 1)
    with Image.open(io.BytesIO(media.data)) as image:
        assert image.format == "PNG"
        assert np.array_equal(np.asarray(image.convert("RGB")), frame)


def test_identical_frames_are_merged_and_reported_honestly() -> None:
    still = [moving_frames(1)[0]] * 6
    gif = encode_gif(still, 6.0)
    _, decoded, durations, _ = decoded_gif_or_webp(gif.data)
    assert gif.frames == len(decoded) == 1
    assert sum(durations) == 1000  # the loop still lasts 6 frames at 6 fps


def test_same_frames_same_bytes() -> None:
    frames = moving_frames(6)
    for encoder in (encode_gif, encode_webp):
        assert encoder(frames, 8.0).data == encoder(frames, 8.0).data
    assert encode_poster(frames[0]).data == encode_poster(frames[0]).data
    # x264 and the MP4 muxer write no timestamps or random ids: bytes repeat too.
    assert encode_mp4(frames, 8.0).data == encode_mp4(frames, 8.0).data


@pytest.mark.parametrize(("count", "fps"), [(16, 8.0), (7, 24.0), (5, 30.0), (3, 7.0)])
def test_gif_delays_keep_the_loop_length(count: int, fps: float) -> None:
    delays = gif_delays_ms(count, fps)
    assert len(delays) == count
    assert all(delay % 10 == 0 and delay >= 10 for delay in delays)
    assert abs(sum(delays) - 1000 * count / fps) <= 5


def test_missing_h264_encoder_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encode, "H264_ENCODERS", ("no-such-h264-encoder",))
    with pytest.raises(EncodingError, match=r"no H\.264 encoder"):
        encode_mp4(moving_frames(2), 8.0)


def test_bad_input_is_rejected() -> None:
    frames = moving_frames(3)
    with pytest.raises(ValueError, match="no frames"):
        encode_gif([], 8.0)
    with pytest.raises(ValueError, match="frame 1 has shape"):
        encode_webp([frames[0], frames[1][:-1]], 8.0)
    with pytest.raises(ValueError, match="uint8"):
        encode_mp4([frames[0].astype(np.float32)], 8.0)
    with pytest.raises(ValueError, match="fps"):
        encode_gif(frames, 60.0)
    with pytest.raises(ValueError, match="fps"):
        encode_mp4(frames, 0.0)
    with pytest.raises(ValueError, match="2x2"):
        encode_mp4([np.zeros((1, 8, 3), dtype=np.uint8)], 8.0)
