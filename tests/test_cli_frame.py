"""The CLI frame: error family -> exit codes, --help stays light, python -m memovid works."""

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from memovid import __version__
from memovid.cli import cli
from memovid.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, exit_code_for
from memovid.errors import DependencyError, InputError, MemovidError, ModelFileError, OutputError, RunError


@pytest.mark.parametrize(
    "error, code",
    [(InputError("x"), 2), (OutputError("x"), 2), (ModelFileError("x"), 2), (DependencyError("x"), 2),
     (RunError("x"), 1), (MemovidError("x"), 1)],
)
def test_exit_code_for_each_error_class(error, code):
    assert exit_code_for(error) == code


@pytest.fixture
def raising_command():
    """A throwaway subcommand that raises what the test asks for, removed afterwards."""
    holder = {}

    @cli.command("_raise")
    def _raise():
        raise holder["error"]

    yield holder
    del cli.commands["_raise"]


def test_error_is_one_line_with_code_and_no_traceback(raising_command):
    raising_command["error"] = InputError("clip.mp4: not a media file")
    result = CliRunner().invoke(cli, ["_raise"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.output.strip() == "memovid: error: clip.mp4: not a media file"
    assert "Traceback" not in result.output


def test_run_error_exits_1(raising_command):
    raising_command["error"] = RunError("encoder failed")
    assert CliRunner().invoke(cli, ["_raise"]).exit_code == EXIT_FAILED


def test_debug_reraises(raising_command):
    raising_command["error"] = InputError("boom")
    result = CliRunner().invoke(cli, ["--debug", "_raise"])
    assert isinstance(result.exception, InputError)


def test_ctrl_c_is_exit_130_with_message(raising_command):
    raising_command["error"] = KeyboardInterrupt()
    result = CliRunner().invoke(cli, ["_raise"])
    assert result.exit_code == EXIT_INTERRUPTED
    assert "interrupted" in result.output


def test_unknown_option_is_usage_error_exit_2():
    result = CliRunner().invoke(cli, ["info", "--no-such-option"])
    assert result.exit_code == 2


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from click.testing import CliRunner; from memovid.cli import cli; "
            "r = CliRunner().invoke(cli, ['--help']); assert r.exit_code == 0, r.output; "
            "heavy = sorted(m for m in ('torch', 'faiss', 'av', 'cv2') if m in sys.modules); print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_python_dash_m_memovid_shows_version():
    out = subprocess.run([sys.executable, "-m", "memovid", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "memovid" in out.stdout and __version__ in out.stdout
