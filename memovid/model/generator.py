"""Generator: a U-Net whose encoder is the pretrained backbone, its decoder modulated by AdaIN from the colour feature.

The backbone's ImageNet features say what is in the frame (a face, a sky, a car), which a decoder
trained in CPU minutes cannot learn from a few keyframes; the decoder only has to learn which colour
goes where. A small side encoder reads the luminance and the guide (moved keyframe colour) at the
finer strides, where the colour must follow the outlines. Output ab = AB_SCALE * tanh(x): Lab units,
bounded to the range of sRGB colours.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from memovid.color.features import ColorFeature
from memovid.color.levels import AB_SCALE
from memovid.model.backbone import STRIDE, Features

SIDE_LEVELS = 4  # side encoder maps at strides 1, 2, 4, 8


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
    coarsest instance norm needs more than one pixel); returns the pads (l, r, t, b). Reflect where
    the side allows it, replicate where the frame is too small to reflect."""
    H, W = x.shape[-2:]
    ph = max(-(-H // multiple), 2) * multiple - H
    pw = max(-(-W // multiple), 2) * multiple - W
    pads = (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)
    if ph == 0 and pw == 0:
        return x, pads
    mode = "reflect" if max(pads[2:]) < H and max(pads[:2]) < W else "replicate"
    return F.pad(x, pads, mode=mode), pads


def crop(x: torch.Tensor, pads: tuple[int, int, int, int]) -> torch.Tensor:
    """Undo pad_to_multiple."""
    l, r, t, b = pads
    return x[..., t : x.shape[-2] - b, l : x.shape[-1] - r]


class Generator(nn.Module):
    """(L, feature, guide, features) -> ab (B, 2, H, W), all at a padded size (multiples of STRIDE).

    L: (B, 1, H, W) in [0, 100]. feature: a colour feature of ``color_feature`` (raw, e.g. a C_dist
    histogram) or None = the memory-off ablation, which uses a learned constant feature instead (same
    MLP, same size). guide: (B, 3, H, W) = (a / AB_SCALE, b / AB_SCALE, weight in [0, 1]), e.g.
    motion-moved keyframe colours; None = zeros. features: the backbone's Features of this L.
    backbone_channels: the channels of the backbone's five maps (strides 2 to 32).
    """

    def __init__(self, color_feature: ColorFeature, backbone_channels: tuple[int, ...], width: int = 32, adain_hidden: int = 128,
                 fine_width: int | None = None) -> None:
        super().__init__()
        if len(backbone_channels) != 5:
            raise ValueError(f"need the channels of 5 backbone maps, got {backbone_channels}")
        self.color_feature = color_feature
        fine = width if fine_width is None else min(fine_width, width)  # channels at stride 1 (ModelConfig.fine_width)
        side = [fine, width, 2 * width, 2 * width]  # strides 1, 2, 4, 8
        self.side = nn.ModuleList([_EncoderBlock(4, side[0], 1)] + [_EncoderBlock(side[i - 1], side[i], 2) for i in range(1, SIDE_LEVELS)])
        dec = [fine, width, 2 * width, 3 * width, 4 * width, 6 * width]  # strides 1 .. 32
        skips = [side[0], side[1] + backbone_channels[0], side[2] + backbone_channels[1],
                 side[3] + backbone_channels[2], backbone_channels[3]]  # what joins the decoder at strides 1 .. 16
        self.bottleneck = _AdaINBlock(backbone_channels[4], dec[5])
        self.decoder = nn.ModuleList([_AdaINBlock(dec[i + 1] + skips[i], dec[i]) for i in reversed(range(5))])
        self.out = nn.Conv2d(dec[0], 2, 1)
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

    def styles(self, feature: torch.Tensor | None, batch: int) -> list[torch.Tensor]:
        """The AdaIN parameters of each decoder block, from a colour feature (B, d) or None."""
        if feature is None:
            cond = self.null_feature.expand(batch, -1)
        elif feature.shape != (batch, self.color_feature.dim):
            raise ValueError(f"feature must be {(batch, self.color_feature.dim)}, got {tuple(feature.shape)}")
        else:
            cond = self.color_feature.embed(feature)
        return list(self.mlp(cond.to(self.null_feature.dtype)).split(self._splits, dim=1))

    def forward(self, L: torch.Tensor, feature: torch.Tensor | None, guide: torch.Tensor | None, features: Features) -> torch.Tensor:
        if L.ndim != 4 or L.shape[1] != 1 or L.shape[-2] % STRIDE or L.shape[-1] % STRIDE:
            raise ValueError(f"L must be (B, 1, H, W) with H, W multiples of {STRIDE}, got {tuple(L.shape)}")
        B, _, H, W = L.shape
        if guide is None:
            guide = L.new_zeros(B, 3, H, W)
        elif guide.shape != (B, 3, H, W):
            raise ValueError(f"guide must be {(B, 3, H, W)}, got {tuple(guide.shape)}")
        styles = self.styles(feature, B)
        x = torch.cat((L / 50.0 - 1.0, guide.to(L.dtype)), 1)
        side = []
        for block in self.side:
            x = block(x)
            side.append(x)
        maps = features.maps
        skips = [side[0], torch.cat((side[1], maps[0]), 1), torch.cat((side[2], maps[1]), 1),
                 torch.cat((side[3], maps[2]), 1), maps[3]]
        x = self.bottleneck(maps[4], styles[0])
        for block, style, skip in zip(self.decoder, styles[1:], reversed(skips)):
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
            x = block(torch.cat((x, skip.to(x.dtype)), 1), style)
        return AB_SCALE * torch.tanh(self.out(x))  # (B, 2, H, W), Lab units in (-110, 110)
