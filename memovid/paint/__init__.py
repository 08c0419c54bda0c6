"""Painting a film with a trained model: the analysis pass, the painting pass, and what they decide.

``colorize`` prepares and runs both passes (``analyse``: scenes, retrieval votes, the film's keyframes;
``painter``: generator, keyframe guidance, trust, palettes, smoothing, upsampling, fades). Import the
submodules; this package imports nothing heavy. Not named ``colorize`` so that no submodule hides the
exported ``memovid.colorize()``.
"""
