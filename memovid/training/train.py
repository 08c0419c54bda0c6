"""``memovid train``: learn colour from colour footage and keyframes into one .memo model.

Inputs are split into scenes and a few varied frames per scene are chosen (memovid.training.samples). The
MemoPainter step (memovid.model.Trainer) runs for a budget of steps or minutes on random crops; a
share of the steps hands the generator a keyframe of the same shot warped along the motion, so that
colorize can use same-shot keyframes as a prior. Finally every chosen frame is written into the
memory (the paper's update rule), so each scene has its slots, and frames whose place in a film is
known are kept as keyframes. Checkpoints let an interrupted run resume; ``update`` adds new footage to
an existing model at once (new slots) plus an optional short fine-tune, old scenes kept.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from memovid import __version__
from memovid.training import checkpoint
from memovid.training.config import TrainConfig
from memovid.color.levels import chroma
from memovid.errors import InputError, OutputError
from memovid.log import logger
from memovid.progress import ProgressFn, no_progress
from memovid.training.samples import Sample, collect_samples


@dataclass(frozen=True)
class TrainResult:
    model: Path
    samples: int
    scenes: int
    steps: int
    seconds: float
    losses: dict = field(default_factory=dict)
    resumed_from: int = 0


def checkpoint_path(model_path: Path) -> Path:
    """Where an interrupted run's state waits for --resume, beside the model."""
    return model_path.with_name(model_path.name + ".ckpt")


def train(inputs: Sequence[str | Path], model_path: str | Path | None = None, *, config: TrainConfig = TrainConfig(),
          model_config=None, scene_config=None, scenes=None, update: bool = False, resume: bool = False,
          overwrite: bool = False, backbone_weights: str | Path | None = None,
          progress: ProgressFn = no_progress) -> TrainResult:
    """Train (or, with ``update``, extend) the model at ``model_path`` from ``inputs``.

    inputs: colour video files and/or folders of colour keyframes. scenes: a scene JSON (or
    SceneTable) of the film the keyframes were painted for, used to place keyframes in scenes/shots.
    model_path None: ``<first input's name>.memo`` beside the first input (memovid.default_paths).
    """
    import torch

    from memovid.device import resolve_device
    from memovid.model.backbone import guess_name as guess_backbone
    from memovid.model.bundle import MemoModel
    from memovid.model.config import ModelConfig
    from memovid.model.trainer import Trainer
    from memovid.scenes import load_scene_table

    from memovid.default_paths import default_model_path

    inputs = [Path(p) for p in inputs]
    if not inputs:
        raise InputError("train needs at least one colour video or keyframe folder")
    model_path = default_model_path(inputs) if model_path is None else Path(model_path)
    ckpt = checkpoint_path(model_path)
    if update and not model_path.exists():
        raise InputError(f"{model_path}: no model to update (train without --update first)")
    if resume and not ckpt.exists():
        raise InputError(f"{ckpt}: no checkpoint to resume from")
    if model_path.exists() and not (update or resume or overwrite):
        raise OutputError(f"{model_path} exists; use --update to add to it or --overwrite to replace it")
    if any(model_path.resolve() == p.resolve() for p in inputs):
        raise OutputError(f"{model_path}: the model path is one of the inputs")
    if scenes is not None and not hasattr(scenes, "scenes"):
        scenes = load_scene_table(scenes)

    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    started = time.perf_counter()

    existing = MemoModel.load(ckpt if resume else model_path, device=device, backbone_weights=backbone_weights) if (update or resume) else None
    first_scene = _next_scene_id(existing) if (existing is not None and update) else 0
    samples, tables = [], []
    for path, found, table in collect_samples(inputs, config.size, config.frames_per_scene,
                                              first_scene=first_scene, scene_config=scene_config,
                                              scene_table=scenes, progress=progress):
        if not found:
            raise InputError(f"{path}: no usable colour frames")
        samples += found
        first_scene = max(s.scene for s in found) + 1
        tables.append({"input": str(path), "frames": table.frames if table else len(found),
                       "scenes": len(table.scenes) if table else 1})
    _warn_if_gray(samples)

    if existing is not None:
        model = existing
        if update:
            model.memory.add_slots(len(samples))  # the new footage's slots, old ones untouched
    else:
        mc = model_config or ModelConfig()
        if backbone_weights is not None:
            mc = mc.with_(backbone=guess_backbone(Path(backbone_weights)))
        # Paper: memory size m >= 1.2 x the training set.
        size = max(mc.memory.size, int(1.2 * len(samples)) + 1)
        model = MemoModel(mc.with_(memory=dataclasses.replace(mc.memory, size=size)), backbone_weights=backbone_weights)
    model = model.to(device)
    # An update fine-tunes the generator only: a changed query net would leave the old slots' keys stale.
    trainer = Trainer(model, config=model.config.with_(memory_weight=0.0) if update else None, device=device)
    start_step = int(model.metadata.get("checkpoint", {}).get("step", 0)) if resume else 0
    steps = config.steps or (None if config.minutes else config.auto_steps(len(samples)))
    if update and config.steps is None and config.minutes is None:
        steps = max(50, steps // 4)  # an update is a short fine-tune: the new slots already work
    logger.info("training on %d frames from %d scenes, %s", len(samples), len({s.scene for s in samples}),
                f"{steps} steps" if steps else f"{config.minutes} minutes")

    if resume and not checkpoint.restore(model, trainer, model.metadata.get("checkpoint", {}), rng):
        logger.warning("%s predates saved optimiser state: resuming with fresh Adam moments", ckpt.name)
    batches = _Batches(samples, config, model.config.batch_size, rng, model)
    losses: dict[str, float] = {}
    deadline = started + config.minutes * 60 if config.minutes else None
    step = start_step
    random_state = checkpoint.capture(rng)  # before the next batch is drawn: what a resume starts from
    try:
        while (steps is None or step < steps) and (deadline is None or time.perf_counter() < deadline):
            L, ab, scene_ids, guide = batches.next(device)
            losses = trainer.step(L, ab, scene_ids, guide=guide)
            step += 1
            random_state = checkpoint.capture(rng)
            progress("training", step, steps)
            if step % config.checkpoint_every == 0:
                _save(model, ckpt, step, config, tables, inputs, checkpoint=checkpoint.store(model, trainer, random_state))
    except KeyboardInterrupt:
        _save(model, ckpt, step, config, tables, inputs, checkpoint=checkpoint.store(model, trainer, random_state))
        logger.warning("interrupted at step %d; run again with --resume to continue", step)
        raise

    checkpoint.clear(model)
    write_samples(model, samples, fresh=not update)
    store_keyframes(model, samples)
    _save(model, model_path, step, config, tables, inputs, checkpoint=None)
    ckpt.unlink(missing_ok=True)
    return TrainResult(model_path, len(samples), len({s.scene for s in samples}), step,
                       time.perf_counter() - started, losses, start_step)


def _next_scene_id(model) -> int:
    ids = model.memory.scene_ids
    return int(ids.max().item()) + 1 if ids.numel() else 0


def _warn_if_gray(samples: list[Sample]) -> None:
    mean = np.mean([chroma(s.rgb) for s in samples])
    if mean < 2:
        logger.warning("the training footage has almost no colour (mean chroma %.1f): the model will paint gray", mean)


def write_samples(model, samples: list[Sample], *, fresh: bool) -> None:
    """Write every training frame into the memory with the final query net (the paper's update rule).

    fresh: empty the memory first. Keys written during training came from earlier states of the
    query net; rebuilding them with the final one keeps keys and queries comparable at colorize.
    """
    import torch

    from memovid.color.lab import rgb8_to_film_lab
    from memovid.model.confidence import METADATA_KEY, yardstick

    if fresh:
        model.memory.resize_(model.memory.size)
    model.eval()
    queries = []
    with torch.inference_mode():
        for sample in samples:
            lab = torch.from_numpy(rgb8_to_film_lab(sample.rgb)).permute(2, 0, 1)[None].to(model.device)
            L, ab = lab[:, :1], lab[:, 1:]
            q = model.query(L)
            model.memory.update(q, model.feature.compute(ab, L), sample.scene)
            queries.append(q[0].float().cpu().numpy())
    # The yardstick of retrieval confidence (memovid.model.confidence), measured with the final query net.
    keys = model.memory.keys[model.memory.filled].float().cpu().numpy()
    scale = yardstick(np.stack(queries), [s.scene for s in samples], keys) if queries else None
    if scale is not None:
        model.metadata = {**model.metadata, METADATA_KEY: {"scale": scale, "frames": len(queries)}}


def store_keyframes(model, samples: list[Sample]) -> None:
    """Keep samples whose frame number is known as keyframes (colorize warps them along motion)."""
    from memovid.color.lab import rgb8_to_film_lab
    from memovid.color.levels import L_to_L8
    from memovid.model.keyframes import Keyframe, KeyframeStore

    store = KeyframeStore.from_model(model)
    for sample in samples:
        if sample.frame is not None:
            lab = rgb8_to_film_lab(sample.rgb)
            store.add(Keyframe(sample.frame, L_to_L8(lab[..., 0]), lab[..., 1:], sample.source))
    store.into_model(model)


def _save(model, path: Path, step: int, config: TrainConfig, tables: list, inputs, *, checkpoint: dict | None) -> None:
    """Save the model, or a resumable checkpoint (``checkpoint``: the JSON training state of
    memovid.training.checkpoint.store). Provenance accumulates over --update runs."""
    run = {"memovid": __version__, "inputs": [str(p) for p in inputs], "tables": tables, "steps": step,
           "time": time.strftime("%Y-%m-%dT%H:%M:%S")}
    history = [h for h in model.metadata.get("history", []) if h.get("time") != run["time"]]
    metadata = {**model.metadata, "train": {**asdict(config), "steps_done": step}, "history": history + [run]}
    metadata.pop("checkpoint", None)
    if checkpoint is not None:
        metadata["checkpoint"] = {"step": step, **checkpoint}
    model.metadata = metadata
    model.save(path, metadata=metadata)


def _semantic_guides(model, labs: list[np.ndarray], config: TrainConfig) -> list:
    """Each sample's semantic guide from the other look-alike groups (None where there is none).
    labs: the samples as (h, w, 3) film Lab."""
    if model is None or config.semantic_probability == 0.0:
        return [None] * len(labs)
    from memovid.color.levels import L_to_L8
    from memovid.paint.semantic import training_guides

    model.eval()
    return training_guides(model, [(L_to_L8(lab[..., 0]), lab[..., 1:]) for lab in labs])


class _Batches:
    """Random training batches: crops, flips, and same-shot keyframe guidance for a share of them."""

    def __init__(self, samples: list[Sample], config: TrainConfig, batch_size: int, rng: np.random.Generator,
                 model=None) -> None:
        """model: builds each sample's semantic guide from the others (None: no semantic guides)."""
        from memovid.color.lab import rgb8_to_film_lab

        self.samples, self.config, self.batch_size, self.rng = samples, config, batch_size, rng
        self.lab = [rgb8_to_film_lab(s.rgb) for s in samples]            # (h, w, 3) L: luma in [0, 100]
        self.semantic = _semantic_guides(model, self.lab, config)          # SemanticGuide or None per sample
        self.siblings: dict[int, list[int]] = {}
        by_shot: dict[str, list[int]] = {}
        for i, s in enumerate(samples):
            if s.shot is not None and s.frame is not None:
                by_shot.setdefault(s.shot, []).append(i)
        for members in by_shot.values():
            for i in members:
                self.siblings[i] = [j for j in members if j != i]

    def next(self, device):
        import torch

        from memovid.color.levels import L_to_L8
        from memovid.model.inputs import guide_planes
        from memovid.motion.guide import KeyframeGuide

        batch = self.rng.integers(0, len(self.samples), size=self.batch_size)
        crop = self.config.crop
        heights = [self.lab[i].shape[0] for i in batch]
        widths = [self.lab[i].shape[1] for i in batch]
        ch, cw = min(crop, *heights), min(crop, *widths)
        ch, cw = ch - ch % 8, cw - cw % 8
        L, ab, guide, scene_ids = [], [], [], []
        use_guide = False
        for i in batch:
            lab = self.lab[i]
            prior = None
            if self.siblings.get(i) and self.rng.random() < self.config.guide_probability:
                j = int(self.rng.choice(self.siblings[i]))
                g = KeyframeGuide()
                g.add_keyframe(self.samples[j].frame, L_to_L8(self.lab[j][..., 0]), self.lab[j][..., 1:])
                prior = g.guide_for(self.samples[i].frame, L_to_L8(lab[..., 0]))
            elif self.semantic[i] is not None and self.rng.random() < self.config.semantic_probability:
                prior = self.semantic[i]
            y = int(self.rng.integers(0, lab.shape[0] - ch + 1))
            x = int(self.rng.integers(0, lab.shape[1] - cw + 1))
            flip = bool(self.rng.random() < 0.5)
            window = lab[y:y + ch, x:x + cw]
            g3 = np.zeros((3, ch, cw), np.float32)
            if prior is not None:
                use_guide = True
                g3 = guide_planes(prior.ab[y:y + ch, x:x + cw], prior.weight[y:y + ch, x:x + cw])
            if flip:
                window, g3 = window[:, ::-1], g3[:, :, ::-1]
            L.append(window[..., 0])
            ab.append(window[..., 1:].transpose(2, 0, 1))
            guide.append(g3)
            scene_ids.append(self.samples[i].scene)
        as_t = lambda a: torch.from_numpy(np.ascontiguousarray(np.stack(a), dtype=np.float32)).to(device)
        return (as_t(L)[:, None], as_t(ab), torch.tensor(scene_ids, device=device),
                as_t(guide) if use_guide else None)
