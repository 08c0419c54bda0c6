"""Query head: the backbone's pooled ImageNet features -> batch-normalised -> linear -> L2-normalised key.

The backbone (memovid.model.backbone) is frozen and shared with the generator; only this head learns,
by the threshold triplet loss, which of the features tell this film's scenes and characters apart.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F


class QueryNet(nn.Module):
    """pooled (B, in_dim) -> query (B, key_dim), unit L2 norm.

    The pooled features of similar pictures share a large common component (cosine ~0.9), which
    batch normalisation over the training batches (running statistics at inference) removes before
    the linear layer, so that what tells the pictures apart decides the key.
    """

    def __init__(self, in_dim: int, key_dim: int = 512) -> None:
        super().__init__()
        self.head = nn.Sequential(nn.BatchNorm1d(in_dim), nn.Linear(in_dim, key_dim))

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        if pooled.ndim != 2 or pooled.shape[1] != self.head[0].num_features:
            raise ValueError(f"pooled features must be (B, {self.head[0].num_features}), got {tuple(pooled.shape)}")
        return F.normalize(self.head(pooled.float()), dim=1)
