"""Query network: gray frame -> ResNet-18 spatial features -> pooled -> trainable linear -> L2-normalised key.

ImageNet weights are used when available locally (an explicit ``backbone_weights`` file, else
torchvision's file in the torch hub cache); nothing is ever downloaded. Without them the backbone
starts from random initialisation, is trained with the rest, and memovid says so once.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F
import torchvision

from memovid.errors import InputError
from memovid.log import warn_once

RESNET18_FILE = "resnet18-f37072fd.pth"  # torchvision's ImageNet-1k v1 weights
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


def hub_weights_path() -> Path:
    """Where torchvision would cache the ResNet-18 ImageNet weights."""
    return Path(torch.hub.get_dir()) / "checkpoints" / RESNET18_FILE


def _load_state(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    return torch.load(path, map_location="cpu", weights_only=True)  # weights_only: no code runs


class QueryNet(nn.Module):
    """L (B, 1, H, W) in [0, 100] -> query (B, key_dim), unit L2 norm.

    The backbone sees L / 100 replicated to 3 channels with ImageNet normalisation, resized so that
    its longer side is ``input_size`` (aspect kept; the global average pool takes any shape).
    pretrained: True = load ImageNet weights (from ``backbone_weights`` or the hub cache; missing ->
    random init + one warning); False = random init, silently (e.g. before loading a model file).
    freeze_backbone: None = frozen exactly when ImageNet weights were loaded.
    The head normalises the pooled features over the batch (BatchNorm1d, running statistics at
    inference) before its linear layer: pooled ResNet features of similar pictures share a large
    common component (cosine ~0.99) that otherwise drowns what tells them apart.
    """

    def __init__(self, key_dim: int = 512, input_size: int = 224, pretrained: bool = True, backbone_weights: str | Path | None = None, freeze_backbone: bool | None = None) -> None:
        super().__init__()
        resnet = torchvision.models.resnet18(weights=None)  # weights=None never downloads
        self.loaded_weights: Path | None = None
        if pretrained:
            path = Path(backbone_weights) if backbone_weights is not None else hub_weights_path()
            if path.is_file():
                try:
                    resnet.load_state_dict(_load_state(path))
                except Exception as error:
                    raise InputError(f"{path}: not ResNet-18 weights ({error})") from error
                self.loaded_weights = path
            elif backbone_weights is not None:
                raise InputError(f"{path}: backbone weights file not found")
            else:
                warn_once("no-imagenet", "no ImageNet ResNet-18 weights at %s: the query backbone starts from random initialisation", path)
        self.backbone = nn.Sequential(*list(resnet.children())[:-2])  # conv features (B, 512, h, w)
        self.head = nn.Sequential(nn.BatchNorm1d(512), nn.Linear(512, key_dim))
        self.input_size = input_size
        self.frozen = self.loaded_weights is not None if freeze_backbone is None else freeze_backbone
        if self.frozen:
            self.backbone.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)

    def train(self, mode: bool = True) -> "QueryNet":
        super().train(mode)
        if self.frozen:  # a frozen backbone keeps its ImageNet batch-norm statistics
            self.backbone.eval()
        return self

    def forward(self, L: torch.Tensor) -> torch.Tensor:
        if L.ndim != 4 or L.shape[1] != 1:
            raise ValueError(f"L must be (B, 1, H, W), got {tuple(L.shape)}")
        scale = self.input_size / max(L.shape[-2:])
        size = (max(1, round(L.shape[-2] * scale)), max(1, round(L.shape[-1] * scale)))
        x = F.interpolate(L.float() / 100.0, size=size, mode="bilinear", align_corners=False, antialias=scale < 1)
        x = (x.expand(-1, 3, -1, -1) - self.mean) / self.std
        features = self.backbone(x).mean((2, 3))  # (B, 512), spatial features average-pooled
        return F.normalize(self.head(features).float(), dim=1)
