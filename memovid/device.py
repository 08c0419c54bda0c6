"""Choosing where the model runs: CUDA when present (auto), else CPU.

A CPU run with the CUDA build of torch (what ``pip install torch`` gives on Linux) carries ~140 MB of
CUDA libraries (cuBLAS, NVRTC, nvJitLink, libtorch_cuda) that the import touched while linking and
that the run never executes again; once the run has settled on the CPU, their read-only pages are
handed back to the kernel (``release_gpu_libraries``), so a 720p colorize stays under 1 GB.
"""

from __future__ import annotations

import ctypes
import re

from memovid.errors import DependencyError
from memovid.log import logger

DEVICES = ("auto", "cpu", "cuda")

MADV_PAGEOUT = 21  # Linux >= 5.4: reclaim these pages now (clean file pages are simply dropped)
# files of pip's nvidia-* wheels, and torch's own CUDA half
_GPU_LIBRARY = re.compile(r"/nvidia/|/lib(torch_cuda|c10_cuda|cudnn|cublas|cusparse|cufft|curand|cusolver|nvrtc|"
                          r"nvJitLink|nccl|cudart|cupti|nvshmem)[^/]*\.so[^/]*$")
_released = False


def check_device(device: str) -> None:
    if device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")


def resolve_device(name: str = "auto"):
    """'auto' -> cuda if available else cpu; 'cuda' without a usable GPU is a DependencyError. On the
    CPU, the CUDA libraries' pages are handed back (see module doc)."""
    import torch

    if name == "auto":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    elif name == "cuda" and not torch.cuda.is_available():
        raise DependencyError("--device cuda was asked for, but no CUDA GPU is usable here (try --device cpu)")
    else:
        device = torch.device(name)
    if device.type == "cpu":
        release_gpu_libraries()
    return device


def gpu_library_mappings(maps: str) -> list[tuple[int, int]]:
    """(start, end) of the read-only mappings of CUDA libraries in a /proc/PID/maps text. Writable
    ones (relocated data) are left: paging them out would mean swapping, not dropping."""
    spans = []
    for line in maps.splitlines():
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and "w" not in parts[1] and _GPU_LIBRARY.search(parts[5].strip()):
            start, end = (int(v, 16) for v in parts[0].split("-"))
            spans.append((start, end))
    return spans


def release_gpu_libraries() -> int:
    """Hand the CUDA libraries' read-only pages back to the kernel, once a process; the bytes advised.
    Only a hint: if torch ever runs that code, its pages come back from the file. Nothing happens
    where there is no /proc (not Linux) or the kernel does not know MADV_PAGEOUT."""
    global _released
    if _released:
        return 0
    _released = True
    try:
        with open("/proc/self/maps") as f:
            spans = gpu_library_mappings(f.read())
        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
    except (OSError, AttributeError):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    advised = 0
    for start, end in spans:
        if madvise(start, end - start, MADV_PAGEOUT) != 0:
            logger.debug("MADV_PAGEOUT not taken (errno %d): CUDA library pages stay resident", ctypes.get_errno())
            return advised
        advised += end - start
    return advised
