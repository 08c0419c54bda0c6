"""CIEDE2000 colour difference (kL = kC = kH = 1) in torch, batched and differentiable.

Follows Sharma, Wu and Dalal, "The CIEDE2000 color-difference formula: implementation notes,
supplementary test data, and mathematical observations" (Color Res. Appl. 30, 2005), including
their conventions for zero chroma (hue 0, no hue difference) and hue wrap-around.
"""

from __future__ import annotations

import torch

_25_POW_7 = 25.0**7


def _safe_sqrt(x: torch.Tensor) -> torch.Tensor:
    """sqrt with value 0 and gradient 0 at x <= 0 (plain sqrt has an infinite gradient at 0)."""
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, torch.ones_like(x))), 0.0)


def _hue_degrees(b: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """atan2(b, a) in [0, 360) degrees; 0 where a = b = 0, with a finite gradient there."""
    zero = (a == 0) & (b == 0)
    h = torch.rad2deg(torch.atan2(b, torch.where(zero, torch.ones_like(a), a)))
    return torch.where(zero, 0.0, torch.remainder(h, 360.0))


def ciede2000(lab1: torch.Tensor, lab2: torch.Tensor) -> torch.Tensor:
    """CIEDE2000 difference of two Lab tensors with channels LAST.

    lab1, lab2: (..., 3) float, L in [0, 100], a, b about [-110, 110]; broadcastable to each other.
    Returns (...) float32 (float64 for float64 input), >= 0, 0 for identical colours, no NaN (also
    in the gradient) for greys (a = b = 0) or identical colours.
    """
    for name, x in (("lab1", lab1), ("lab2", lab2)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim < 1 or x.shape[-1] != 3:
            raise ValueError(f"{name} must have shape (..., 3) with channels last, got {tuple(x.shape)}")
    dtype = torch.promote_types(torch.promote_types(lab1.dtype, lab2.dtype), torch.float32)
    L1, a1, b1 = lab1.to(dtype).unbind(-1)
    L2, a2, b2 = lab2.to(dtype).unbind(-1)

    # a is stretched for low-chroma colours (the G factor), which gives C' and h'.
    c_mean = (_safe_sqrt(a1 * a1 + b1 * b1) + _safe_sqrt(a2 * a2 + b2 * b2)) / 2.0
    c_mean7 = c_mean**7
    g = 0.5 * (1.0 - _safe_sqrt(c_mean7 / (c_mean7 + _25_POW_7)))
    a1p = (1.0 + g) * a1
    a2p = (1.0 + g) * a2
    c1p = _safe_sqrt(a1p * a1p + b1 * b1)
    c2p = _safe_sqrt(a2p * a2p + b2 * b2)
    h1p = _hue_degrees(b1, a1p)
    h2p = _hue_degrees(b2, a2p)

    dL = L2 - L1
    dC = c2p - c1p
    chroma_product = c1p * c2p
    has_hue = chroma_product != 0
    # Hue difference taken the short way round the circle; 0 when either colour is grey.
    dh = h2p - h1p
    dh = torch.where(dh > 180.0, dh - 360.0, torch.where(dh < -180.0, dh + 360.0, dh))
    dh = torch.where(has_hue, dh, 0.0)
    dH = 2.0 * _safe_sqrt(chroma_product) * torch.sin(torch.deg2rad(dh / 2.0))

    L_mean = (L1 + L2) / 2.0
    cp_mean = (c1p + c2p) / 2.0
    # Mean hue, also the short way round; the plain sum when either colour is grey (Sharma eq. 14).
    h_sum = h1p + h2p
    far_apart = (h1p - h2p).abs() > 180.0
    h_mean = torch.where(
        far_apart, torch.where(h_sum < 360.0, h_sum + 360.0, h_sum - 360.0), h_sum
    ) / 2.0
    h_mean = torch.where(has_hue, h_mean, h_sum)

    t = (
        1.0
        - 0.17 * torch.cos(torch.deg2rad(h_mean - 30.0))
        + 0.24 * torch.cos(torch.deg2rad(2.0 * h_mean))
        + 0.32 * torch.cos(torch.deg2rad(3.0 * h_mean + 6.0))
        - 0.20 * torch.cos(torch.deg2rad(4.0 * h_mean - 63.0))
    )
    d_theta = 30.0 * torch.exp(-(((h_mean - 275.0) / 25.0) ** 2))
    cp_mean7 = cp_mean**7
    r_c = 2.0 * _safe_sqrt(cp_mean7 / (cp_mean7 + _25_POW_7))
    L_off2 = (L_mean - 50.0) ** 2
    s_L = 1.0 + 0.015 * L_off2 / torch.sqrt(20.0 + L_off2)
    s_C = 1.0 + 0.045 * cp_mean
    s_H = 1.0 + 0.015 * cp_mean * t
    r_t = -torch.sin(2.0 * torch.deg2rad(d_theta)) * r_c

    terms_L = dL / s_L
    terms_C = dC / s_C
    terms_H = dH / s_H
    return _safe_sqrt(terms_L**2 + terms_C**2 + terms_H**2 + r_t * terms_C * terms_H)


def ciede2000_image(lab1: torch.Tensor, lab2: torch.Tensor) -> torch.Tensor:
    """CIEDE2000 of two channel-first Lab images: (..., 3, H, W) and (..., 3, H, W) -> (..., H, W)."""
    for name, x in (("lab1", lab1), ("lab2", lab2)):
        if not isinstance(x, torch.Tensor) or x.ndim < 3 or x.shape[-3] != 3:
            raise ValueError(
                f"{name} must be a tensor of shape (..., 3, H, W), got {tuple(getattr(x, 'shape', ()))}"
            )
    return ciede2000(lab1.movedim(-3, -1), lab2.movedim(-3, -1))
