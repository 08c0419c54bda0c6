"""MemoModel: query net + colour memory + generator (+ discriminator), and its one-file format (.memo).

A .memo file is a safetensors file: every tensor (query head, generator, optional discriminator,
memory keys/values/ages/scene_ids) plus JSON metadata in the safetensors header: the format name
and version, the ModelConfig, the backbone's name and weights sha256, and whatever the caller passes
(scene table, provenance). The frozen ImageNet backbone is not stored (it ships with memovid or is
the user's file); a random one is. Loading never unpickles; the FAISS index is rebuilt from the keys
on the first search.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn
import torch.nn.functional as F

from memovid.color.features import make_feature
from memovid.errors import InputError, ModelFileError
from memovid.model import backbone as backbones
from memovid.model.backbone import STRIDE, Backbone
from memovid.model.config import ModelConfig
from memovid.model.discriminator import Discriminator
from memovid.model.generator import Generator, crop, pad_to_multiple
from memovid.model.memory import ColorMemory, Retrieval
from memovid.model.query import QueryNet

# Frames the generator paints at once on a CPU at inference: per frame, 2 at a time was the fastest
# at working size 256 (the activations of more spill out of the caches); any batch is cut into these.
CPU_CHUNK = 2

FORMAT_NAME = "memovid.memo"
# 2: the frozen pretrained backbone, named by sha256 and not stored. Version 1 files held a randomly
# initialised ResNet-18 whose keys meant little: they are refused with a line that says to retrain.
FORMAT_VERSION = 2


class MemoModel(nn.Module):
    """The MemoPainter model.

    config: the ModelConfig (feature kind, backbone, widths, memory settings). backbone: a built
    Backbone (default: config.backbone with its ImageNet weights, see memovid.model.backbone; a
    ``backbone_weights`` file instead of the default one; pretrained False = random weights).
    with_discriminator: build the PatchGAN (needed to train or resume training; colorizing does
    not use it). ``metadata`` holds the caller's dict after load (empty for a new model).
    """

    def __init__(self, config: ModelConfig | None = None, pretrained: bool = True, backbone_weights: str | Path | None = None,
                 with_discriminator: bool = True, backbone: Backbone | None = None) -> None:
        super().__init__()
        self.config = config = config or ModelConfig()
        self.feature = make_feature(config.feature)
        self.backbone = backbone if backbone is not None else backbones.build(config.backbone, backbone_weights, pretrained)
        if self.backbone.name != config.backbone:
            raise InputError(f"the config names backbone {config.backbone}, the weights are {self.backbone.name}")
        self.query_net = QueryNet(self.backbone.pooled_dim, config.memory.key_dim)
        m = config.memory
        self.memory = ColorMemory(m.size, m.key_dim, self.feature, m.delta_for(config.feature), m.margin, m.age_noise)
        self.generator = Generator(self.feature, self.backbone.channels, config.width, config.adain_hidden, config.fine_width)
        self.discriminator = Discriminator(self.feature, config.disc_width) if with_discriminator else None
        self.metadata: dict[str, Any] = {}
        # Tensors the video pipeline keeps beside the model (keyframes at working size), by name.
        self.extra_tensors: dict[str, torch.Tensor] = {}

    @property
    def top_k(self) -> int:
        """k of the triplet loss (paper: 256 for C_dist, 32 for C_RGB)."""
        return self.config.memory.k_for(self.config.feature)

    # ---- inference ---------------------------------------------------------------------------
    def encode(self, L: torch.Tensor):
        """The frozen backbone's Features of L (B, 1, H, W) in [0, 100], H, W multiples of STRIDE."""
        with torch.no_grad():
            return self.backbone(L)

    def query(self, L: torch.Tensor) -> torch.Tensor:
        """L (B, 1, H, W) in [0, 100] -> (B, key_dim) unit-norm queries.

        The backbone sees L resized so that its longer side is ``query_size`` (aspect kept), padded
        to its stride."""
        scale = self.config.query_size / max(L.shape[-2:])
        size = (max(1, round(L.shape[-2] * scale)), max(1, round(L.shape[-1] * scale)))
        x = F.interpolate(L.float(), size=size, mode="bilinear", align_corners=False, antialias=scale < 1)
        return self.query_net(self.encode(pad_to_multiple(x, STRIDE)[0]).pooled)

    def paint(self, L: torch.Tensor, feature: torch.Tensor | None, guide: torch.Tensor | None = None):
        """The generator on L at its own size: (ab (B, 2, H, W), the backbone's pooled features).

        Training uses the pooled features for the query of the same crops (one backbone pass)."""
        x, pads = pad_to_multiple(L, STRIDE)
        g = None if guide is None else pad_to_multiple(guide, STRIDE)[0]
        features = self.encode(x)
        return crop(self.generator(x, feature, g, features), pads), features.pooled

    def retrieve(self, q: torch.Tensor, k: int = 1) -> Retrieval:
        """The k nearest written memory slots of each query (slot, similarity, colour, scene id)."""
        return self.memory.retrieve(q, k)

    def colorize(self, L: torch.Tensor, feature: torch.Tensor | None, guide: torch.Tensor | None = None) -> torch.Tensor:
        """L (B, 1, H, W) in [0, 100] + colour feature (B, d) -> ab (B, 2, H, W) in Lab units.

        feature None is allowed only for a memory-off (ablation) model, which ignores features.
        guide: (B, 3, H, W) = (a / AB_SCALE, b / AB_SCALE, weight in [0, 1]) or None (memovid.model.inputs).
        """
        if not self.config.use_memory:
            feature = None
        elif feature is None:
            raise ValueError("this model needs a colour feature (from retrieve() or an image)")
        step = CPU_CHUNK if L.device.type == "cpu" and not torch.is_grad_enabled() else L.shape[0]
        return torch.cat([self.paint(L[i : i + step], None if feature is None else feature[i : i + step],
                                     None if guide is None else guide[i : i + step])[0]
                          for i in range(0, L.shape[0], step)])

    def colorize_from_memory(self, L: torch.Tensor, guide: torch.Tensor | None = None) -> torch.Tensor:
        """Single-image inference: query -> the nearest slots' colour, blended (MemoryConfig.blend_k,
        blend_softness; the paper takes the top-1 alone) -> generator."""
        if not self.config.use_memory:
            return self.colorize(L, None, guide)
        memory = self.config.memory
        retrieval = self.retrieve(self.query(L), memory.blend_k)
        if retrieval.values.shape[1] == 0:
            raise ValueError("the colour memory is empty: train the model first")
        weights = torch.softmax(retrieval.similarities.float() / memory.blend_softness, dim=1)
        return self.colorize(L, self.feature.mix(retrieval.values, weights), guide)

    def parameter_count(self) -> dict[str, int]:
        """Parameters per part. 'model' = query head + generator (what colorizing learns); the frozen
        backbone and the training-only discriminator are listed apart."""
        count = lambda module: sum(p.numel() for p in module.parameters()) if module is not None else 0  # noqa: E731
        parts = {
            "backbone": count(self.backbone),
            "query_head": count(self.query_net),
            "generator": count(self.generator),
            "discriminator": count(self.discriminator),
            "memory_floats": self.memory.keys.numel() + self.memory.values.numel(),
        }
        parts["model"] = parts["query_head"] + parts["generator"]
        parts["trainable"] = sum(p.numel() for p in self.parameters() if p.requires_grad)
        return parts

    # ---- model file --------------------------------------------------------------------------
    def _tensors(self) -> dict[str, torch.Tensor]:
        parts = {"query": self.query_net, "generator": self.generator, "memory": self.memory}
        if self.backbone.sha256 is None:  # random weights cannot be found again: the file keeps them
            parts["backbone"] = self.backbone
        if self.discriminator is not None:
            parts["discriminator"] = self.discriminator
        return {f"{name}.{key}": value for name, module in parts.items() for key, value in module.state_dict().items()}

    def save(self, path: str | Path, metadata: dict[str, Any] | None = None) -> None:
        """Write one .memo file (temporary file + rename: a crash never leaves half a model).

        metadata: any JSON-serialisable dict (scene table, provenance); returned as ``metadata`` by load.
        ``extra_tensors`` are stored under ``extra.NAME`` and come back in ``extra_tensors``.
        """
        from safetensors.torch import save_file

        path = Path(path)
        header = {
            "format": FORMAT_NAME,
            "format_version": str(FORMAT_VERSION),
            "config": json.dumps(self.config.to_dict()),
            "backbone": json.dumps(self.backbone.identity),
            "metadata": json.dumps(metadata or {}),
        }
        tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in self._tensors().items()}
        tensors.update({f"extra.{k}": v.detach().to("cpu").contiguous() for k, v in self.extra_tensors.items()})
        tmp = path.with_name(path.name + ".tmp")
        try:
            save_file(tensors, str(tmp), metadata=header)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu", backbone_weights: str | Path | None = None) -> "MemoModel":
        """Read a .memo file; ModelFileError names the file and what is wrong with it.

        backbone_weights: the weights file the model was trained with, where that was not the
        default one (the sha256 in the file must match)."""
        from safetensors import safe_open

        path = Path(path)
        if not path.is_file():
            raise ModelFileError(f"{path}: no such model file")
        try:
            with safe_open(str(path), framework="pt", device="cpu") as f:
                header = f.metadata() or {}
                if header.get("format") != FORMAT_NAME:
                    raise ModelFileError(f"{path}: not a memovid model file (safetensors without memovid metadata)")
                try:
                    version = int(header.get("format_version", ""))
                except ValueError:
                    raise ModelFileError(f"{path}: unreadable format version {header.get('format_version')!r}") from None
                if version > FORMAT_VERSION:
                    raise ModelFileError(f"{path}: format version {version} is newer than this memovid reads ({FORMAT_VERSION}); upgrade memovid")
                if version < FORMAT_VERSION:
                    raise ModelFileError(f"{path}: made by an older memovid (format {version}, a randomly initialised backbone); "
                                         "retrain it: memovid train YOUR_COLOUR_FILM -m " + path.name)
                try:
                    config = ModelConfig.from_dict(json.loads(header["config"]))
                    identity = json.loads(header["backbone"])
                    user = json.loads(header.get("metadata", "{}"))
                except (KeyError, TypeError, ValueError) as error:
                    raise ModelFileError(f"{path}: bad model configuration in the header ({error})") from error
                names = set(f.keys())
                tensors = {name: f.get_tensor(name) for name in names}
        except ModelFileError:
            raise
        except Exception as error:  # safetensors reports truncation and foreign bytes in its own words
            raise ModelFileError(f"{path}: not a readable model file ({error})") from error
        if "memory.keys" not in tensors:
            raise ModelFileError(f"{path}: missing tensor memory.keys")
        backbone = backbones.rebuild(identity, backbone_weights, path)
        model = cls(config, with_discriminator=any(n.startswith("discriminator.") for n in names), backbone=backbone)
        model.memory.resize_(tensors["memory.keys"].shape[0])
        expected = model._tensors()
        missing = sorted(set(expected) - names)
        if missing:
            more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            raise ModelFileError(f"{path}: missing tensors {', '.join(missing[:3])}{more}")
        for name, value in expected.items():
            if tensors[name].shape != value.shape:
                raise ModelFileError(f"{path}: tensor {name} has shape {tuple(tensors[name].shape)}, expected {tuple(value.shape)}")
        stored = {"query.": model.query_net, "generator.": model.generator, "memory.": model.memory,
                  "discriminator.": model.discriminator, "backbone.": model.backbone if backbone.sha256 is None else None}
        for prefix, module in stored.items():
            if module is not None:
                module.load_state_dict({k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)})
        model.metadata = user
        model.extra_tensors = {k[len("extra."):]: v for k, v in tensors.items() if k.startswith("extra.")}
        return model.to(device).eval()

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device
