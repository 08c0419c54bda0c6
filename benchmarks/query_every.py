"""Pass 1 asking the memory about every frame against every ``--every``-th (and each changed picture).

colorize's first pass runs the model's query (the frozen backbone) on the frames it asks about and
votes their memory slots over each scene (memovid.paint.analyse). This runs that pass on one film with
one model both ways, in this process, and prints its time, the query's calls (the frames asked, and
the patch memory's own queries for the shots without keyframes that it matches), the scenes whose
elected slot changes and the shots left without a query sample (the samples weight the palettes of
shots no keyframe reaches).

    .venv/bin/python benchmarks/query_every.py MODEL.memo FILM [--every 4]

The README's figures: the 720p Megamind profile clip and model that benchmarks/stage_profile.py
--keep DIR leaves, and the whole freecol_opening and wannaworktogether films with new_clips.py's
models.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from memovid.model.bundle import MemoModel
from memovid.paint.analyse import analyse
from memovid.paint.config import ColorizeConfig
from memovid.paint.film import open_film


def run(film: Path, model: Path, every: int) -> dict:
    asked = []
    query = MemoModel.query

    def counted(self, L):
        asked.append(len(L))
        return query(self, L)

    MemoModel.query = counted
    try:
        opened = open_film(film, model, ColorizeConfig(query_every=every))
        start = time.perf_counter()
        analysis = analyse(opened)
        seconds = time.perf_counter() - start
    finally:
        MemoModel.query = query
    sampled = {analysis.table.shot_of(i) for i, _ in analysis.samples}
    return {"seconds": seconds, "asked": sum(asked), "frames": len(analysis.frame_confidence),
            "slots": [c and c.slot for c in analysis.choices],
            "unsampled": [s for s in range(len(analysis.table.shots)) if s not in sampled]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("film", type=Path)
    parser.add_argument("--every", type=int, default=ColorizeConfig().query_every)
    args = parser.parse_args()
    every_frame, every_nth = run(args.film, args.model, 1), run(args.film, args.model, args.every)
    changed = sum(a != b for a, b in zip(every_frame["slots"], every_nth["slots"]))
    print(f"{args.film.name}, {every_frame['frames']} frames, {len(every_frame['slots'])} scenes\n")
    print(f"| | every frame | every {args.every}th + changed pictures |")
    print("|---|---:|---:|")
    print(f"| pass 1, s | {every_frame['seconds']:.2f} | {every_nth['seconds']:.2f} |")
    print(f"| queries (frames asked + the patch memory's) | {every_frame['asked']} | {every_nth['asked']} |")
    print(f"| scenes electing another slot | | {changed} of {len(every_frame['slots'])} |")
    print(f"| shots without a query sample | {len(every_frame['unsampled'])} | {len(every_nth['unsampled'])} |")


if __name__ == "__main__":
    main()
