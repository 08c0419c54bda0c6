"""CIEDE2000 colour difference (kL = kC = kH = 1) in torch, batched and differentiable.

Follows Sharma, Wu and Dalal, "The CIEDE2000 color-difference formula: implementation notes,
supplementary test data, and mathematical observations" (Color Res. Appl. 30, 2005), including
their conventions for zero chroma (hue 0, no hue difference) and hue wrap-around.
"""

from __future__ import annotations

import torch

_25_POW_7 = 25.0**7


def _sqrt(x: torch.Tensor) -> torch.Tensor:
    """sqrt of x >= 0 with a finite gradient at 0 (plain sqrt's is infinite there and gives NaN).

    Clamping to the smallest normal float makes sqrt(0) about 1e-19 (float32), which no caller sees.
    """
    return torch.sqrt(x.clamp_min(torch.finfo(x.dtype).tiny))


def _hue_degrees(b: torch.Tensor, a: torch.Tensor, chroma2: torch.Tensor) -> torch.Tensor:
    """atan2(b, a) in [0, 360) degrees; 0 for a grey (chroma2 = a^2 + b^2 = 0), finite gradient there.

    Adding 1 to a of greys gives atan2(0, 1) = 0 without the 0/0 of atan2's gradient at the origin.
    """
    return torch.remainder(torch.rad2deg(torch.atan2(b, a + (chroma2 == 0))), 360.0)


def ciede2000(lab1: torch.Tensor, lab2: torch.Tensor) -> torch.Tensor:
    """CIEDE2000 difference of two Lab tensors with channels LAST.

    lab1, lab2: (..., 3) float, L in [0, 100], a, b about [-110, 110]; broadcastable to each other.
    Returns (...) float32 (float64 for float64 input), >= 0, 0 (to 1e-19) for identical colours, no
    NaN (also in the gradient) for greys (a = b = 0) or identical colours.
    """
    for name, x in (("lab1", lab1), ("lab2", lab2)):
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
        if x.ndim < 1 or x.shape[-1] != 3:
            raise ValueError(f"{name} must have shape (..., 3) with channels last, got {tuple(x.shape)}")
    dtype = torch.promote_types(torch.promote_types(lab1.dtype, lab2.dtype), torch.float32)
    lab1, lab2 = torch.broadcast_tensors(lab1.to(dtype), lab2.to(dtype))
    # Contiguous planes: elementwise kernels (atan2 above all) are several times slower on the
    # stride-3 views that unbinding a channels-last tensor gives.
    L1, a1, b1 = lab1.movedim(-1, 0).contiguous()
    L2, a2, b2 = lab2.movedim(-1, 0).contiguous()

    # a is stretched for low-chroma colours (the G factor), which gives C' and h'.
    c_mean = (_sqrt(a1 * a1 + b1 * b1) + _sqrt(a2 * a2 + b2 * b2)) / 2.0
    c_mean7 = c_mean**7
    g = 0.5 * (1.0 - _sqrt(c_mean7 / (c_mean7 + _25_POW_7)))
    a1p = (1.0 + g) * a1
    a2p = (1.0 + g) * a2
    c1p2 = a1p * a1p + b1 * b1  # C'^2
    c2p2 = a2p * a2p + b2 * b2
    c1p, c2p = _sqrt(c1p2), _sqrt(c2p2)
    h1p = _hue_degrees(b1, a1p, c1p2)
    h2p = _hue_degrees(b2, a2p, c2p2)

    dL = L2 - L1
    dC = c2p - c1p
    has_hue = (c1p2 * c2p2) > 0
    # Hue difference taken the short way round the circle; 0 when either colour is grey.
    dh = h2p - h1p
    dh = torch.where(dh > 180.0, dh - 360.0, torch.where(dh < -180.0, dh + 360.0, dh))
    dh = torch.where(has_hue, dh, 0.0)
    dH = 2.0 * _sqrt(c1p * c2p) * torch.sin(torch.deg2rad(dh / 2.0))

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
    r_c = 2.0 * _sqrt(cp_mean7 / (cp_mean7 + _25_POW_7))
    L_off2 = (L_mean - 50.0) ** 2
    s_L = 1.0 + 0.015 * L_off2 / torch.sqrt(20.0 + L_off2)
    s_C = 1.0 + 0.045 * cp_mean
    s_H = 1.0 + 0.015 * cp_mean * t
    r_t = -torch.sin(2.0 * torch.deg2rad(d_theta)) * r_c

    terms_L = dL / s_L
    terms_C = dC / s_C
    terms_H = dH / s_H
    # The sum is >= 0 in exact arithmetic (|R_T| < 2); clamping in _sqrt absorbs rounding below 0.
    return _sqrt(terms_L**2 + terms_C**2 + terms_H**2 + r_t * terms_C * terms_H)


def ciede2000_image(lab1: torch.Tensor, lab2: torch.Tensor) -> torch.Tensor:
    """CIEDE2000 of two channel-first Lab images: (..., 3, H, W) and (..., 3, H, W) -> (..., H, W)."""
    for name, x in (("lab1", lab1), ("lab2", lab2)):
        if not isinstance(x, torch.Tensor) or x.ndim < 3 or x.shape[-3] != 3:
            raise ValueError(
                f"{name} must be a tensor of shape (..., 3, H, W), got {tuple(getattr(x, 'shape', ()))}"
            )
    return ciede2000(lab1.movedim(-3, -1), lab2.movedim(-3, -1))
