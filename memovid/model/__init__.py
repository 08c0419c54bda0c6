"""The MemoPainter model: query net, colour memory, generator, discriminator, trainer and model file.

Import the submodules (``memovid.model.bundle``, ``.trainer``...); this package imports nothing heavy.
"""
