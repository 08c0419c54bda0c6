"""Few-shot colorization of real character art: the memory on the ImageNet backbone vs the memory on a
random backbone vs the no-memory ablation vs gray.

Each character (renpy_characters, kenney_characters, scratch_costumes in ../shared/data) is one
"scene": a few of its pictures train the model, the others are held out and colorized from their
luminance alone (the full model: query -> the nearest memory slots' colour, blended by similarity
(MemoryConfig.blend_k, blend_softness) -> generator; also read as the paper reads it, the top-1 slot
alone; the ablation: the same generator conditioned on nothing, trained for the same number of
steps). Then colour by parts from the same model's training pictures, as memovid paints a frame no
keyframe of its shot reaches (memovid.paint.semantic, the patch memory): its raw correspondence (the k
nearest training positions' ab, no hedge), and memovid's default mix (the match and the luminance
palette by the gains fitted on left-out training pictures; see patch_rows for the two orders). Pictures are composited on white and letterboxed to SIZE x SIZE (aspect kept). Also: the
palette-swap figure, training steps/s and inference images/s at 256 x 256 at the default width, beside
the same network with full-width full-size layers (fine_width None, the network before), and the
parameter count.

    .venv/bin/python benchmarks/model.py [--steps 600] [--size 128] [--width 24] [--adv 0.1] [--threads 2]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from memovid.color.ciede2000 import ciede2000
from memovid.color.lab import lab_to_rgb, rgb_to_lab
from memovid.model.backbone import STRIDE
from memovid.model.bundle import MemoModel
from memovid.model.generator import pad_to_multiple
from memovid.model.config import MemoryConfig, ModelConfig
from memovid.model.patches import PatchConfig
from memovid.model.trainer import Trainer

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def characters() -> dict[str, list[Path]]:
    """character name -> its pictures, sorted."""
    groups: dict[str, list[Path]] = {}
    for path in sorted((DATA / "renpy_characters").glob("*/*.png")):
        if path.parent.name == "sylvie":
            groups.setdefault("renpy/" + "_".join(path.stem.split("_")[:2]), []).append(path)
        elif not path.stem.startswith("concert"):
            groups.setdefault("renpy/" + path.stem.split("_")[0], []).append(path)
    for folder in sorted(p for p in (DATA / "kenney_characters").iterdir() if p.is_dir()):
        groups["kenney/" + folder.name] = sorted(folder.glob("*.png"))
    for path in sorted((DATA / "scratch_costumes").glob("*")):
        if path.suffix in (".png", ".gif") and path.stem != "sheet":
            groups.setdefault("scratch/" + path.stem.split("-")[0], []).append(path)
    return {k: v for k, v in groups.items() if len(v) >= 2}


def load(path: Path, size: int) -> torch.Tensor:
    """(3, size, size) Lab: the picture on white, shrunk to fit, centred (letterbox, aspect kept)."""
    image = Image.open(path).convert("RGBA")
    image.thumbnail((size, size), Image.LANCZOS)
    canvas = Image.new("RGBA", (size, size), (255, 255, 255, 255))
    canvas.alpha_composite(image, ((size - image.width) // 2, (size - image.height) // 2))
    rgb = torch.from_numpy(np.asarray(canvas.convert("RGB"), dtype=np.float32) / 255).permute(2, 0, 1)
    return rgb_to_lab(rgb)


def split(groups, size, train_per):
    train, test = [], []
    for scene, (name, paths) in enumerate(groups.items()):
        n_test = max(1, min(2, len(paths) // 3))
        for p in paths[: min(train_per, len(paths) - n_test)]:
            train.append((load(p, size), scene))
        for p in paths[len(paths) - n_test :]:
            test.append((load(p, size), scene))
    return train, test


def train(config, data, steps, seed, pretrained=True):
    torch.manual_seed(seed)
    model = MemoModel(config, pretrained=pretrained)
    trainer = Trainer(model)
    labs = torch.stack([lab for lab, _ in data])
    scenes = torch.tensor([s for _, s in data])
    log = []
    for step in range(steps):
        pick = torch.randint(len(data), (config.batch_size,))
        batch = labs[pick]
        flip = torch.rand(len(pick)) < 0.5
        batch[flip] = batch[flip].flip(-1)
        log.append(trainer.step(batch[:, :1], batch[:, 1:], scenes[pick]))
    return model.eval(), log


def metrics(lab_true, ab_pred):
    """Mean CIEDE2000 and PSNR (dB, sRGB) of L_true + ab_pred against the truth, after sRGB clipping."""
    rgb_pred = lab_to_rgb(torch.cat((lab_true[:, :1], ab_pred), 1))
    rgb_true = lab_to_rgb(lab_true)
    de = ciede2000(rgb_to_lab(rgb_pred).permute(0, 2, 3, 1), lab_true.permute(0, 2, 3, 1)).mean()
    mse = ((rgb_pred - rgb_true) ** 2).mean((1, 2, 3))
    return float(de), float((10 * torch.log10(1 / mse.clamp(min=1e-10))).mean())


@torch.no_grad()
def palette_swap(model, test, train_data):
    """How far swapping in another scene's colour feature moves the output's mean ab toward that
    scene's colours (1 = all the way), and by how many ab units, for each held-out picture paired
    with the scene whose mean colour is farthest from its own."""
    mean_ab = {}
    for lab, s in train_data:
        mean_ab.setdefault(s, []).append(lab[1:].mean((1, 2)))
    mean_ab = {s: torch.stack(v).mean(0) for s, v in mean_ab.items()}
    feature = {s: model.feature.compute(lab[None, 1:], lab[None, :1]) for lab, s in reversed(train_data)}
    fractions, shifts = [], []
    for lab, s in test:
        other = max(mean_ab, key=lambda o: float((mean_ab[o] - mean_ab[s]).norm()))
        L = lab[None, :1]
        own = model.colorize(L, feature[s]).mean((0, 2, 3))
        swapped = model.colorize(L, feature[other]).mean((0, 2, 3))
        gap = mean_ab[other] - mean_ab[s]
        fractions.append(float((swapped - own) @ gap / (gap @ gap)))
        shifts.append(float((swapped - own).norm()))
    return float(np.mean(fractions)), float(np.mean(shifts))


def patch_rows(model, train_data, labs) -> dict[str, torch.Tensor]:
    """ab (N, 2, H, W) of the held-out pictures from the patch memory of the training pictures: the raw
    correspondence, and memovid's mix (``--semantic mix``, the default: the match and the palette by
    gains fitted on left-out pictures) with its gains fitted two ways. The fit leaves out whole
    stretches of the pictures in the order given, as it would a film's: in character order each
    stretch holds characters no other stretch has (so nothing seems to carry over); interleaved
    (every character's first picture, then every second, ...) each stretch has them all, as a film's
    stretches have its recurring characters."""
    from memovid.color.levels import L_to_L8
    from memovid.model.inputs import resize_to
    from memovid.model.patches import frame_features, grid_of, grid_shape
    from memovid.paint.hedge import confidence
    from memovid.paint.semantic import _fit, _guide, _palette_bank

    within = [sum(s == train_data[i][1] for _, s in train_data[:i]) for i in range(len(train_data))]
    order = sorted(range(len(train_data)), key=lambda i: (within[i], i))  # every character's 1st, then 2nd, ...
    raw, mixed = [], {"character order": [], "interleaved": []}
    fits = {}
    for name, picks in (("character order", list(range(len(train_data)))), ("interleaved", order)):
        pictures = [(L_to_L8(train_data[i][0][0].numpy()), train_data[i][0][1:].permute(1, 2, 0).numpy()) for i in picks]
        bank = _palette_bank(model, pictures, 8)
        fits[name] = (_fit(model, pictures, PatchConfig(), bank), bank)
    for lab in labs:
        L = lab[0].numpy()
        L_grid = grid_of(L, grid_shape(L.shape))[None]
        features, query = frame_features(model.backbone, [L], model.device), model.query(lab[None, :1])[0].numpy()
        for name, (fitted, bank) in fits.items():
            match = fitted.memory.match(features, L_grid)
            sure = confidence(match)[0]
            if name == "character order":  # the memory's positions are the same either way
                raw.append(_guide(match.ab[0], np.ones_like(sure), L_grid[0], L, 0.0).ab)
            mix = fitted.with_palette
            palette = bank.palette_for(query)
            matched = _guide(match.ab[0], mix(sure), L_grid[0], L, 0.0).ab
            mixed[name].append(matched + resize_to(mix.palette_gain(sure), L.shape)[..., None] * palette(L))
    as_ab = lambda xs: torch.from_numpy(np.stack(xs)).permute(0, 3, 1, 2).float()
    return {"patch memory, raw correspondence (no hedge, no generator)": as_ab(raw),
            **{f"patch memory + palette, gains fitted in {name} (memovid's default for unreached shots)": as_ab(xs)
               for name, xs in mixed.items()}}


SPEED_CONFIG = ModelConfig(memory=MemoryConfig(size=64))  # the default network, a small memory
TOP1_ROW = "memory, ImageNet backbone, top-1 slot only (the paper's inference)"


def speed(threads, config=SPEED_CONFIG, steps=6):
    """Training steps/s (batch 4) and inference images/s at 256 x 256 of ``config`` (default: the
    default width)."""
    torch.manual_seed(0)
    model = MemoModel(config)
    trainer = Trainer(model)
    L, ab = torch.rand(4, 1, 256, 256) * 100, torch.randn(4, 2, 256, 256) * 20
    trainer.step(L, ab, [0, 1, 2, 3])
    start = time.perf_counter()
    for _ in range(steps):
        trainer.step(L, ab, [0, 1, 2, 3])
    train_rate = steps / (time.perf_counter() - start)
    model.eval()
    with torch.no_grad():
        model.colorize_from_memory(L[:1])
        start = time.perf_counter()
        for _ in range(2):
            model.colorize_from_memory(L)
    return train_rate, 8 / (time.perf_counter() - start), model.parameter_count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=600, help="training steps per model (same for all)")
    parser.add_argument("--size", type=int, default=128, help="working size of the experiment")
    parser.add_argument("--width", type=int, default=24, help="generator width of the experiment")
    parser.add_argument("--train-per", type=int, default=3, help="training pictures per character")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--adv", type=float, default=ModelConfig().adv_weight, help="adversarial loss weight")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    groups = characters()
    train_data, test = split(groups, args.size, args.train_per)
    config = ModelConfig(width=args.width, query_size=args.size, lr=args.lr, adv_weight=args.adv, memory=MemoryConfig(size=max(16, round(1.2 * len(train_data)))))
    rows, extra, retrieval = {}, {}, {}
    labs = torch.stack([lab for lab, _ in test])
    truth = torch.tensor([s for _, s in test])
    rows["gray (a = b = 0)"] = metrics(labs, torch.zeros_like(labs[:, 1:]))
    runs = (("no memory (Res-cGAN ablation)", config.with_(use_memory=False), True),
            ("memory, random backbone", config, False),
            ("memory, ImageNet backbone (default)", config, True))
    for name, cfg, pretrained in runs:
        start = time.perf_counter()
        model, log = train(cfg, train_data, args.steps, args.seed, pretrained)
        extra[name] = (time.perf_counter() - start, log)
        with torch.no_grad():
            ab = torch.cat([model.colorize_from_memory(labs[i : i + 8, :1]) for i in range(0, len(labs), 8)])
            rows[name] = metrics(labs, ab)
            if cfg.use_memory:
                found = model.retrieve(model.query(labs[:, :1]), 1)
                raw = F.normalize(model.encode(pad_to_multiple(labs[:, :1], STRIDE)[0]).pooled, dim=1)
                spread = (raw @ raw.T)[~torch.eye(len(raw), dtype=torch.bool)]  # between different pictures
                retrieval[name] = (float((found.scene_ids[:, 0] == truth).float().mean()),
                                   np.percentile(found.similarities[:, 0].numpy(), [10, 90]),
                                   np.percentile(spread.numpy(), [10, 90]))
                if pretrained:  # the same model read as the paper reads it: the top-1 slot alone
                    top1 = torch.cat([model.colorize(labs[i : i + 8, :1], found.values[i : i + 8, 0]) for i in range(0, len(labs), 8)])
                    rows[TOP1_ROW] = metrics(labs, top1)
                    for row, ab in patch_rows(model, train_data, labs).items():
                        rows[row] = metrics(labs, ab)
    fraction, shift = palette_swap(model, test, train_data)
    late = extra["memory, ImageNet backbone (default)"][1][-50:]

    print(f"Few-shot colorization: {len(groups)} characters, {len(train_data)} training / {len(test)} held-out pictures, "
          f"{args.size}x{args.size}, width {args.width}, {args.steps} steps of batch 4, lr {args.lr}, {args.threads} threads\n")
    print("| method | CIEDE2000 (lower better) | PSNR dB (higher better) | train time s |")
    print("|---|---|---|---|")
    for name, (de, psnr) in rows.items():
        seconds = f"{extra[name][0]:.0f}" if name in extra else "-"
        print(f"| {name} | {de:.2f} | {psnr:.2f} | {seconds} |")
    no_memory = rows["no memory (Res-cGAN ablation)"][0]
    print(f"\n- ImageNet memory vs no memory: {100 * (1 - rows['memory, ImageNet backbone (default)'][0] / no_memory):.1f} % lower CIEDE2000")
    for name, (accuracy, top1, raw) in retrieval.items():
        print(f"- {name}: top-1 slot from the right character for {accuracy:.0%} of held-out pictures "
              f"(chance {1 / len(groups):.0%}); top-1 similarity p10-p90 {top1[0]:.2f}-{top1[1]:.2f}; "
              f"raw pooled backbone cosines between held-out pictures p10-p90 {raw[0]:.2f}-{raw[1]:.2f}")
    print(f"- palette swap: another character's colour feature moves mean ab {fraction:.0%} of the way to its colours "
          f"({shift:.1f} ab units; mean |ab| of held-out pictures {float(labs[:, 1:].norm(dim=1).mean()):.1f})")
    if args.adv > 0:
        d_acc = np.mean([(s["d_real"] + 1 - s["d_fake"]) / 2 for s in late])
        d_loss = np.mean([s["d_loss"] for s in late])
        print(f"- discriminator, last 50 steps: loss {d_loss:.3f} (2 ln 2 = 1.386), accuracy {d_acc:.0%}")
    if not args.skip_speed:
        train_rate, infer_rate, counts = speed(args.threads)
        full_config = SPEED_CONFIG.with_(fine_width=None)
        full_train, full_infer, _ = speed(args.threads, full_config)
        print(f"- speed at 256x256, default width {ModelConfig().width}, full-size layers {ModelConfig().fine_width} channels: "
              f"training {train_rate:.3f} steps/s (batch 4), inference {infer_rate:.2f} images/s (query + retrieval + generator); "
              f"the same at full width ({full_config.width} channels at full size, before): {full_train:.3f} steps/s, "
              f"{full_infer:.2f} images/s; CPU, {args.threads} threads")
        print(f"- parameters: model (query head + generator) {counts['model'] / 1e6:.2f} M; frozen {ModelConfig().backbone} backbone "
              f"{counts['backbone'] / 1e6:.2f} M (not stored in the .memo); discriminator (training only) {counts['discriminator'] / 1e6:.2f} M")


if __name__ == "__main__":
    main()
