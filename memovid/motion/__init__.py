"""Motion: optical flow on luminance with its reliability, and keyframe colour moved along it.

Used by painting, temporal smoothing and training alike. Import the submodules (``memovid.motion.flow``,
``memovid.motion.guide``); this package imports nothing heavy.
"""
