"""Builds the renderers the daemon uses: the only place that imports the pipeline.

Three sources, chosen by settings:
- ``CINEALERT_CARD_POLICY=only``: alert cards (``pipeline.card``), one renderer per
  worker thread of ``render_workers`` (``auto``: one per CPU core, at most 4); no
  model, no torch import, ready in well under a second;
- ``CINEALERT_RENDERER=module:function`` (``Settings.renderer``): a plug-in, called as
  ``function(settings)`` and returning one `Renderer`. Tests use it to run the daemon
  with a deterministic renderer; operators can use it to plug another implementation.
- otherwise ``pipeline.renderer.build_renderer(config)``, one renderer per device of
  ``render_workers`` (``auto``: every CUDA GPU, else one on CPU), each with the
  `PipelineConfig` that ``daemon.runtime.pipeline_settings`` derives from the settings;
  with ``image_source=library``, ``pipeline.library.build_library_renderer`` instead
  (the operator's photos, animated; no text-to-image).

Importing here, inside functions, keeps torch out of the daemon's import time.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from daemon.runtime.pipeline_settings import PipelineSettingsError, pipeline_config
from daemon.runtime.settings import Settings
from pipeline.interface import Renderer

CARD_DEFAULT_SIZE = 512
# Cards are CPU work that takes a fraction of a second; a few threads keep a burst of
# alerts moving without starving the event loop (encoders release the GIL).
MAX_CARD_WORKERS = 4


class RendererFactoryError(RuntimeError):
    """The renderer could not be built; the message says which setting or module failed."""


def resolve_devices(render_workers: str) -> list[str]:
    """Devices to run one renderer on each, from the ``render_workers`` setting."""
    if render_workers == "auto":
        import torch  # noqa: PLC0415  (heavy: only when the real pipeline is asked for)

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return [f"cuda:{index}" for index in range(count)] or ["cpu"]
    return [device.strip() for device in render_workers.split(",") if device.strip()]


def load_plugin(spec: str) -> Any:
    """Import ``module:function`` and return the function."""
    module_name, separator, attribute = spec.partition(":")
    if not separator or not module_name or not attribute:
        raise RendererFactoryError(f"renderer plug-in {spec!r} is not of the form module:function")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise RendererFactoryError(f"renderer plug-in {spec!r}: {error}") from error
    function = getattr(module, attribute, None)
    if not callable(function):
        raise RendererFactoryError(f"renderer plug-in {spec!r}: {attribute!r} is not callable")
    return function


def build_card_renderer(settings: Settings) -> Renderer:
    """One alert-card renderer (also the fallback of failed renders)."""
    from pipeline.card.renderer import CardRenderer  # noqa: PLC0415

    return CardRenderer(size=settings.render_size or CARD_DEFAULT_SIZE)


def _card_workers(render_workers: str) -> int:
    if render_workers in ("auto", "cpu"):
        return max(1, min(MAX_CARD_WORKERS, os.cpu_count() or 1))
    return len([device for device in render_workers.split(",") if device.strip()])


def build_renderers(settings: Settings) -> list[Renderer]:
    """The renderers for the worker pool (not yet warm)."""
    if settings.card_policy == "only":
        return [
            build_card_renderer(settings) for _ in range(_card_workers(settings.render_workers))
        ]
    if settings.renderer:
        renderer: Renderer = load_plugin(settings.renderer)(settings)
        return [renderer]
    try:
        configs = [
            pipeline_config(settings, device) for device in resolve_devices(settings.render_workers)
        ]
    except PipelineSettingsError as error:
        raise RendererFactoryError(f"invalid pipeline settings: {error}") from error
    library = settings.image_source == "library"
    module_name = "pipeline.library" if library else "pipeline.renderer"
    try:
        pipeline_renderer = importlib.import_module(module_name)
    except ImportError as error:
        raise RendererFactoryError(
            f"the generative pipeline ({module_name}) cannot be imported: {error}; "
            "set CINEALERT_RENDERER=module:function to use another renderer"
        ) from error
    if library:
        return [
            pipeline_renderer.build_library_renderer(config, settings.image_library_dir)
            for config in configs
        ]
    return [pipeline_renderer.build_renderer(config) for config in configs]
