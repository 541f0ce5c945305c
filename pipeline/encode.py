"""Encode looping frames as GIF, WebP and MP4 (H.264), and a still as a PNG poster.

Every encoder returns a `pipeline.interface.MediaFile` whose size, frame count and rate
describe the bytes actually written: GIF and WebP writers merge identical consecutive
frames (adding their durations), so their frame count is read back from the file.
"""

from __future__ import annotations

import io
import math
import tempfile
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType

import av
import av.codec.codec
import numpy as np
from PIL import Image

from pipeline.frames import check_frames
from pipeline.interface import MediaFile

# H.264 encoders in order of preference; only software ones, since the pipeline must
# encode on machines without a GPU too.
H264_ENCODERS = ("libx264", "libopenh264", "h264")
# Browsers slow GIF frames shorter than 2 centiseconds down to 10, so 50 fps is the cap.
MAX_GIF_FPS = 50.0
# Frames sampled to build the shared GIF palette: enough to see every colour that moves.
PALETTE_SAMPLE_FRAMES = 8
PALETTE_SAMPLE_PIXELS = 2**18
WEBP_QUALITY = 80
# libwebp effort 0..6: at 512 px, 4 took twice as long as 2 for files only 2 % smaller.
WEBP_METHOD = 2
MP4_CRF = "23"


class EncodingError(RuntimeError):
    """An encoder is unavailable or failed; the message names it."""


def encode_gif(frames: Sequence[np.ndarray], fps: float) -> MediaFile:
    """Animated GIF that loops forever; frame delays are rounded so the loop keeps ``fps``.

    One palette, built from frames across the loop, is shared by every frame and applied
    without dithering, so still pixels keep identical indices and the GIF stays small
    and free of flicker.
    """
    height, width = check_frames(frames)
    check_fps(fps, maximum=MAX_GIF_FPS)
    palette = shared_palette(frames)
    images = [
        Image.fromarray(frame).quantize(palette=palette, dither=Image.Dither.NONE)
        for frame in frames
    ]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=gif_delays_ms(len(frames), fps),
        loop=0,
        optimize=False,
        disposal=1,
    )
    data = buffer.getvalue()
    return MediaFile("gif", "image/gif", data, width, height, count_frames(data), fps)


# Only the first frame is a key frame: in a cinemagraph or a card most pixels never move,
# and libwebp's default of a full key frame every 3-5 frames cost 35 % more bytes and 40 %
# more time on alert cards (bench card), at the same PSNR. A short loop is always decoded
# from its start, so nothing needs to seek.
WEBP_OPTIONS: Mapping[str, int] = MappingProxyType(
    {"quality": WEBP_QUALITY, "method": WEBP_METHOD, "kmin": 0, "kmax": 0}
)


def encode_webp(
    frames: Sequence[np.ndarray], fps: float, options: Mapping[str, int] | None = None
) -> MediaFile:
    """Animated lossy WebP that loops forever. ``options`` override libwebp settings of
    ``WEBP_OPTIONS`` (``bench card`` compares variants; the pipeline passes none)."""
    height, width = check_frames(frames)
    check_fps(fps)
    images = [Image.fromarray(frame) for frame in frames]
    # Millisecond timestamps rounded cumulatively, so the total loop length is exact.
    ends = [round(1000.0 * (index + 1) / fps) for index in range(len(frames))]
    durations = [end - start for start, end in zip([0, *ends[:-1]], ends, strict=True)]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="WEBP",
        save_all=True,
        append_images=images[1:],
        duration=durations,
        loop=0,
        **{**WEBP_OPTIONS, **(options or {})},
    )
    data = buffer.getvalue()
    return MediaFile("webp", "image/webp", data, width, height, count_frames(data), fps)


def encode_mp4(frames: Sequence[np.ndarray], fps: float) -> MediaFile:
    """H.264 MP4 (yuv420p, fast start) through PyAV.

    yuv420p needs even sides, so an odd last row or column is cropped off; the returned
    size is the encoded one.
    """
    height, width = check_frames(frames)
    check_fps(fps)
    if height < 2 or width < 2:
        raise ValueError(f"MP4 needs frames of at least 2x2 pixels, got {width}x{height}")
    even_height, even_width = height - height % 2, width - width % 2
    codec = h264_encoder()
    rate = Fraction(fps).limit_denominator(1001)
    # "+faststart" moves the index to the front so browsers can start playing at once; the
    # muxer does that in a second pass that reopens the output by name, so write a file.
    with tempfile.TemporaryDirectory(prefix="cinealert-mp4-") as folder:
        path = Path(folder) / "loop.mp4"
        with av.open(str(path), mode="w", options={"movflags": "+faststart"}) as output:
            stream = output.add_stream(codec, rate=rate)
            if not isinstance(stream, av.VideoStream):
                raise EncodingError(f"encoder {codec!r} did not open a video stream")
            stream.width = even_width
            stream.height = even_height
            stream.pix_fmt = "yuv420p"
            if codec == "libx264":
                stream.options = {"crf": MP4_CRF, "preset": "veryfast"}
            for frame in frames:
                picture = av.VideoFrame.from_ndarray(
                    np.ascontiguousarray(frame[:even_height, :even_width]), format="rgb24"
                )
                for packet in stream.encode(picture):
                    output.mux(packet)
            for packet in stream.encode(None):
                output.mux(packet)
        data = path.read_bytes()
    return MediaFile("mp4", "video/mp4", data, even_width, even_height, len(frames), fps)


def encode_media(frames: Sequence[np.ndarray], fps: float) -> tuple[MediaFile, ...]:
    """Every animated format a record carries, in its order: GIF, WebP, MP4."""
    return encode_gif(frames, fps), encode_webp(frames, fps), encode_mp4(frames, fps)


def encode_poster(frame: np.ndarray) -> MediaFile:
    """A still PNG of one frame (the poster shown before the animation loads)."""
    height, width = check_frames([frame])
    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    return MediaFile("png", "image/png", buffer.getvalue(), width, height, 1, 0.0)


def h264_encoder() -> str:
    """The first software H.264 encoder this PyAV build has, or EncodingError."""
    for name in H264_ENCODERS:
        try:
            av.codec.Codec(name, "w")
        except av.codec.codec.UnknownCodecError:
            continue
        return name
    raise EncodingError(
        f"this PyAV/FFmpeg build has no H.264 encoder (tried {', '.join(H264_ENCODERS)})"
    )


def gif_delays_ms(count: int, fps: float) -> list[int]:
    """Per-frame GIF delays: whole centiseconds, rounded cumulatively to keep the loop length."""
    ends = [round(100.0 * (index + 1) / fps) for index in range(count)]
    starts = [0, *ends[:-1]]
    return [10 * max(end - start, 1) for start, end in zip(starts, ends, strict=True)]


def shared_palette(frames: Sequence[np.ndarray]) -> Image.Image:
    """A 256-colour palette (fast octree) from frames spread over the loop, stacked vertically.

    Pixels are strided down to about ``PALETTE_SAMPLE_PIXELS``: the palette barely changes,
    and median cut over every pixel of eight 512 px frames took seconds.
    """
    step = max(1, len(frames) // PALETTE_SAMPLE_FRAMES)
    montage = np.concatenate(list(frames[::step][:PALETTE_SAMPLE_FRAMES]), axis=0)
    stride = max(
        1, math.ceil(math.sqrt(montage.shape[0] * montage.shape[1] / PALETTE_SAMPLE_PIXELS))
    )
    sample = np.ascontiguousarray(montage[::stride, ::stride])
    return Image.fromarray(sample).quantize(colors=256, method=Image.Quantize.FASTOCTREE)


def count_frames(data: bytes) -> int:
    """Frames in an encoded GIF or WebP, as a decoder sees them."""
    with Image.open(io.BytesIO(data)) as image:
        return int(getattr(image, "n_frames", 1))


def check_fps(fps: float, maximum: float = 240.0) -> None:
    """Raise ValueError unless 0 < fps <= maximum."""
    if not 0.0 < fps <= maximum:
        raise ValueError(f"fps must be within (0, {maximum}], got {fps!r}")
