"""Checks of the image-source settings (`image_source`, `image_library_dir`,
`render_camera_amplitude`), kept apart so settings.py stays one screenful of fields."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from daemon.runtime.setting_values import SettingsError, env_name

if TYPE_CHECKING:
    from daemon.runtime.settings import Settings

IMAGE_SOURCES = ("t2i", "library")


def check_image_source(s: Settings) -> None:
    """Raise `SettingsError` naming the variable unless the image source is usable."""
    if s.image_source not in IMAGE_SOURCES:
        raise SettingsError(
            env_name("image_source"), s.image_source, f"must be one of {IMAGE_SOURCES}"
        )
    if s.image_source == "library":
        if s.image_library_dir is None or not s.image_library_dir.is_dir():
            raise SettingsError(
                env_name("image_library_dir"),
                s.image_library_dir,
                "must be an existing directory when image_source=library",
            )
        if s.render_method != "cinemagraph":
            raise SettingsError(
                env_name("render_method"),
                s.render_method,
                "the image library is animated as a cinemagraph: use render_method=cinemagraph",
            )
    amplitude = s.render_camera_amplitude
    if not math.isfinite(amplitude) or not 0.0 <= amplitude <= 0.1:
        raise SettingsError(
            env_name("render_camera_amplitude"), amplitude, "must be within [0, 0.1]"
        )
