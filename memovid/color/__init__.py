"""Colour spaces and colour differences: sRGB <-> CIE Lab (``lab``) and CIEDE2000 (``ciede2000``).

Import the submodules directly; this package imports nothing heavy so that the CLI stays light.
"""
