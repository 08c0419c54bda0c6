"""An interrupted training run resumes exactly: the same weights as a run that was never stopped."""

import pytest
import torch

from memovid.training.config import TrainConfig
from memovid.model.bundle import MemoModel
from memovid.model.trainer import Trainer
from memovid.training.train import checkpoint_path, train
from tests.mediagen import make_video

CONFIG = TrainConfig(steps=4, size=64, crop=48, checkpoint_every=2, frames_per_scene=3)


def _weights(path):
    model = MemoModel.load(path)
    return {k: v for k, v in model._tensors().items() if k.startswith(("generator.", "query.", "memory."))}


def test_interrupted_then_resumed_equals_uninterrupted(tmp_path, monkeypatch):
    colour = make_video(tmp_path / "colour.mp4", n=16, size=(64, 48), audio=False)
    straight = tmp_path / "straight.memo"
    train([colour], straight, config=CONFIG)

    stopped = tmp_path / "stopped.memo"
    real_step, calls = Trainer.step, []

    def step_then_ctrl_c(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # Ctrl-C in the middle of step 3: the last finished step is 2
            raise KeyboardInterrupt
        return real_step(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "step", step_then_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        train([colour], stopped, config=CONFIG)
    monkeypatch.setattr(Trainer, "step", real_step)
    assert not stopped.exists() and checkpoint_path(stopped).exists()
    assert MemoModel.load(checkpoint_path(stopped)).metadata["checkpoint"]["step"] == 2

    result = train([colour], stopped, config=CONFIG, resume=True)
    assert result.steps == 4 and not checkpoint_path(stopped).exists()
    a, b = _weights(straight), _weights(stopped)
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key].float(), b[key].float(), atol=1e-6), key
    # The finished model carries no training state.
    assert not any(k.startswith("ckpt.") for k in MemoModel.load(stopped).extra_tensors)
