"""Generator: a U-Net from L (+ optional guide) to ab, its decoder modulated by AdaIN from the colour feature.

Fully convolutional: any H x W works. Inputs are padded (reflect; replicate when too small to
reflect) to a multiple of 2**depth and the output is cropped back, so the frame is never squashed
or cropped. Output ab = AB_SCALE * tanh(x): Lab units, bounded to the +-110 range of sRGB colours.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from memovid.color.features import ColorFeature
from memovid.color.levels import AB_SCALE


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, stride=stride, padding=1)


class _EncoderBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(cin, cout, stride), nn.InstanceNorm2d(cout, affine=True), nn.LeakyReLU(0.2),
            _conv(cout, cout), nn.InstanceNorm2d(cout, affine=True), nn.LeakyReLU(0.2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class _AdaINBlock(nn.Module):
    """Two 3x3 convs, each followed by AdaIN (instance norm, then (1 + scale) and shift per channel)."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = _conv(cin, cout), _conv(cout, cout)
        self.channels = cout
        self.n_params = 4 * cout  # scale and shift for each of the two convs

    def forward(self, x: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        s1, b1, s2, b2 = style.unflatten(1, (4, self.channels)).unsqueeze(-1).unsqueeze(-1).unbind(1)
        x = F.leaky_relu(F.instance_norm(self.conv1(x)) * (1 + s1) + b1, 0.2)
        return F.leaky_relu(F.instance_norm(self.conv2(x)) * (1 + s2) + b2, 0.2)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int, int, int]]:
    """Pad (B, C, H, W) on all sides to H, W multiples of ``multiple`` and at least 2 * multiple (the
    bottleneck's instance norm needs more than one pixel); returns the pads (l, r, t, b)."""
    H, W = x.shape[-2:]
    ph = max(-(-H // multiple), 2) * multiple - H
    pw = max(-(-W // multiple), 2) * multiple - W
    pads = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
    if ph == 0 and pw == 0:
        return x, pads
    mode = "reflect" if ph < H and pw < W else "replicate"  # reflect needs the pad below the side
    return F.pad(x, pads, mode=mode), pads


class Generator(nn.Module):
    """(L (B, 1, H, W) in [0, 100], feature (B, d) or None, guide (B, 3, H, W) or None) -> ab (B, 2, H, W).

    feature: a colour feature of ``color_feature`` (raw, e.g. a C_dist histogram); None = the
    memory-off ablation, which uses a learned constant feature instead (same MLP, same size).
    guide: channels (a / AB_SCALE, b / AB_SCALE, weight in [0, 1]), e.g. motion-warped keyframe colours;
    None = zeros (no guidance).
    """

    def __init__(self, color_feature: ColorFeature, width: int = 64, depth: int = 3, adain_hidden: int = 128) -> None:
        super().__init__()
        self.color_feature = color_feature
        self.depth = depth
        chans = [min(width * 2**i, width * 8) for i in range(depth + 1)]
        self.encoder = nn.ModuleList([_EncoderBlock(4, chans[0], 1)] + [_EncoderBlock(chans[i - 1], chans[i], 2) for i in range(1, depth + 1)])
        self.bottleneck = _AdaINBlock(chans[-1], chans[-1])
        self.decoder = nn.ModuleList([_AdaINBlock(chans[i + 1] + chans[i], chans[i]) for i in reversed(range(depth))])
        self.out = nn.Conv2d(chans[0], 2, 1)
        blocks = [self.bottleneck, *self.decoder]
        self._splits = [b.n_params for b in blocks]
        self.mlp = nn.Sequential(
            nn.Linear(color_feature.dim, adain_hidden), nn.ReLU(),
            nn.Linear(adain_hidden, adain_hidden), nn.ReLU(),
            nn.Linear(adain_hidden, sum(self._splits)),
        )
        nn.init.zeros_(self.mlp[-1].weight)  # start as plain instance norm; the feature's say is learned
        nn.init.zeros_(self.mlp[-1].bias)
        self.null_feature = nn.Parameter(torch.zeros(color_feature.dim))

    @property
    def stride(self) -> int:
        return 2**self.depth

    def forward(self, L: torch.Tensor, feature: torch.Tensor | None = None, guide: torch.Tensor | None = None) -> torch.Tensor:
        if L.ndim != 4 or L.shape[1] != 1:
            raise ValueError(f"L must be (B, 1, H, W), got {tuple(L.shape)}")
        B, _, H, W = L.shape
        if guide is None:
            guide = L.new_zeros(B, 3, H, W)
        elif guide.shape != (B, 3, H, W):
            raise ValueError(f"guide must be {(B, 3, H, W)}, got {tuple(guide.shape)}")
        if feature is None:
            cond = self.null_feature.expand(B, -1)
        elif feature.shape != (B, self.color_feature.dim):
            raise ValueError(f"feature must be {(B, self.color_feature.dim)}, got {tuple(feature.shape)}")
        else:
            cond = self.color_feature.embed(feature)
        styles = self.mlp(cond.to(self.null_feature.dtype)).split(self._splits, dim=1)
        x, pads = pad_to_multiple(torch.cat((L / 50.0 - 1.0, guide.to(L.dtype)), 1), self.stride)
        skips = []
        for block in self.encoder:
            x = block(x)
            skips.append(x)
        x = self.bottleneck(skips.pop(), styles[0])
        for block, style in zip(self.decoder, styles[1:]):
            skip = skips.pop()
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat((x, skip), 1), style)
        ab = AB_SCALE * torch.tanh(self.out(x))  # (B, 2, H', W'), Lab units in (-110, 110)
        l, r, t, b = pads
        return ab[..., t : ab.shape[-2] - b, l : ab.shape[-1] - r]
