"""``memovid demo``: a cartoon memovid draws itself (``synth``) and the whole main job run on it (``run``)."""
