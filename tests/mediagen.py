"""Generated test media: small deterministic clips that any test can write into ``tmp_path``.

Nothing is downloaded. Pictures are moving coloured shapes on a textured background (so codecs
have real detail and motion to work with), audio is a sine tone, subtitles are a few SubRip cues.

    make_video(tmp_path / "clip.mp4", n=12, size=(64, 48))            # H.264 + AAC
    make_video(p, n=10, vfr_pts=[0, 1, 3, 6, ...], codec="libx264")   # variable frame rate
    make_video(p, n=8, codec="ffv1", pix_fmt="yuv420p10le")           # 10-bit
    make_image_sequence(tmp_path / "frames", n=5)                     # 00000.png ... 00004.png
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterator, Sequence

import av
import cv2
import numpy as np

SAMPLE_RATE = 48000


def moving_shapes(n: int, size: tuple[int, int] = (64, 48), seed: int = 0) -> Iterator[np.ndarray]:
    """``n`` frames of shapes drifting over a fixed random texture.

    size: (width, height). Yields (H, W, 3) uint8 RGB in [0, 255]. The same seed gives the same
    frames; consecutive frames differ (every shape moves), so a dropped or repeated frame shows.
    """
    width, height = size
    rng = np.random.default_rng(seed)
    texture = rng.integers(40, 120, size=(height // 4 + 1, width // 4 + 1, 3), dtype=np.uint8)
    background = cv2.resize(texture, (width, height), interpolation=cv2.INTER_LINEAR)
    shapes = [
        (rng.uniform(0, 1, 2), rng.uniform(-0.05, 0.05, 2), tuple(int(c) for c in rng.integers(0, 256, 3)))
        for _ in range(3)
    ]
    radius = max(2, min(width, height) // 6)
    for i in range(n):
        img = background.copy()
        for k, (start, velocity, colour) in enumerate(shapes):
            x, y = (start + velocity * i) % 1.0
            centre = (int(x * width), int(y * height))
            if k % 2:
                cv2.circle(img, centre, radius, colour, thickness=-1)
            else:
                cv2.rectangle(img, centre, (centre[0] + radius, centre[1] + radius), colour, thickness=-1)
        # A frame counter bar at the top keeps every frame distinct even when shapes wrap.
        cv2.rectangle(img, (0, 0), (int((i % 16) * width / 16), 1), (255, 255, 255), thickness=-1)
        yield img


def sine_tone(seconds: float, freq: float = 440.0, channels: int = 2) -> np.ndarray:
    """(channels, samples) int16 sine at ``SAMPLE_RATE``, amplitude 0.3 of full scale."""
    t = np.arange(int(round(seconds * SAMPLE_RATE))) / SAMPLE_RATE
    wave = (0.3 * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    return np.repeat(wave[None, :], channels, axis=0)


def make_video(
    path: str | Path,
    *,
    n: int | None = None,
    frames: Sequence[np.ndarray] | Iterator[np.ndarray] | None = None,
    size: tuple[int, int] = (64, 48),
    fps: int | Fraction = 25,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    audio: bool | str = True,
    vfr_pts: Sequence[int] | None = None,
    subtitles: bool = False,
    seed: int = 0,
    options: dict[str, str] | None = None,
) -> Path:
    """Write a clip and return its path. The container follows the file extension.

    frames: RGB (H, W, 3) uint8 pictures to encode, or ``n`` to generate ``moving_shapes(n, size, seed)``.
    fps: nominal rate; the video time base is 1/fps, or 1/(fps*4) with ``vfr_pts``.
    vfr_pts: explicit per-frame pts in units of 1/(fps*4), making a variable-frame-rate clip.
    audio: True/"aac" for an AAC sine track, "pcm" for pcm_s16le (needs .mkv/.mov), False for none.
    subtitles: add a SubRip track with one cue per second (needs .mkv).
    options: encoder options (default ultrafast libx264 with short GOP, to keep tests quick).
    """
    path = Path(path)
    if frames is None:
        if n is None:
            raise ValueError("make_video needs frames= or n=")
        frames = moving_shapes(n, size, seed)
    fps = Fraction(fps)
    time_base = 1 / (fps * 4) if vfr_pts is not None else 1 / fps
    if options is None:
        options = {"preset": "ultrafast", "g": "5"} if codec == "libx264" else {}

    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=fps, options=options)
        video.pix_fmt = pix_fmt
        video.time_base = time_base
        video.codec_context.time_base = time_base
        audio_stream = None
        if audio:
            audio_codec = "pcm_s16le" if audio == "pcm" else "aac"
            audio_stream = out.add_stream(audio_codec, rate=SAMPLE_RATE, layout="stereo")
        subtitle_stream = out.add_mux_stream("subrip") if subtitles else None
        if subtitle_stream is not None:
            subtitle_stream.time_base = Fraction(1, 1000)

        count = 0
        for i, image in enumerate(frames):
            if i == 0:
                video.height, video.width = image.shape[:2]
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = vfr_pts[i] if vfr_pts is not None else i
            frame.time_base = time_base
            out.mux(video.encode(frame))
            count += 1
        out.mux(video.encode())
        end_seconds = float((vfr_pts[count - 1] + 4 if vfr_pts is not None else count) * time_base)

        if audio_stream is not None:
            _write_audio(out, audio_stream, end_seconds)
        if subtitle_stream is not None:
            for second in range(int(end_seconds) + 1):
                packet = av.Packet(f"cue {second}".encode())
                packet.pts = packet.dts = second * 1000
                packet.duration = 500
                packet.stream = subtitle_stream
                packet.time_base = Fraction(1, 1000)
                out.mux(packet)
    return path


def _write_audio(out: av.container.OutputContainer, stream: av.AudioStream, seconds: float) -> None:
    """Encode ``seconds`` of sine tone in 1024-sample frames (AAC's frame size), then flush."""
    samples = sine_tone(seconds)
    for start in range(0, samples.shape[1], 1024):
        chunk = np.ascontiguousarray(samples[:, start : start + 1024])
        frame = av.AudioFrame.from_ndarray(chunk, format="s16p", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        frame.time_base = Fraction(1, SAMPLE_RATE)
        out.mux(stream.encode(frame))
    out.mux(stream.encode())


def make_image_sequence(
    folder: str | Path, *, n: int, size: tuple[int, int] = (64, 48), ext: str = "png",
    pattern: str = "{:05d}", start: int = 0, seed: int = 0,
) -> list[Path]:
    """Write ``n`` generated frames as ``folder/00000.png`` ... and return the paths in order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, image in enumerate(moving_shapes(n, size, seed)):
        p = folder / f"{pattern.format(start + i)}.{ext}"
        if not cv2.imwrite(str(p), cv2.cvtColor(image, cv2.COLOR_RGB2BGR)):
            raise OSError(f"could not write {p}")
        paths.append(p)
    return paths


def packet_bytes(path: str | Path, kind: str) -> list[tuple[int | None, bytes]]:
    """(pts, payload) of every packet of the first ``kind`` ("audio"/"subtitle"/"video") stream."""
    with av.open(str(path)) as c:
        streams = getattr(c.streams, kind if kind != "subtitle" else "subtitles")
        if not streams:
            return []
        return [(p.pts, bytes(p)) for p in c.demux(streams[0]) if p.size]


def video_pts(path: str | Path) -> list[float]:
    """Presentation times in seconds of every decoded video frame, in order."""
    with av.open(str(path)) as c:
        return [float(f.pts * f.time_base) for f in c.decode(video=0)]


def keyframed_film(folder: Path, size: tuple[int, int], keys: Sequence[int], n: int = 24,
                   frames: Sequence[np.ndarray] | None = None) -> tuple[Path, Path, Path]:
    """A lossless colour film, its painted keyframes as ``keys/frame_NNNNN.png`` and its black-and-white
    version: (colour, keys folder, gray). Lossless, so that a keyframe can come back exactly.

    frames: the film's RGB (H, W, 3) uint8 pictures, its keyframes painted from them as they are; None:
    ``n`` frames of moving shapes, its keyframes read back from the colour film."""
    from memovid.video import EncodeOptions, read_frames, write_video

    colour = make_video(folder / "colour.mkv", n=None if frames is not None else n, frames=frames, size=size,
                        codec="ffv1", pix_fmt="yuv444p", audio=False)
    keyframes = folder / "keys"
    keyframes.mkdir()
    pictures = enumerate(frames) if frames is not None else ((f.index, f.image) for f in read_frames(colour))
    for index, picture in pictures:
        if index in keys:
            cv2.imwrite(str(keyframes / f"frame_{index:05d}.png"), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    gray = folder / "bw.mkv"
    write_video((f.with_image(np.repeat(f.image[..., None], 3, 2)) for f in read_frames(colour, mode="gray")),
                gray, source=colour, options=EncodeOptions(codec="ffv1"))
    return colour, keyframes, gray
