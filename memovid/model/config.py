"""Every default of the MemoPainter model in one place (Yoo et al., CVPR 2019; see DESIGN.md).

Frozen dataclasses: the CLI, presets and the Python API read their defaults from here. Values the
paper gives are marked "paper"; the others are memovid's choices, with the reason beside them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

FEATURE_KINDS = ("dist", "rgb")
DOMAINS = ("cartoon", "real")

# Nearest neighbours searched by the threshold triplet loss (paper: 256 for C_dist, 32 for C_RGB).
DEFAULT_TOP_K = {"dist": 256, "rgb": 32}

# Colour threshold delta, per (feature, domain). Paper: cartoons 0.5-0.7 (C_dist), 8-10 (C_RGB);
# the supplement gives 8-10 for C_dist on real images. C_RGB on real images is not given: the
# cartoon value is reused.
DEFAULT_DELTA = {
    ("dist", "cartoon"): 0.6,
    ("dist", "real"): 9.0,
    ("rgb", "cartoon"): 9.0,
    ("rgb", "real"): 9.0,
}


@dataclass(frozen=True)
class MemoryConfig:
    """The colour memory. ``top_k``/``delta`` None means the per-feature default above."""

    size: int = 1200  # slots m; paper: m >= 1.2 x training-set size (grow with add_slots)
    key_dim: int = 512  # paper
    top_k: int | None = None
    delta: float | None = None
    domain: str = "cartoon"  # memovid colours cartoons and films; picks the default delta
    margin: float = 0.1  # alpha, paper
    age_noise: float = 0.1  # uniform [0, age_noise) added to every age increment, so ties break
    # Single-image inference reads the k nearest slots, weighted softmax(similarity / softness),
    # where the paper reads the top-1 alone: when the nearest slot is another character's (28 % of
    # held-out pictures in benchmarks/model.py) its neighbours outvote it. Measured there (CIEDE2000,
    # one trained model): top-1 3.01; k 5 or 10 at softness 0.05: 2.88; 0.02: 2.94; 0.1: 2.91-2.92.
    blend_k: int = 5
    blend_softness: float = 0.05

    def __post_init__(self) -> None:
        if self.size < 1 or self.key_dim < 1:
            raise ValueError(f"memory size and key_dim must be >= 1, got {self.size}, {self.key_dim}")
        if self.domain not in DOMAINS:
            raise ValueError(f"memory domain must be one of {DOMAINS}, got {self.domain!r}")
        if self.top_k is not None and self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if self.age_noise < 0:
            raise ValueError(f"age_noise must be >= 0, got {self.age_noise}")
        if self.blend_k < 1 or self.blend_softness <= 0:
            raise ValueError(f"blend_k must be >= 1 and blend_softness > 0, got {self.blend_k}, {self.blend_softness}")

    def k_for(self, feature: str) -> int:
        return self.top_k if self.top_k is not None else DEFAULT_TOP_K[feature]

    def delta_for(self, feature: str) -> float:
        return self.delta if self.delta is not None else DEFAULT_DELTA[(feature, self.domain)]


@dataclass(frozen=True)
class ModelConfig:
    """The whole model and its training step."""

    feature: str = "dist"  # colour feature: "dist" (C_dist, 313 bins) or "rgb" (C_RGB, 10 colours)
    use_memory: bool = True  # False = the paper's Res-cGAN ablation (generator conditioned on nothing)
    # The frozen ImageNet backbone that the query head and the generator's decoder read (see
    # memovid.model.backbone): "efficientnet_lite0" (the weights ship with memovid) or "resnet18"
    # (torchvision's file, given with --backbone-weights).
    backbone: str = "efficientnet_lite0"
    width: int = 32  # decoder base channels: the trainable model is ~3 M parameters beside the backbone
    # Channels of the generator's full-size (stride 1) layers, where half the network's time goes
    # (one side-encoder block, the last decoder block). Chroma is smooth at that scale: these layers
    # only have to place it on the outlines. None = width; never more than width. 16 trains twice as
    # fast as 32 at the same quality (notes/MEASUREMENTS.md, "Figures moved out of the code").
    fine_width: int | None = 16
    adain_hidden: int = 128  # the MLP that maps a colour feature to AdaIN scales/shifts (kept small)
    disc_width: int = 32  # PatchGAN base channels
    query_size: int = 224  # the query net sees L resized so that its longer side is this
    l1_weight: float = 10.0  # smooth L1 on ab (Lab units / 110)
    # Non-saturating GAN loss weight; 0 = no discriminator step. Off by default: in the few-shot
    # benchmark (1000 steps, real character art) the discriminator stayed at loss 2 ln 2 / 50 %
    # accuracy, so the term only cost time; it does learn where there is something to tell
    # (tests/test_model_trainer.py). Set e.g. 0.1 for long runs.
    adv_weight: float = 0.0
    memory_weight: float = 1.0  # threshold triplet loss
    guide_prob: float = 0.5  # share of training samples given a synthetic guide (see trainer)
    lr: float = 1e-4  # Adam, paper
    betas: tuple[float, float] = (0.9, 0.999)  # paper
    batch_size: int = 4  # paper
    amp: bool = True  # autocast + GradScaler, used on CUDA only
    memory: MemoryConfig = field(default_factory=MemoryConfig)

    def __post_init__(self) -> None:
        if self.feature not in FEATURE_KINDS:
            raise ValueError(f"feature must be one of {FEATURE_KINDS}, got {self.feature!r}")
        if self.width < 4 or self.disc_width < 4 or (self.fine_width is not None and self.fine_width < 4):
            raise ValueError(f"width/fine_width/disc_width too small: {self.width}, {self.fine_width}, {self.disc_width}")
        if not 0.0 <= self.guide_prob <= 1.0:
            raise ValueError(f"guide_prob must be in [0, 1], got {self.guide_prob}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        """Inverse of to_dict; unknown keys raise TypeError (a newer file's config is not guessed at)."""
        data = dict(data)
        memory = MemoryConfig(**data.pop("memory", {}))
        # Files from before fine_width existed have full-width stride-1 layers.
        data.setdefault("fine_width", None)
        if "betas" in data:
            data["betas"] = tuple(data["betas"])
        return cls(memory=memory, **data)

    def with_(self, **changes: Any) -> "ModelConfig":
        """A copy with some fields changed (``memory=`` takes a MemoryConfig)."""
        return replace(self, **changes)
