"""A model's keyframes are read without copies: colorize holds every keyframe of the film it verified,
and a reel keyframed every 13 frames has hundreds of them (the 1320-frame profile film's 110 took 61 MiB
of its peak as float32 copies)."""

from types import SimpleNamespace

import numpy as np
import torch

from memovid.model.inputs import at_size
from memovid.model.keyframes import Keyframe, KeyframeStore


def _model(n: int = 3, shape=(36, 64)):
    rng = np.random.default_rng(0)
    store = KeyframeStore([Keyframe(13 * i, rng.integers(0, 256, shape, dtype=np.uint8),
                                    rng.normal(0, 20, (*shape, 2)).astype(np.float32), "keys") for i in range(n)])
    model = SimpleNamespace(extra_tensors={}, metadata={})
    store.into_model(model)
    return store, model


def test_keyframes_read_from_a_model_share_its_tensors():
    written, model = _model()
    read = KeyframeStore.from_model(model)
    for n, frame in enumerate(sorted(read.by_frame)):
        keyframe = read.by_frame[frame]
        assert keyframe.ab.dtype == np.float16
        assert np.shares_memory(keyframe.ab, model.extra_tensors[f"keyframe.{n}.ab"].numpy())
        # what the model file keeps: the painted ab to float16 precision
        np.testing.assert_allclose(keyframe.ab, written.by_frame[frame].ab, rtol=1e-3, atol=1e-3)


def test_at_size_gives_float32_at_the_working_size():
    _, model = _model()
    keyframe = KeyframeStore.from_model(model).by_frame[13]
    L8, ab = at_size(keyframe, (18, 32))
    assert L8.dtype == np.uint8 and L8.shape == (18, 32)
    assert ab.dtype == np.float32 and ab.shape == (18, 32, 2)
    same_L8, same_ab = at_size(keyframe, keyframe.L8.shape)
    assert np.array_equal(same_ab, keyframe.ab.astype(np.float32)) and np.array_equal(same_L8, keyframe.L8)


def test_a_model_written_back_keeps_its_keyframes():
    _, model = _model()
    read = KeyframeStore.from_model(model)
    again = SimpleNamespace(extra_tensors={}, metadata={})
    read.into_model(again)
    for name, tensor in model.extra_tensors.items():
        assert torch.equal(tensor, again.extra_tensors[name]), name
