"""Image sequences: a folder of PNG/JPEG/TIFF files or a printf pattern such as ``frames/%05d.png``.

Reading and writing go through OpenCV (one picture per file needs no container), except DPX, the film
scanners' format, which OpenCV cannot read: FFmpeg's decoder reads it (read only). Files are ordered
by the number in their name ("frame2.png" before "frame10.png"), not alphabetically.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

from memovid.errors import InputError, OutputError

_CODEC_OF_EXTENSION = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".tif": "tiff", ".tiff": "tiff", ".dpx": "dpx"}
IMAGE_EXTENSIONS = tuple(_CODEC_OF_EXTENSION)
READ_ONLY_EXTENSIONS = (".dpx",)  # FFmpeg decodes them; OpenCV, which writes sequences, cannot
DEEP_EXTENSIONS = (".png", ".tif", ".tiff")  # what OpenCV writes at 16 bits
_PRINTF = re.compile(r"%(0?)(\d*)d")
_NUMBERS = re.compile(r"(\d+)")


def _imread(path: Path, flag: int) -> np.ndarray | None:
    """cv2.imread, and the same for DPX scans (10/12/16-bit, through FFmpeg's decoder): what OpenCV
    would give, BGR channel order, uint16 for a deep file; None when the file cannot be decoded."""
    if path.suffix.lower() not in READ_ONLY_EXTENSIONS:
        return cv2.imread(str(path), flag)
    import av

    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0))
    except (av.error.FFmpegError, StopIteration, OSError):
        return None
    deep = frame.format.name not in ("rgb24", "gray", "gray8")  # 10/12/16-bit: rgb48 keeps every bit, scaled to 16
    if flag == cv2.IMREAD_GRAYSCALE:
        return frame.to_ndarray(format="gray")
    if flag == cv2.IMREAD_COLOR or not deep:
        return cv2.cvtColor(frame.to_ndarray(format="rgb24"), cv2.COLOR_RGB2BGR)
    return cv2.cvtColor(frame.to_ndarray(format="rgb48le"), cv2.COLOR_RGB2BGR)


def is_image_sequence(source: str | Path) -> bool:
    """True for an existing folder, or a path whose file name holds a printf ``%d`` field."""
    return Path(source).is_dir() or bool(_PRINTF.search(Path(source).name))


def _natural_key(path: Path) -> tuple:
    return tuple(int(part) if part.isdigit() else part.lower() for part in _NUMBERS.split(path.name))


def frame_number_of(path: Path) -> int | None:
    """The last number in a file name's stem: ``frame_00120.png`` -> 120; None when there is none.

    A keyframe's file name is how train and colorize know which frame of the film it was painted on.
    """
    numbers = _NUMBERS.findall(path.stem)
    return int(numbers[-1]) if numbers else None


def list_images(source: str | Path) -> list[Path]:
    """The image files of a sequence, in frame order. InputError when there are none."""
    source = Path(source)
    if source.is_dir():
        folder = source
        files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
        files.sort(key=_natural_key)
    else:
        folder = source.parent
        name = re.escape(source.name)
        regex = re.compile(_PRINTF.sub(lambda m: r"(\d+)", name.replace(r"\%", "%")) + "$")
        if not folder.is_dir():
            raise InputError(f"{source}: folder {folder} does not exist")
        matched = [(int(m.group(1)), p) for p in folder.iterdir() if (m := regex.match(p.name))]
        files = [p for _, p in sorted(matched)]
    if not files:
        raise InputError(f"{source}: no images ({', '.join(IMAGE_EXTENSIONS)}) found")
    return files


def read_image(path: Path, mode: str = "rgb") -> np.ndarray:
    """One picture as (H, W, 3) uint8 RGB or (H, W) uint8 luma; 16-bit files are scaled to 8 bit
    (``read_deep_image`` keeps their 16 bits too).

    InputError naming the file when it cannot be decoded.
    """
    flag = cv2.IMREAD_GRAYSCALE if mode == "gray" else cv2.IMREAD_COLOR
    image = _imread(Path(path), flag)
    if image is None:
        raise InputError(f"{path}: unreadable image")
    if mode == "rgb":
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return image


def read_deep_image(path: Path, mode: str = "rgb") -> tuple[np.ndarray, np.ndarray]:
    """A 16-bit picture as (8-bit working copy as ``read_image`` gives it, the file's own (H, W) or
    (H, W, 3) uint16 RGB values, alpha dropped)."""
    raw = _imread(Path(path), cv2.IMREAD_UNCHANGED)
    if raw is None:
        raise InputError(f"{path}: unreadable image")
    if raw.dtype != np.uint16:
        raise InputError(f"{path}: {raw.dtype} picture in a 16-bit sequence (the first file is 16-bit)")
    if raw.ndim == 3:
        deep = cv2.cvtColor(raw[..., :3], cv2.COLOR_BGR2RGB)
    else:
        deep = raw
    image = np.rint(deep / 257.0).astype(np.uint8)
    if mode == "gray" and image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    elif mode == "rgb" and image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    return image, deep


def read_sequence(files: list[Path], mode: str = "rgb", first: int = 0, stop: int | None = None
                  ) -> Iterator[tuple[int, np.ndarray, np.ndarray | None]]:
    """(index, image, 16-bit values or None) for files[first:stop], read one at a time; the 16 bits
    are kept when the first file of the sequence has them."""
    stop = len(files) if stop is None else min(stop, len(files))
    first_file = _imread(files[0], cv2.IMREAD_UNCHANGED) if files else None
    deep = first_file is not None and first_file.dtype == np.uint16
    for index in range(first, stop):
        if deep:
            yield index, *read_deep_image(files[index], mode)
        else:
            yield index, read_image(files[index], mode), None


@dataclass(frozen=True)
class SequenceInfo:
    """What the first image says about a sequence (all images are assumed alike)."""

    files: list[Path]
    width: int
    height: int
    pix_fmt: str
    bit_depth: int
    codec: str


def sequence_info(source: str | Path) -> SequenceInfo:
    files = list_images(source)
    image = _imread(files[0], cv2.IMREAD_UNCHANGED)
    if image is None:
        raise InputError(f"{files[0]}: unreadable image")
    channels = 1 if image.ndim == 2 else image.shape[2]
    depth = 16 if image.dtype == np.uint16 else 8
    pix_fmt = {1: "gray", 3: "rgb24", 4: "rgba"}.get(channels, "unknown")
    if depth == 16:
        pix_fmt = {1: "gray16", 3: "rgb48", 4: "rgba64"}.get(channels, "unknown")
    codec = _CODEC_OF_EXTENSION[files[0].suffix.lower()]
    return SequenceInfo(files, image.shape[1], image.shape[0], pix_fmt, depth, codec)


class SequenceWriter:
    """Writes RGB frames as PNG files into a hidden temporary folder, moved into place at commit.

    target: a folder (files named 000000.png, 000001.png, ...) or a printf pattern
    (``out/%05d.png``). Frames are numbered 0, 1, 2... in write order.
    """

    def __init__(self, target: str | Path, overwrite: bool) -> None:
        target = Path(target)
        if _PRINTF.search(target.name):
            self.folder, self.pattern = target.parent, target.name
        else:
            self.folder, self.pattern = target, "%06d.png"
        self.suffix = Path(self.pattern).suffix.lower()
        if self.suffix in READ_ONLY_EXTENSIONS:
            raise OutputError(f"{target}: memovid writes PNG, JPEG or TIFF sequences (DPX is read only); "
                              "for a 16-bit master give a pattern such as frames/%06d.tif")
        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError(f"{self.folder}: exists and is not a folder")
        if self.folder.is_dir() and any(self.folder.iterdir()) and not overwrite:
            raise OutputError(f"{self.folder}: output folder exists and is not empty; use --overwrite to replace it")
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self.temp = _temp_folder(self.folder)
        self.count = 0

    def write(self, image: np.ndarray) -> None:
        """image: (H, W, 3) RGB or (H, W) luma, uint8 (or uint16 for PNG/TIFF)."""
        path = self.temp / (self.pattern % self.count)
        if image.ndim == 3:
            image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
        if not cv2.imwrite(str(path), image):
            raise OutputError(f"{path}: could not write image")
        self.count += 1

    def commit(self) -> None:
        """Move the finished sequence into place: the whole folder, or file by file when it exists
        (then files matching our naming are replaced, and stale ones from a longer run removed)."""
        if not self.folder.exists():
            self.temp.rename(self.folder)
            return
        ours = re.compile(_PRINTF.sub(lambda m: r"\d+", re.escape(self.pattern).replace(r"\%", "%")) + "$")
        for old in self.folder.iterdir():
            if ours.match(old.name):
                old.unlink()
        for new in self.temp.iterdir():
            new.replace(self.folder / new.name)
        self.temp.rmdir()

    def discard(self) -> None:
        for p in self.temp.iterdir():
            p.unlink()
        self.temp.rmdir()


def _temp_folder(folder: Path) -> Path:
    return Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".memovid-tmp", dir=folder.parent))
