"""``memovid train``: learn colour from colour video and keyframe folders into a .memo model."""

from __future__ import annotations

from pathlib import Path

import click

from memovid.cli.common import Session, default, existing, pass_session
from memovid.device import DEVICES
from memovid.errors import InputError
from memovid.training.config import TrainConfig


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=existing)
@click.option("-m", "--model", "model_path", type=existing, default=None,
              help="The .memo model file to write (default: <first input's name>.memo beside it).")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None, help="Training budget in minutes.")
@click.option("--steps", type=click.IntRange(1), default=None, help="Training budget in steps (default: from the footage).")
@click.option("--frames-per-scene", type=click.IntRange(1), default=default(TrainConfig, "frames_per_scene"),
              show_default=True, help="Colour frames chosen per scene (the paper's few-shot regime).")
@click.option("--size", type=click.IntRange(64, 2048), default=default(TrainConfig, "size"), show_default=True,
              help="Working size: long side of the frames the model sees, in pixels.")
@click.option("--device", type=click.Choice(DEVICES), default=default(TrainConfig, "device"), show_default=True)
@click.option("--update", is_flag=True, help="Add these inputs to an existing model (old scenes kept).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its checkpoint.")
@click.option("--overwrite", is_flag=True, help="Replace MODEL if it exists.")
@click.option("--seed", type=int, default=default(TrainConfig, "seed"), show_default=True)
@click.option("--scenes", "scenes_file", type=existing, default=None,
              help="Scene JSON of the film keyframes were painted for (places keyframes in scenes).")
@click.option("--backbone-weights", type=existing, default=None,
              help="Backbone weights instead of the shipped ImageNet EfficientNet-Lite0 (e.g. torchvision's ResNet-18 .pth).")
@pass_session
def train(session: Session, inputs: tuple[Path, ...], model_path: Path | None, minutes, steps, frames_per_scene, size,
          device, update, resume, overwrite, seed, scenes_file, backbone_weights) -> None:
    """Learn colour from colour video and/or folders of colour keyframes."""
    from memovid.training.train import train as run_train

    try:
        config = TrainConfig(size=size, frames_per_scene=frames_per_scene, steps=steps, minutes=minutes,
                             device=device, seed=seed)
    except ValueError as error:
        raise InputError(str(error)) from None
    with session.progress() as progress:
        result = run_train(list(inputs), model_path, config=config, scenes=scenes_file, update=update,
                           resume=resume, overwrite=overwrite, backbone_weights=backbone_weights,
                           progress=progress)
    if not session.quiet:
        from memovid.cli.ui import err

        err.print(f"wrote {result.model}: {result.samples} frames from {result.scenes} scenes, "
                  f"{result.steps} steps in {result.seconds / 60:.1f} min")
