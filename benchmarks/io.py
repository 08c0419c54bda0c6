"""Video I/O speed: memovid's read_frames / transcode against the plain PyAV loop, same run.

    .venv/bin/python benchmarks/io.py [--frames 300] [--size 1280x720] [--repeats 5]

Generates a clip (libx264, no audio so both sides do the same work) in a temporary folder, then
times, alternating the contenders and keeping the best of ``--repeats``:
  decode:        frames decoded to (H, W, 3) uint8 RGB arrays
  decode+encode: decode -> RGB array -> libx264 (yuv420p, crf 18, preset medium) -> mp4, flushed
The baseline is the loop from PyAV's own examples (thread_type="AUTO", container.decode,
to_ndarray("rgb24"), VideoFrame.from_ndarray, stream.encode, mux, flush). Prints a markdown table;
the bar is memovid transcode within 10 % of the plain loop (ratio >= 0.90).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mediagen import make_video  # noqa: E402
from memovid.video import EncodeOptions, read_frames, transcode  # noqa: E402

OPTIONS = EncodeOptions()  # h264: libx264, yuv420p, crf 18, preset medium


def plain_decode(path: Path) -> int:
    n = 0
    with av.open(str(path)) as container:
        container.streams.video[0].thread_type = "AUTO"
        for frame in container.decode(video=0):
            frame.to_ndarray(format="rgb24")
            n += 1
    return n


def plain_transcode(path: Path, out: Path) -> int:
    n = 0
    with av.open(str(path)) as src, av.open(str(out), "w") as dst:
        in_stream = src.streams.video[0]
        in_stream.thread_type = "AUTO"
        stream = dst.add_stream(OPTIONS.spec.encoder, rate=in_stream.average_rate,
                                options=OPTIONS.encoder_options())
        stream.width, stream.height = in_stream.width, in_stream.height
        stream.pix_fmt = OPTIONS.resolved_pix_fmt
        for frame in src.decode(in_stream):
            image = frame.to_ndarray(format="rgb24")
            new = av.VideoFrame.from_ndarray(image, format="rgb24")
            new.pts, new.time_base = frame.pts, frame.time_base
            dst.mux(stream.encode(new))
            n += 1
        dst.mux(stream.encode())
    return n


def memovid_decode(path: Path, prefetch: int) -> int:
    return sum(1 for _ in read_frames(path, prefetch=prefetch))


def memovid_transcode(path: Path, out: Path) -> int:
    return transcode(path, out, options=OPTIONS, overwrite=True).frames


def fps(fn) -> float:
    start = time.perf_counter()
    frames = fn()
    return frames / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clip = make_video(tmp / "clip.mp4", n=args.frames, size=(width, height), audio=False,
                          options={"preset": "veryfast", "g": "50"})
        rows = []
        pairs = [
            ("decode", lambda: plain_decode(clip), "read_frames", lambda: memovid_decode(clip, 0)),
            ("decode", lambda: plain_decode(clip), "read_frames(prefetch=8)", lambda: memovid_decode(clip, 8)),
            ("decode+encode", lambda: plain_transcode(clip, tmp / "plain.mp4"),
             "transcode", lambda: memovid_transcode(clip, tmp / "memovid.mp4")),
        ]
        for task, baseline, name, ours in pairs:
            base_fps, our_fps = 0.0, 0.0
            for _ in range(args.repeats):  # alternate so that machine load hits both alike
                base_fps = max(base_fps, fps(baseline))
                our_fps = max(our_fps, fps(ours))
            rows.append((task, name, base_fps, our_fps))

    print(f"{args.frames} frames {width}x{height} H.264; best of {args.repeats}; "
          f"encode = libx264 crf {OPTIONS.encoder_options()['crf']} preset {OPTIONS.encoder_options()['preset']}\n")
    print("| task | memovid | plain PyAV loop (frames/s) | memovid (frames/s) | ratio |")
    print("|---|---|---:|---:|---:|")
    for task, name, base, ours in rows:
        print(f"| {task} | `{name}` | {base:.1f} | {ours:.1f} | {ours / base:.2f} |")


if __name__ == "__main__":
    main()
