"""Pass 2 of colorize, at full size: decode, mix the colour sources, smooth, finish, encode.

Each frame is placed in the scene table (memovid.paint.stream), the shot's keyframes' colour is moved
onto it (memovid.paint.tracking), and its colour sources are mixed at working size
(memovid.paint.mix). Chroma is then held steady within each shot (memovid.temporal), and the
full-size end (memovid.paint.finish) brings it onto the ORIGINAL full-resolution luminance, keeps the
keyframes' full-size colour where trusted, dims it in fades and hands it to the encoder. Decoding runs
in a background thread (bounded queue) while the model works in batches, and the full-size finishing
and the encoder in another, a few frames behind (memovid.video.prefetch.write_behind).
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

from memovid.color.levels import chroma
from memovid.log import logger, warn_once
from memovid.model.inputs import batches
from memovid.paint.analyse import Analysis
from memovid.paint.film import Film
from memovid.paint.finish import Finisher
from memovid.paint.mix import Mixer
from memovid.paint.stream import Pictures, locate_frames
from memovid.paint.tracking import HELD_LIMIT, held_bytes, track_keyframes
from memovid.progress import ProgressFn, no_progress
from memovid.timing import stage, timed

BEHIND = 4  # frames the full-size finishing and encode may lag pass 2's model work (each ~10 MB at 720p)


def paint(film: Film, analysis: Analysis, output: Path, *, temporal, encode, overwrite: bool = False,
          progress: ProgressFn = no_progress) -> int:
    """Pass 2 (see module doc) of ``film`` into ``output``. temporal: memovid.temporal.TemporalConfig;
    encode: memovid.video.EncodeOptions. Returns the number of frames written."""
    from memovid.motion.flow import shared_flows
    from memovid.temporal import make_smoother
    from memovid.paint.upsample import UPSAMPLERS
    from memovid.video import open_writer, read_frames
    from memovid.video.prefetch import write_behind

    config = film.config
    smoother = make_smoother(temporal)
    mixer = Mixer.fitted(film, analysis)
    done = 0
    # A black-and-white film is read as its luma alone, as pass 1 reads it: a third of the bytes of
    # each frame held back for the keyframe chains (memovid.paint.tracking), and no YUV -> RGB. A film
    # already in colour is read in colour, so its own lightness (CIE L*) is what comes out.
    mode = "rgb" if _has_colour(film.path) else "gray"
    frames = iter(timed("decode, pass 2", read_frames(film.path, mode=mode, prefetch=4, deinterlace=config.deinterlace)))
    first = next(frames, None)
    read_twice = first is not None and held_bytes(film, analysis, first) > HELD_LIMIT
    pictures = Pictures(read_frames(film.path, mode=mode, prefetch=BEHIND, deinterlace=config.deinterlace)
                        if read_twice else None)

    finisher = Finisher(UPSAMPLERS[config.upsample])

    def finish(job) -> None:
        """Full size, in the write-behind thread (memovid.paint.finish). (memovid.timing times the main
        thread only: this shows there as "finishing (queue full)", the time pass 2 waits for it.)"""
        item, smooth, share = job
        frame = item.frame if item.frame is not None else pictures.at(item.index)
        gain = analysis.fade_gain.get(item.index, 1.0)
        weights = writer.yuv420_weights(frame)
        # each result is encoded before the finisher's next frame overwrites it
        if weights is not None:  # a black-and-white film into 4:2:0: its own luma goes out untouched
            writer.write_yuv420(frame, finisher.yuv420(frame.image, item.L_small, smooth, item.guide,
                                                       share, gain, weights))
        else:
            writer.write(frame.with_image(finisher(frame.image, item.L_small, smooth, item.guide,
                                                   share, gain, writer.rgb_luma_weights(frame))))

    # The keyframe chains and the smoother estimate each pair of consecutive frames once between them;
    # the full-size finishing and the encoder run in a thread of their own, a few frames behind
    # (BEHIND): mostly OpenCV, numpy and libx264, which let go of the GIL, so the second core works.
    with shared_flows(), pictures, open_writer(output, source=film.path, options=encode, overwrite=overwrite) as writer, \
            write_behind(finish, BEHIND, "memovid-finish") as finishing:
        # Written as I420, a frame's colour is only ever used at the chroma size: the keyframes' full-size
        # colour is read and moved at that size too (a quarter of the remapping and of the memory).
        chroma_only = first is not None and writer.yuv420_weights(first) is not None
        items = locate_frames(chain([first] if first is not None else [], frames), analysis.table, film.shape,
                              keep=not read_twice)
        for batch in batches(track_keyframes(items, film, analysis, chroma_only), config.batch_size):
            for item, (painted, share) in zip(batch, mixer.mix(batch)):
                with stage("temporal smoothing"):
                    smooth = smoother.process(item.L_small, painted, shot_start=item.shot_start,
                                              in_transition=item.in_transition)
                with stage("finishing (queue full)"):
                    finishing.submit((item, smooth, share))
            done += len(batch)
            progress("colorizing", done, film.frames)
    if mixer.generated < done:
        logger.info("the generator painted %d of %d frames: the keyframes' moved colour was kept over the "
                    "whole of the others", mixer.generated, done)
    return done


COLOUR_LOOK = 48  # frames _has_colour may read for one that is not a flat (black) picture


def _has_colour(input: Path) -> bool:
    """Whether the film is already in colour, judged on its first picture that is not flat (a colour
    film fading in from black starts with gray frames); colour input is fine (its lightness is
    used), said once, since the user may not expect it."""
    from memovid.video import read_frames

    frames = read_frames(input, mode="rgb", max_size=256)
    try:
        for _, frame in zip(range(COLOUR_LOOK), frames):
            if chroma(frame.image) > 4:
                warn_once(f"colour-input:{input}", "%s already has colour: only its lightness is used", input.name)
                return True
            if float(frame.image.std()) > 8:
                return False
    finally:
        frames.close()
    return False
