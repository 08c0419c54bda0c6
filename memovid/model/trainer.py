"""One MemoPainter training step: memory loss + update, generator and discriminator updates.

Seed with ``torch.manual_seed`` for repeatable CPU runs (every random draw here uses torch's
global generator). Mixed precision (bf16 where the GPU supports it, else fp16 with GradScaler)
is used on CUDA only.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from memovid.color.levels import AB_SCALE

from memovid.model.bundle import MemoModel
from memovid.model.config import ModelConfig


def synthetic_guide(ab: torch.Tensor, prob: float) -> torch.Tensor:
    """Guides like the video pipeline's motion-warped keyframe colours, for a random share of a batch.

    ab: (B, 2, H, W) true colours. A guided sample gets its ab shifted by up to 1/16 of the frame
    (warp error) and a smooth random weight field scaled by a random level in [0.2, 1]; the
    others get zeros (no guide), so the generator learns both to use and to do without a guide.
    Returns (B, 3, H, W): (a / AB_SCALE, b / AB_SCALE, weight in [0, 1]), as memovid.model.inputs packs it.
    """
    B, _, H, W = ab.shape
    guide = ab.new_zeros(B, 3, H, W)
    for i in torch.nonzero(torch.rand(B) < prob).squeeze(1).tolist():
        dy, dx = (torch.randint(-max(1, H // 16), max(1, H // 16) + 1, (2,))).tolist()
        shifted = torch.roll(ab[i], shifts=(dy, dx), dims=(1, 2)) / AB_SCALE
        field = F.interpolate(torch.rand(1, 1, 4, 4, device=ab.device), size=(H, W), mode="bilinear", align_corners=False)[0]
        weight = field * (0.2 + 0.8 * torch.rand(1, device=ab.device))
        guide[i] = torch.cat((shifted * (weight > 0), weight))
    return guide


class Trainer:
    """Trains a MemoModel in place, one batch per ``step``.

    config: defaults to the model's own (loss weights, lr, betas, AMP). The query net is trained by
    the triplet loss, the generator by smooth L1 + adversarial loss; both with one Adam, the
    discriminator with another (none when adv_weight is 0 or the model has no discriminator).
    """

    def __init__(self, model: MemoModel, config: ModelConfig | None = None, device: str | torch.device = "cpu") -> None:
        self.config = cfg = config or model.config
        self.device = torch.device(device)
        self.model = model.to(self.device)
        params = list(model.generator.parameters())
        if cfg.use_memory:
            params += list(model.query_net.parameters())  # the backbone is frozen: only the head learns
        self.opt_g = torch.optim.Adam(params, lr=cfg.lr, betas=cfg.betas, foreach=True)
        self.use_gan = cfg.adv_weight > 0 and model.discriminator is not None
        self.opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=cfg.lr, betas=cfg.betas, foreach=True) if self.use_gan else None
        self.amp = cfg.amp and self.device.type == "cuda"
        self.amp_dtype = torch.bfloat16 if self.amp and torch.cuda.is_bf16_supported() else torch.float16
        fp16 = self.amp and self.amp_dtype == torch.float16
        self.scaler_g = torch.amp.GradScaler("cuda", enabled=fp16)
        self.scaler_d = torch.amp.GradScaler("cuda", enabled=fp16)
        self.steps = 0

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=self.amp_dtype, enabled=self.amp)

    def step(self, L: torch.Tensor, ab: torch.Tensor, scene_ids: torch.Tensor | list[int] | int,
             guide: torch.Tensor | None = None) -> dict[str, float]:
        """One step on a batch: L (B, 1, H, W) in [0, 100], ab (B, 2, H, W) Lab units, scene ids (B,) >= 0.

        guide: (B, 3, H, W) real guides (e.g. a same-shot keyframe warped along the motion, as colorize
        makes them); None draws synthetic ones for ``guide_prob`` of the batch.

        Returns float losses and counters: l1, adv (generator's GAN loss); with the GAN on, d_loss, d_real / d_fake
        (share of real / generated patches the discriminator calls real), memory (triplet loss),
        positives / negatives / terms (samples that found each in their top-k), filled (memory slots).
        """
        if L.ndim != 4 or L.shape[1] != 1 or ab.shape != (L.shape[0], 2, *L.shape[2:]):
            raise ValueError(f"need L (B, 1, H, W) and ab (B, 2, H, W), got {tuple(L.shape)} and {tuple(ab.shape)}")
        cfg, model = self.config, self.model
        L, ab = L.to(self.device).float(), ab.to(self.device).float()
        scene = torch.as_tensor(scene_ids, dtype=torch.long).expand(L.shape[0])
        model.train()
        v = model.feature.compute(ab, L)  # (B, d): the paper conditions on the TRUE colour feature in training
        stats: dict[str, float] = {}
        with self._autocast():
            if guide is None:
                guide = synthetic_guide(ab, cfg.guide_prob)
            # one backbone pass feeds both the generator and the query of these crops
            fake, pooled = model.paint(L, v if cfg.use_memory else None, guide.to(self.device).float())
            memory_loss = L.new_zeros(())
            if cfg.use_memory:
                q = model.query_net(pooled)
                triplet = model.memory.threshold_triplet_loss(q.float(), v, model.top_k)
                memory_loss = triplet.loss
                stats.update(positives=triplet.positives, negatives=triplet.negatives, terms=triplet.terms)
        if self.use_gan:
            with self._autocast():
                d_real = model.discriminator(L, ab, v)
                d_fake = model.discriminator(L, fake.detach(), v)
                d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
            self.opt_d.zero_grad(set_to_none=True)
            self.scaler_d.scale(d_loss).backward()
            self.scaler_d.step(self.opt_d)
            self.scaler_d.update()
            stats.update(d_loss=float(d_loss.detach()), d_real=float((d_real > 0).float().mean()), d_fake=float((d_fake > 0).float().mean()))
        with self._autocast():
            l1 = F.smooth_l1_loss(fake.float(), ab, beta=1.0) / AB_SCALE  # Lab units, quadratic below 1 unit
            adv = F.softplus(-model.discriminator(L, fake, v)).mean() if self.use_gan else L.new_zeros(())
            loss = cfg.l1_weight * l1 + cfg.adv_weight * adv + cfg.memory_weight * memory_loss
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler_g.scale(loss).backward()
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        if cfg.use_memory:
            model.memory.update(q.detach(), v, scene)  # after the loss: it searched the memory as it was
            stats["filled"] = int(model.memory.filled.sum())
        self.steps += 1
        stats.update(l1=float(l1.detach()), adv=float(adv.detach()), memory=float(memory_loss.detach()), loss=float(loss.detach()))
        return stats
