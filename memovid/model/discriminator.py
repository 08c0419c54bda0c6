"""PatchGAN discriminator on (L, ab), conditioned on the colour feature by concatenation."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from memovid.color.features import ColorFeature
from memovid.color.levels import AB_SCALE
from memovid.model.generator import pad_to_multiple

_COND_CHANNELS = 16


class Discriminator(nn.Module):
    """(L (B, 1, H, W) in [0, 100], ab (B, 2, H, W) Lab units, feature (B, d)) -> logits (B, 1, h, w).

    Each logit judges a ~70 px patch (three stride-2 4x4 convs, then two stride-1). The colour feature
    goes through a linear layer to 16 channels broadcast over the image and concatenated to the input,
    so "right colours for this feature" is what it learns to tell. Inputs are padded to multiples of
    16 (at least 32 px), so that tiny frames still give logits. Spectral norm keeps it from winning
    outright on small data (it has to keep giving the generator gradients).
    """

    def __init__(self, color_feature: ColorFeature, width: int = 32) -> None:
        super().__init__()
        self.color_feature = color_feature
        self.cond = nn.Linear(color_feature.dim, _COND_CHANNELS)
        chans = [3 + _COND_CHANNELS, width, width * 2, width * 4, width * 8]
        layers: list[nn.Module] = []
        for i in range(4):
            layers += [spectral_norm(nn.Conv2d(chans[i], chans[i + 1], 4, stride=2 if i < 3 else 1, padding=1)), nn.LeakyReLU(0.2)]
        layers.append(spectral_norm(nn.Conv2d(chans[-1], 1, 4, padding=1)))
        self.body = nn.Sequential(*layers)

    def forward(self, L: torch.Tensor, ab: torch.Tensor, feature: torch.Tensor) -> torch.Tensor:
        B, _, H, W = L.shape
        if ab.shape != (B, 2, H, W) or feature.shape != (B, self.color_feature.dim):
            raise ValueError(f"need L (B, 1, H, W), ab (B, 2, H, W), feature (B, {self.color_feature.dim}); got {tuple(L.shape)}, {tuple(ab.shape)}, {tuple(feature.shape)}")
        cond = self.cond(self.color_feature.embed(feature)).view(B, -1, 1, 1).expand(-1, -1, H, W)
        x, _ = pad_to_multiple(torch.cat((L / 50.0 - 1.0, ab / AB_SCALE, cond), 1), 16)
        return self.body(x)
