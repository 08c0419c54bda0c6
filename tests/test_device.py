"""Where the model runs, and what a CPU run gives back: the CUDA build of torch maps ~140 MB of CUDA
libraries that a CPU run never executes (memovid.device)."""

import subprocess
import sys
import textwrap

import pytest

from memovid.device import gpu_library_mappings, resolve_device
from memovid.errors import DependencyError

MAPS = """\
7f0000000000-7f0000100000 r--p 00000000 00:2a 11 /venv/lib/python3.11/site-packages/nvidia/cu13/lib/libcublasLt.so.13
7f0000100000-7f0000300000 r-xp 00100000 00:2a 11 /venv/lib/python3.11/site-packages/nvidia/cu13/lib/libcublasLt.so.13
7f0000300000-7f0000310000 rw-p 00300000 00:2a 11 /venv/lib/python3.11/site-packages/nvidia/cu13/lib/libcublasLt.so.13
7f0000400000-7f0000500000 r-xp 00000000 00:2a 12 /venv/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so
7f0000500000-7f0000600000 r-xp 00000000 00:2a 13 /venv/lib/python3.11/site-packages/torch/lib/libtorch_cpu.so
7f0000600000-7f0000700000 r-xp 00000000 00:2a 14 /usr/lib/x86_64-linux-gnu/libcudart.so.12.4.127
7f0000700000-7f0000800000 r--p 00000000 00:00 0
7f0000800000-7f0000900000 r-xp 00000000 00:2a 15 /home/me/cuda films/libmine.so
"""


def test_only_read_only_cuda_library_mappings_are_chosen():
    assert gpu_library_mappings(MAPS) == [
        (0x7f0000000000, 0x7f0000100000), (0x7f0000100000, 0x7f0000300000),  # cuBLASLt code and constants
        (0x7f0000400000, 0x7f0000500000),  # torch's CUDA half
        (0x7f0000600000, 0x7f0000700000),  # a system CUDA runtime
    ]  # not: relocated data (rw), libtorch_cpu, anonymous memory, a user's folder named "cuda"


def test_an_unknown_device_and_a_missing_gpu_are_refused():
    import torch

    assert resolve_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        with pytest.raises(DependencyError, match="no CUDA GPU"):
            resolve_device("cuda")


def test_a_cpu_run_gives_back_the_cuda_libraries_and_torch_still_works():
    """In a fresh process (this one has been running tests): the CUDA libraries' resident pages fall to
    under half once the run settles on the CPU, and torch still convolves and multiplies correctly."""
    script = textwrap.dedent("""
        import re, sys, torch
        from memovid.device import gpu_library_mappings, resolve_device

        def resident():
            spans = set(gpu_library_mappings(open("/proc/self/maps").read()))
            total, inside = 0, False
            for line in open("/proc/self/smaps"):
                head = re.match(r"([0-9a-f]+)-([0-9a-f]+) ", line)
                if head:
                    inside = (int(head[1], 16), int(head[2], 16)) in spans
                elif inside and line.startswith("Rss:"):
                    total += int(line.split()[1])
            return total

        if not gpu_library_mappings(open("/proc/self/maps").read()):
            print("no-cuda-libraries"); sys.exit(0)
        before = resident()
        assert resolve_device("cpu").type == "cpu"
        after = resident()
        x = torch.arange(16.0).reshape(1, 1, 4, 4)
        y = torch.nn.functional.conv2d(x, torch.ones(1, 1, 2, 2))
        assert float(y[0, 0, 0, 0]) == 0 + 1 + 4 + 5 and float((x[0, 0] @ x[0, 0]).sum()) == 3920.0  # column sums . row sums
        print(before, after)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    if out == ["no-cuda-libraries"]:
        pytest.skip("this torch is a CPU build: no CUDA libraries to give back")
    before, after = (int(v) for v in out)
    assert before > 20_000, before  # KiB: the CUDA build touches tens of MB of them at import
    assert after < before / 2, (before, after)
