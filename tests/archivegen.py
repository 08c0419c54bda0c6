"""Archive-like test media made in memory: DivX-era AVI with packed B-frames, byte-level damage.

    make_packed_avi(tmp_path / "divx.avi", n=30)      # MPEG-4 Part 2, packed B-frames, AC-3 sound
    truncate(path, 0.6); garbage(path, 0.5, 4096); zero_header(path, 64)

Nothing is downloaded; every file is written by FFmpeg's own encoders and rearranged here at the
byte level as DivX 5 wrote them.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from mediagen import SAMPLE_RATE, make_video, sine_tone

VOP = b"\x00\x00\x01\xb6"
VOL = b"\x00\x00\x01\x20"
# The user data DivX 5 writes before its first VOP; the trailing "p" says "packed bitstream".
DIVX_PACKED = b"\x00\x00\x01\xb2DivX503b1393p"
# A not-coded P-VOP: the 7-byte placeholder DivX puts where the packed B-frame's slot was.
N_VOP = VOP + bytes([0b01011000, 0b00001100]) + b"\x7f"


def _vop_type(chunk: bytes) -> int:
    """0 I, 1 P, 2 B, 3 S (vop_coding_type, the two bits after the VOP start code)."""
    return chunk[chunk.index(VOP) + 4] >> 6


def pack_bframes(chunks: list[bytes]) -> list[bytes]:
    """Decode-order MPEG-4 chunks (I P B B P B B ...) -> DivX packed: each anchor shares its chunk with
    the first B-frame after it, and an N-VOP takes the anchor's own slot, so the chunk count (and the
    AVI's one-chunk-per-frame timing) is unchanged."""
    out, i = [], 0
    while i < len(chunks):
        chunk = chunks[i]
        if _vop_type(chunk) != 2 and i + 1 < len(chunks) and _vop_type(chunks[i + 1]) == 2:
            out.append(chunk + chunks[i + 1])
            i += 2
            while i < len(chunks) and _vop_type(chunks[i]) == 2:
                out.append(chunks[i])
                i += 1
            out.append(N_VOP)
        else:
            out.append(chunk)
            i += 1
    return [c.replace(VOL, DIVX_PACKED + VOL, 1) if VOL in c else c for c in out]


def make_packed_avi(path: str | Path, *, n: int = 30, size: tuple[int, int] = (64, 48), fps: int = 25,
                    audio: bool = True) -> Path:
    """An AVI as DivX 5 wrote them: MPEG-4 Part 2 with 2 B-frames packed, AC-3 sound, ``n`` frames."""
    path = Path(path)
    plain = make_video(path.with_suffix(".plain.avi"), n=n, size=size, fps=fps, codec="mpeg4", audio=False,
                       options={"bf": "2", "g": "12"})
    with av.open(str(plain)) as src:
        video = src.streams.video[0]
        packets = [p for p in src.demux(video) if p.size]
        chunks = pack_bframes([bytes(p) for p in packets])
        with av.open(str(path), "w") as out:
            out_video = out.add_stream_from_template(video)
            sound = out.add_stream("ac3", rate=SAMPLE_RATE, layout="stereo") if audio else None
            samples = sine_tone(n / fps)
            written = 0
            for i, chunk in enumerate(chunks):
                packet = av.Packet(chunk)
                packet.pts = packet.dts = i
                packet.time_base = video.time_base
                packet.is_keyframe = VOL in chunk or _vop_type(chunk) == 0
                packet.stream = out_video
                out.mux(packet)
                if sound is not None:  # interleave: sound up to the end of this frame
                    until = min(samples.shape[1], round((i + 1) * SAMPLE_RATE / fps))
                    written = _encode_audio(out, sound, samples, written, until)
            if sound is not None:
                out.mux(sound.encode())
    plain.unlink()
    return path


def _encode_audio(out, stream, samples: np.ndarray, start: int, stop: int) -> int:
    if stop > start:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, start:stop]), format="s16p",
                                           layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        frame.time_base = Fraction(1, SAMPLE_RATE)
        out.mux(stream.encode(frame))
    return stop


def truncate(path: str | Path, fraction: float, out: str | Path | None = None) -> Path:
    """A copy (or ``path`` itself) cut after ``fraction`` of its bytes."""
    data = Path(path).read_bytes()
    target = Path(out or path)
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def garbage(path: str | Path, where: float, length: int, out: str | Path | None = None, seed: int = 0) -> Path:
    """A copy with ``length`` random bytes written over the file from ``where`` (a fraction) on."""
    data = bytearray(Path(path).read_bytes())
    at = int(len(data) * where)
    noise = np.random.default_rng(seed).integers(0, 256, size=min(length, len(data) - at), dtype=np.uint8)
    data[at : at + len(noise)] = noise.tobytes()
    target = Path(out or path)
    target.write_bytes(bytes(data))
    return target


def zero_header(path: str | Path, length: int, out: str | Path | None = None) -> Path:
    """A copy whose first ``length`` bytes are zeros."""
    data = bytearray(Path(path).read_bytes())
    data[:length] = bytes(min(length, len(data)))
    target = Path(out or path)
    target.write_bytes(bytes(data))
    return target


def write_tiny_model(path: Path) -> Path:
    """A .memo with random weights at working size 64: made in a second, enough to run colorize on
    odd files (the archive tests and benchmarks/archive.py)."""
    import torch

    from memovid.model.bundle import MemoModel
    from memovid.model.config import MemoryConfig, ModelConfig

    torch.manual_seed(0)
    config = ModelConfig(feature="rgb", width=8, disc_width=8, adain_hidden=16, query_size=32,
                         memory=MemoryConfig(size=6))
    model = MemoModel(config, pretrained=False).eval()
    L = torch.rand(4, 1, 16, 16) * 100
    model.memory.update(model.query(L), model.feature.compute(torch.randn(4, 2, 16, 16) * 30, L),
                        torch.tensor([0, 0, 1, 1]))
    model.save(path, {"train": {"size": 64}})
    return path
