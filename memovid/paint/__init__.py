"""Painting a film with a trained model.

``colorize`` opens the film once (``film``: the Film the passes, ``report`` and ``suggest`` share),
runs the analysis pass (``analyse``: scenes, retrieval votes, the film's keyframes, the patch
memory's confidence) and the painting pass (``painter``): frames located in the scene table
(``stream``), the keyframes' colour moved along each shot (``tracking``), the colour sources
(``sources``) mixed by shares fitted per film (``mix``, with ``trust``, ``palette``, ``semantic`` and
``hedge`` fitting them), smoothing, and the full-size end (``finish``, ``upsample``, ``fades``).
Import the submodules; this package imports nothing heavy. Not named ``colorize`` so that no
submodule hides the exported ``memovid.colorize()``.
"""
