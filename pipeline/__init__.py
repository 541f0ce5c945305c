"""The generative pipeline: hazard in, cinemagraph out.

Importing this package must stay cheap and must not import torch: the daemon imports
`pipeline.interface` on its light path and loads the real pipeline through
`pipeline.renderer.build_renderer` inside a function.
"""
