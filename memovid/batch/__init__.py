"""Presets run over a shelf of films: the resumable batch, its manifest, local and Ray executors, and
scene-parallel segments. Import the submodules (``memovid.batch.run``...); this package imports nothing."""
