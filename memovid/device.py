"""Choosing where the model runs: CUDA when present (auto), else CPU."""

from __future__ import annotations

from memovid.errors import DependencyError

DEVICES = ("auto", "cpu", "cuda")


def check_device(device: str) -> None:
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")


def resolve_device(name: str = "auto"):
    """'auto' -> cuda if available else cpu; 'cuda' without a usable GPU is a DependencyError."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise DependencyError("--device cuda was asked for, but no CUDA GPU is usable here (try --device cpu)")
    return torch.device(name)
