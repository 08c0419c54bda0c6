"""EfficientNet-Lite0 (Tan and Le, 2019; the Lite variants: no squeeze-excitation, ReLU6, fixed stem
and head), as TensorFlow trained it: "same" padding and batch norm eps 1e-3.

memovid's default backbone. It is written here, in timm's layer names and order (``tf_efficientnet_lite0``:
``conv_stem``, ``bn1``, ``blocks.S.J.conv_pw``...), rather than built by timm at run time: timm imports
torchvision, and the two bring torch's compiler stack (dynamo, sympy, triton) into the process,
~200 MB of resident memory and ~3 s of start-up that a colorize run never uses. tests/test_model_backbone.py
holds this network to timm's, value for value, with the same weights.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
# (block kind, repeats, kernel, stride, expansion, out channels) per stage: the Lite0 row of the paper's
# table, depth and width multipliers 1.0
STAGES = (("ds", 1, 3, 1, 1, 16), ("ir", 2, 3, 2, 6, 24), ("ir", 2, 5, 2, 6, 40), ("ir", 3, 3, 2, 6, 80),
          ("ir", 3, 5, 1, 6, 112), ("ir", 4, 5, 2, 6, 192), ("ir", 1, 3, 1, 6, 320))
STEM, HEAD = 32, 1280


class SameConv2d(nn.Conv2d):
    """A bias-free convolution padded as TensorFlow's "same": output = ceil(input / stride), the odd
    pixel of padding at the bottom and right. Stride 1 pads evenly, which nn.Conv2d does itself."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> None:
        super().__init__(cin, cout, kernel, stride, padding=(kernel - 1) // 2 if stride == 1 else 0,
                         groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride[0] > 1:
            x = F.pad(x, [*_same(x.shape[-1], self.kernel_size[1], self.stride[1]),
                          *_same(x.shape[-2], self.kernel_size[0], self.stride[0])])
        return super().forward(x)


def _same(size: int, kernel: int, stride: int) -> tuple[int, int]:
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class BNAct(nn.BatchNorm2d):
    """Batch norm with ReLU6 after it when ``act``: timm's BatchNormAct2d, the same parameters and names."""

    def __init__(self, channels: int, act: bool) -> None:
        super().__init__(channels, eps=BN_EPS)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = super().forward(x)
        return F.relu6(x) if self.act else x


class DepthwiseSeparable(nn.Module):
    """Stage 0: depthwise k x k, BN + ReLU6, pointwise 1 x 1, BN (a skip when the shape allows)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.conv_dw = SameConv2d(cin, cin, kernel, stride, groups=cin)
        self.bn1 = BNAct(cin, True)
        self.conv_pw = SameConv2d(cin, cout, 1)
        self.bn2 = BNAct(cout, False)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn2(self.conv_pw(self.bn1(self.conv_dw(x))))
        return x + y if self.skip else y


class InvertedResidual(nn.Module):
    """Stages 1-6: expand 1 x 1, BN + ReLU6, depthwise k x k, BN + ReLU6, project 1 x 1, BN, + skip."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expansion: int) -> None:
        super().__init__()
        mid = cin * expansion
        self.conv_pw = SameConv2d(cin, mid, 1)
        self.bn1 = BNAct(mid, True)
        self.conv_dw = SameConv2d(mid, mid, kernel, stride, groups=mid)
        self.bn2 = BNAct(mid, True)
        self.conv_pwl = SameConv2d(mid, cout, 1)
        self.bn3 = BNAct(cout, False)
        self.skip = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn3(self.conv_pwl(self.bn2(self.conv_dw(self.bn1(self.conv_pw(x))))))
        return x + y if self.skip else y


class Lite0(nn.Module):
    """The layers, for memovid.model.backbone to call in order: ``conv_stem``/``bn1`` (stride 2),
    ``blocks`` (7 stages, strides 1, 2, 2, 2, 1, 2, 1), ``conv_head``/``bn2`` (1280 channels). No
    classifier: the backbone reads the head's pooled features, not ImageNet's classes."""

    def __init__(self) -> None:
        super().__init__()
        self.conv_stem = SameConv2d(3, STEM, 3, 2)
        self.bn1 = BNAct(STEM, True)
        stages, cin = [], STEM
        for kind, repeats, kernel, stride, expansion, cout in STAGES:
            blocks = []
            for j in range(repeats):
                s = stride if j == 0 else 1
                blocks.append(DepthwiseSeparable(cin, cout, kernel, s) if kind == "ds"
                              else InvertedResidual(cin, cout, kernel, s, expansion))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        self.blocks = nn.Sequential(*stages)
        self.conv_head = SameConv2d(cin, HEAD, 1)
        self.bn2 = BNAct(HEAD, True)
        for m in self.modules():  # TF's initialisation, as timm's (only seen by random-weight ablations)
            if isinstance(m, nn.Conv2d):
                fan_out = m.kernel_size[0] * m.kernel_size[1] * m.out_channels // m.groups
                nn.init.normal_(m.weight, 0.0, math.sqrt(2.0 / fan_out))


class _Act(nn.Module):
    """What a BNAct becomes once its batch norm is folded into the convolution before it."""

    def __init__(self, act: bool) -> None:
        super().__init__()
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu6(x) if self.act else x


def _fold(conv: SameConv2d, bn: BNAct) -> nn.Module:
    """Folds frozen batch norm into ``conv`` (weights scaled per output channel, a bias added), in
    place; returns what replaces ``bn``."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    layout = torch.channels_last if conv.weight.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format
    conv.weight = nn.Parameter((conv.weight * scale.view(-1, 1, 1, 1)).contiguous(memory_format=layout), requires_grad=False)
    conv.bias = nn.Parameter(bn.bias - bn.running_mean * scale, requires_grad=False)
    return _Act(bn.act)


def fold_batch_norms(stem: nn.Sequential, blocks: nn.Sequential, head: nn.Sequential) -> tuple[nn.Module, ...]:
    """Copies of the layers with every batch norm folded into its convolution: the same function for
    a frozen network (to ~1e-4) in one pass per layer instead of two; on 2 CPU cores the backbone at
    224 px ran ~25 % faster."""
    import copy

    stem, blocks, head = copy.deepcopy(stem), copy.deepcopy(blocks), copy.deepcopy(head)
    stem[1], head[1] = _fold(stem[0], stem[1]), _fold(head[0], head[1])
    for stage in blocks:
        for block in stage:
            if isinstance(block, DepthwiseSeparable):
                block.bn1, block.bn2 = _fold(block.conv_dw, block.bn1), _fold(block.conv_pw, block.bn2)
            else:
                block.bn1, block.bn2 = _fold(block.conv_pw, block.bn1), _fold(block.conv_dw, block.bn2)
                block.bn3 = _fold(block.conv_pwl, block.bn3)
    return stem, blocks, head
