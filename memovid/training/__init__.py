"""Training a model: samples chosen from colour footage and keyframes, the training loop, checkpoints.

Import the submodules (``memovid.training.train``...); this package imports nothing heavy. Not named
``train`` so that no submodule hides the exported ``memovid.train()``.
"""
