"""Full-size paintings of the model's keyframes: where they are, and their colour on the film's grid.

The model keeps its keyframes at working size (memovid.model.keyframes: the .memo stays small), but a
colourist's images are full size; colorize reads them from where train found them (or ``--keyframes
DIR``), checks each is the film's frame, and moves their colour at full size.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from memovid.model.keyframes import Keyframe


ASPECT_TOLERANCE = 0.01  # a full-size keyframe may differ in size from the film, not in shape


def full_size_sources(keyframes: dict[int, Keyframe], folders=()) -> dict[int, Path]:
    """Where the full-size painting of each keyframe can be read: frame number -> image path.

    The store keeps keyframes at working size only (a .memo stays small), but the colourist's images
    are full size. They are looked for in ``folders`` (files named by frame number, as for ``train``)
    and then at the path the model recorded when it learned them; either is checked against the film
    when read (``full_size_ab``).
    """
    from memovid.video.imageseq import frame_number_of, list_images

    found: dict[int, Path] = {}
    for folder in folders:
        for path in list_images(Path(folder)):
            number = frame_number_of(path)
            if number in keyframes:
                found[number] = path
    for number, keyframe in keyframes.items():
        recorded = _recorded_image(keyframe)
        if number not in found and recorded is not None and recorded.is_file():
            found[number] = recorded
    return found


def _recorded_image(keyframe: Keyframe) -> Path | None:
    """The image file the model learned this keyframe from, or None when it came from a video."""
    from memovid.video.imageseq import IMAGE_EXTENSIONS

    recorded = Path(keyframe.source)
    return recorded if recorded.suffix.lower() in IMAGE_EXTENSIONS else None


def missing_paintings(keyframes: dict[int, Keyframe], found: dict[int, Path]) -> list[str]:
    """The recorded image paths of keyframes whose full-size painting was not found (moved, deleted, or
    recorded relative to another working folder); keyframes learned from video frames are not counted."""
    return [k.source for n, k in sorted(keyframes.items()) if n not in found and _recorded_image(k) is not None]


def full_size_ab(path: Path, keyframe: Keyframe, shape: tuple[int, int]) -> np.ndarray | None:
    """The ab (H, W, 2) of a keyframe's full-size image on the film's (H, W) grid, or None (with a
    warning) when the image is not the keyframe's picture or not the film's shape."""
    import cv2

    from memovid.color.lab import rgb8_to_film_lab
    from memovid.color.levels import L_to_L8
    from memovid.log import warn_once
    from memovid.video.imageseq import read_image

    lab = rgb8_to_film_lab(read_image(path, "rgb"))
    h, w = lab.shape[:2]
    if abs(w / h - shape[1] / shape[0]) > ASPECT_TOLERANCE * shape[1] / shape[0]:
        warn_once(f"keyframe-shape:{path}", "%s: %dx%d is not the film's shape (%dx%d); its working-size colour is used",
                  path, w, h, shape[1], shape[0])
        return None
    if not keyframe.matches(L_to_L8(lab[..., 0])):
        warn_once(f"keyframe-match:{path}", "%s is not the picture of keyframe %d; its working-size colour is used",
                  path, keyframe.frame)
        return None
    ab = lab[..., 1:]
    if (h, w) == shape:
        return ab
    # shrinking (to the 4:2:0 chroma size, or from a larger scan) averages; enlarging interpolates
    shrink = h > shape[0] or w > shape[1]
    return cv2.resize(ab, (shape[1], shape[0]), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
