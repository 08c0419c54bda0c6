"""Every library-level error names the file; interrupted or failed writes leave nothing behind."""

import numpy as np
import pytest

from mediagen import make_image_sequence, make_video, moving_shapes
from memovid.errors import InputError, OutputError
from memovid.video import EncodeOptions, check_paths, open_writer, probe, read_frames, transcode, write_video
from memovid.video.frame import Frame


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("clip") / "clip.mp4", n=10)


def _frames(n, size=(64, 48)):
    return (Frame(image, i) for i, image in enumerate(moving_shapes(n, size)))


def _leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("call", [probe, lambda p: list(read_frames(p))])
def test_missing_file(tmp_path, call):
    with pytest.raises(InputError, match="nope.mp4"):
        call(tmp_path / "nope.mp4")


@pytest.mark.parametrize("call", [probe, lambda p: list(read_frames(p))])
def test_not_a_media_file(tmp_path, call):
    junk = tmp_path / "notes.mp4"
    junk.write_bytes(b"this is not a video" * 100)
    with pytest.raises(InputError, match=r"notes\.mp4.*not a media file"):
        call(junk)


def test_no_video_stream(tmp_path):
    import av

    audio_only = tmp_path / "tone.mka"
    with av.open(str(audio_only), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=8000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), np.int16), format="s16", layout="mono")
        frame.sample_rate = 8000
        out.mux(stream.encode(frame))
        out.mux(stream.encode())
    for call in (probe, lambda p: list(read_frames(p))):
        with pytest.raises(InputError, match=r"tone\.mka: sound only \(pcm_s16le\), no video stream"):
            call(audio_only)


def test_unreadable_image_in_sequence(tmp_path):
    make_image_sequence(tmp_path / "seq", n=3)
    (tmp_path / "seq" / "00001.png").write_bytes(b"garbage")
    frames = read_frames(tmp_path / "seq")
    assert next(frames).index == 0
    with pytest.raises(InputError, match=r"00001\.png: unreadable image"):
        next(frames)


def test_empty_sequence_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty: no images"):
        list(read_frames(tmp_path / "empty"))


def test_output_exists(clip, tmp_path):
    out = tmp_path / "out.mp4"
    out.write_bytes(b"keep me")
    with pytest.raises(OutputError, match=r"out\.mp4 exists; use --overwrite"):
        transcode(clip, out)
    assert out.read_bytes() == b"keep me"
    transcode(clip, out, overwrite=True)
    assert probe(out).frames == 10


def test_output_is_the_input(clip):
    with pytest.raises(OutputError, match="output is the input"):
        check_paths(clip, clip, overwrite=True)
    relative_twin = clip.parent / "." / clip.name
    with pytest.raises(OutputError, match="clip.mp4"):
        transcode(clip, relative_twin, overwrite=True)


def test_check_paths_missing_input(tmp_path):
    with pytest.raises(InputError, match="gone.mov"):
        check_paths(tmp_path / "gone.mov", tmp_path / "out.mp4", overwrite=False)


def test_codec_choices_are_checked():
    with pytest.raises(InputError, match="unknown codec 'vp9'"):
        EncodeOptions(codec="vp9")
    with pytest.raises(InputError, match="ffv1 has no crf"):
        EncodeOptions(codec="ffv1", crf=10)
    assert EncodeOptions().encoder_options() == {"crf": "18", "preset": "medium", "rc-lookahead": "20"}
    # a preset the user names brings its own lookahead
    assert EncodeOptions(preset="slow").encoder_options() == {"crf": "18", "preset": "slow"}


def test_frames_of_changing_size_are_refused(tmp_path):
    frames = [Frame(np.zeros((16, 16, 3), np.uint8), 0), Frame(np.zeros((16, 18, 3), np.uint8), 1)]
    with pytest.raises(InputError, match="frame 1 is 18x16, the video is 16x16"):
        write_video(iter(frames), tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists() and _leftovers(tmp_path) == []


def test_keyboard_interrupt_mid_write_leaves_nothing(tmp_path, clip):
    def interrupted():
        for frame in read_frames(clip):
            if frame.index == 5:
                raise KeyboardInterrupt
            yield frame

    with pytest.raises(KeyboardInterrupt):
        write_video(interrupted(), tmp_path / "out.mp4", source=clip)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_leaves_existing_output_untouched(tmp_path):
    out = tmp_path / "out.mkv"
    out.write_bytes(b"previous result")

    def failing():
        yield from _frames(3)
        raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        write_video(failing(), out, overwrite=True)
    assert out.read_bytes() == b"previous result" and _leftovers(tmp_path) == []


def test_interrupted_image_sequence_leaves_no_folder(tmp_path):
    def interrupted():
        yield from _frames(2)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_video(interrupted(), tmp_path / "frames" / "%05d.png", options=EncodeOptions(codec="png"))
    assert list(tmp_path.iterdir()) == []


def test_temp_file_is_hidden_beside_target_with_same_extension(tmp_path):
    with open_writer(tmp_path / "film.mov", options=EncodeOptions(codec="prores")) as writer:
        writer.write(next(_frames(1)))
        temps = _leftovers(tmp_path)
        assert len(temps) == 1 and temps[0].startswith(".film.") and temps[0].endswith(".mov")
        assert not (tmp_path / "film.mov").exists()
    assert (tmp_path / "film.mov").exists() and _leftovers(tmp_path) == []
    assert writer.result.frames == 1
