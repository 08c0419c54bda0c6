"""Presets: every shipped preset loads; unknown keys, bad types and refused values name key and file."""

from __future__ import annotations

import pytest

from memovid.api import load_pipeline
from memovid.errors import InputError
from memovid.presets import available_presets, preset_path


def test_every_shipped_preset_loads_with_what_it_promises():
    assert {"cartoon", "film", "preview", "archive-master"} <= set(available_presets())
    for name in available_presets():
        pipeline = load_pipeline(name)
        assert pipeline.description and pipeline.source == str(preset_path(name))
    assert load_pipeline("cartoon").settings.model.memory.domain == "cartoon"
    assert load_pipeline("film").settings.model.memory.domain == "real"
    preview = load_pipeline("preview").settings
    assert preview.colorize.size == 128 and preview.temporal.mode == "off"
    master = load_pipeline("archive-master")
    assert master.settings.encode.spec.lossless and master.output_suffix == ".mkv"
    assert master.settings.colorize.size is None  # full size: the model's working size, upsampled


def test_overrides_are_toml_scalars_on_dotted_keys():
    s = load_pipeline("film", ["colorize.size=192", "model.memory.size=99", "temporal.flow.preset='fast'",
                               "scenes.signature_size=[8, 6]", "train.minutes=2"]).settings
    assert s.colorize.size == 192 and s.model.memory.size == 99 and s.temporal.flow.preset == "fast"
    assert s.scenes.signature_size == (8, 6) and s.train.minutes == 2.0
    assert load_pipeline(None, ["encode.codec=ffv1"]).settings.encode.codec == "ffv1"  # bare word: a string


@pytest.mark.parametrize("override, key, says", [
    ("colorize.sise=128", "colorize.sise", "unknown key"),
    ("colorize.size='big'", "colorize.size", "must be an integer"),
    ("colorize.guidance=1", "colorize.guidance", "true or false"),
    ("encode.crf=3.5", "encode.crf", "must be an integer"),
    ("colorize.size=10", "colorize.size", "within [64, 2048]"),
    ("temporal.flow.preset='slow'", "temporal.flow.preset", "flow preset"),
    ("model.memory.domain='anime'", "model.memory.domain", "domain"),
    ("scenes.fade_max_len=2", "scenes.fade_max_len", "fade_max_len"),
    ("model.memory=3", "model.memory", "section"),
    ("palette.size=3", "[palette]", "unknown section"),
])
def test_bad_values_are_refused_naming_key_and_file(override, key, says):
    with pytest.raises(InputError) as error:
        load_pipeline("cartoon", [override])
    message = str(error.value)
    assert key in message and says in message and "pipelines/cartoon.toml" in message


def test_a_bad_preset_file_names_its_own_path_and_key(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("[colorize]\nsize = 256\n[temporal]\nstrenght = 0.5\n")
    with pytest.raises(InputError, match=r"mine\.toml: unknown key temporal\.strenght"):
        load_pipeline(path)
    path.write_text("[encode]\ncodec = 264\n")
    with pytest.raises(InputError, match=r"mine\.toml: encode\.codec must be a string"):
        load_pipeline(path)
    path.write_text("[colorize\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_pipeline(path)
    with pytest.raises(InputError, match="unknown preset 'western'"):
        load_pipeline("western")


def test_import_memovid_api_stays_light():
    import subprocess
    import sys

    code = "import memovid.api, sys; print(any(m in sys.modules for m in ('torch', 'av', 'ray', 'faiss')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
