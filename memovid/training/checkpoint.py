"""The training state beyond the weights, kept in a checkpoint so that ``--resume`` continues the run
exactly where it stopped: Adam's moments (without them the first resumed steps take full-size,
unadapted updates), the random generators that draw batches, crops and synthetic guides, and the AMP
loss scalers. Tensors ride in the .memo file as extra tensors under ``ckpt.``; the rest is JSON in the
checkpoint's metadata. A finished model carries none of it.
"""

from __future__ import annotations

import numpy as np

PREFIX = "ckpt."


def capture(rng: np.random.Generator) -> dict:
    """The random state now (call before drawing a batch): {"numpy": JSON state, "torch": ByteTensor}."""
    import torch

    return {"numpy": rng.bit_generator.state, "torch": torch.get_rng_state()}


def store(model, trainer, random_state: dict) -> dict:
    """Put the trainer's optimiser state and ``random_state`` into ``model.extra_tensors``; returns
    the JSON part, for metadata["checkpoint"]."""
    clear(model)
    meta = {"numpy_rng": random_state["numpy"], "optimisers": {}}
    model.extra_tensors[PREFIX + "torch_rng"] = random_state["torch"]
    for name, optimiser in _optimisers(trainer).items():
        state = optimiser.state_dict()
        for index, slots in state["state"].items():
            for key, value in slots.items():
                model.extra_tensors[f"{PREFIX}{name}.{index}.{key}"] = value if hasattr(value, "shape") else _tensor(value)
        meta["optimisers"][name] = state["param_groups"]
    meta["scalers"] = {name: scaler.state_dict() for name, scaler in _scalers(trainer).items()}
    return meta


def restore(model, trainer, meta: dict, rng: np.random.Generator) -> bool:
    """Load what ``store`` kept back into ``trainer`` and ``rng``; False for a checkpoint without it
    (written before this existed: the run resumes with fresh optimiser state)."""
    import torch

    if "optimisers" not in meta:
        return False
    for name, optimiser in _optimisers(trainer).items():
        groups = meta["optimisers"].get(name)
        if groups is None:
            continue
        state: dict[int, dict] = {}
        for key, value in model.extra_tensors.items():
            if key.startswith(f"{PREFIX}{name}."):
                index, slot = key[len(PREFIX) + len(name) + 1:].split(".", 1)
                state.setdefault(int(index), {})[slot] = value
        optimiser.load_state_dict({"state": state, "param_groups": groups})
    for name, scaler in _scalers(trainer).items():
        if name in meta.get("scalers", {}) and meta["scalers"][name]:
            scaler.load_state_dict(meta["scalers"][name])
    rng.bit_generator.state = meta["numpy_rng"]
    torch.set_rng_state(model.extra_tensors[PREFIX + "torch_rng"].to(torch.uint8))
    return True


def clear(model) -> None:
    """Drop checkpoint tensors (a finished model does not carry them)."""
    for key in [k for k in model.extra_tensors if k.startswith(PREFIX)]:
        del model.extra_tensors[key]


def _optimisers(trainer) -> dict:
    return {name: opt for name, opt in (("g", trainer.opt_g), ("d", trainer.opt_d)) if opt is not None}


def _scalers(trainer) -> dict:
    return {name: s for name, s in (("g", trainer.scaler_g), ("d", trainer.scaler_d)) if s.is_enabled()}


def _tensor(value):
    import torch

    return torch.tensor(value)
