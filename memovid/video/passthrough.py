"""Copying a source's audio and subtitle streams into an output as packets, interleaved with video.

The source is demuxed a second time, lazily: ``mux_until(t)`` copies packets up to ``t`` seconds as the
video is written, so memory stays bounded and the output is interleaved; ``mux_until(None)`` copies the
rest. Used by the writer and by the segment join, which must behave the same.
"""

from __future__ import annotations

from pathlib import Path

import av

from memovid.log import logger


class StreamCopier:
    """The source's audio (and subtitle) streams added to ``out`` by template, fed packet by packet."""

    def __init__(self, source: str | Path | None, out: av.container.OutputContainer, *, audio: bool,
                 subtitles: bool, target: str | Path) -> None:
        self.input: av.container.InputContainer | None = None
        self.map: dict[int, av.stream.Stream] = {}
        self._pending: av.Packet | None = None
        self._packets = iter(())
        self._out = out
        self._source = source
        self._refused = 0
        self._cut = False
        self._copied_to = 0.0
        if source is None or not (audio or subtitles):
            return
        self.input = av.open(str(source))
        wanted = (list(self.input.streams.audio) if audio else []) + \
                 (list(self.input.streams.subtitles) if subtitles else [])
        for stream in wanted:
            name = stream.codec_context.name if stream.codec_context else stream.codec.name
            if name not in out.supported_codecs:
                logger.warning("%s: %s stream %d (%s) cannot be stored in this container; not copied",
                               target, stream.type, stream.index, name)
                continue
            self.map[stream.index] = out.add_stream_from_template(stream)
        if not self.map:
            self.close()
            return
        selected = [s for s in self.input.streams if s.index in self.map]
        self._packets = (p for p in self.input.demux(*selected) if p.dts is not None or p.pts is not None)

    def mux_until(self, until: float | None) -> None:
        """Copy source packets whose time is up to ``until`` seconds (all that are left when None).

        A damaged source must not stop the film: packets the muxer refuses (timestamps out of order)
        are skipped and counted, and where the demuxer gives up the copy ends; ``close`` says so once.
        """
        while self.map:
            if self._pending is None:
                try:
                    self._pending = next(self._packets, None)
                except av.error.FFmpegError:  # a demux generator that raised is finished
                    self._cut, self._packets = True, iter(())
                if self._pending is None:
                    return
            packet = self._pending
            ts = packet.dts if packet.dts is not None else packet.pts
            seconds = float(ts * packet.time_base)
            if until is not None and seconds > until:
                return
            packet.stream = self.map[packet.stream_index]
            try:
                self._out.mux(packet)
                self._copied_to = max(self._copied_to, seconds)
            except av.error.FFmpegError:
                self._refused += 1
            self._pending = None

    def close(self) -> None:
        parts = []
        if self._refused:
            parts.append(f"{self._refused} sound/subtitle packet(s) with broken timestamps skipped")
        if self._cut:
            parts.append(f"the sound cannot be read past {self._copied_to:.2f} s")
        if parts:
            logger.warning("%s: %s", self._source, "; ".join(parts))
            self._refused, self._cut = 0, False
        if self.input is not None:
            self.input.close()
            self.input = None

    def __enter__(self) -> "StreamCopier":
        return self

    def __exit__(self, *exc) -> bool:
        self.close()
        return False
