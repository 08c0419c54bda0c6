"""The .memo model file: exact round trip, metadata, and clear errors for bad files."""

import copy
import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from memovid.errors import ModelFileError
from memovid.model.bundle import FORMAT_VERSION, MemoModel
from memovid.model.config import MemoryConfig, ModelConfig

SMALL = ModelConfig(feature="rgb", width=8, disc_width=8, adain_hidden=16, query_size=32, memory=MemoryConfig(size=6))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    torch.manual_seed(0)
    model = MemoModel(SMALL, pretrained=False).eval()
    ab = torch.randn(4, 2, 12, 12) * 30
    L = torch.rand(4, 1, 12, 12) * 100
    model.memory.update(model.query(L), model.feature.compute(ab, L), torch.tensor([0, 0, 1, 2]))
    model.memory.add_slots(2)
    path = tmp_path_factory.mktemp("m") / "film.memo"
    model.save(path, {"scenes": [{"start": 0, "end": 48}], "source": "test"})
    return model, path


def _tensors_and_header(path):
    with safe_open(str(path), framework="pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata()


def test_round_trip_is_bit_exact(saved):
    model, path = saved
    loaded = MemoModel.load(path, "cpu")
    assert loaded.metadata == {"scenes": [{"start": 0, "end": 48}], "source": "test"}
    assert loaded.config == SMALL
    assert loaded.memory.size == 8 and torch.equal(loaded.memory.scene_ids, model.memory.scene_ids)
    torch.manual_seed(1)
    L = torch.rand(2, 1, 21, 17) * 100
    with torch.no_grad():
        assert torch.equal(loaded.query(L), model.query(L))
        assert torch.equal(loaded.colorize_from_memory(L), model.colorize_from_memory(L))
        r1, r2 = loaded.retrieve(loaded.query(L), 3), model.retrieve(model.query(L), 3)
    assert torch.equal(r1.slots, r2.slots) and torch.equal(r1.values, r2.values)
    for a, b in zip(loaded.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)
    assert loaded.discriminator is not None


def test_save_replaces_atomically_and_leaves_no_temp(saved, tmp_path):
    model, _ = saved
    path = tmp_path / "m.memo"
    path.write_text("old")
    model.save(path, {})
    assert MemoModel.load(path).metadata == {} and [p.name for p in tmp_path.iterdir()] == ["m.memo"]


def test_truncated_file(saved, tmp_path):
    _, path = saved
    data = path.read_bytes()
    for cut in (len(data) // 2, 100, 5):
        bad = tmp_path / f"cut{cut}.memo"
        bad.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match=f"cut{cut}.memo"):
            MemoModel.load(bad)


def test_foreign_files(tmp_path):
    text = tmp_path / "notes.memo"
    text.write_text("this is not a model\n" * 20)
    with pytest.raises(ModelFileError, match="notes.memo: not a readable model file"):
        MemoModel.load(text)
    plain = tmp_path / "plain.memo"
    save_file({"x": torch.zeros(3)}, str(plain))
    with pytest.raises(ModelFileError, match="plain.memo: not a memovid model file"):
        MemoModel.load(plain)
    with pytest.raises(ModelFileError, match="no such model file"):
        MemoModel.load(tmp_path / "absent.memo")


def test_newer_version_and_bad_header(saved, tmp_path):
    _, path = saved
    tensors, header = _tensors_and_header(path)
    newer = tmp_path / "newer.memo"
    save_file(tensors, str(newer), metadata={**header, "format_version": str(FORMAT_VERSION + 1)})
    with pytest.raises(ModelFileError, match=f"newer.memo: format version {FORMAT_VERSION + 1} is newer"):
        MemoModel.load(newer)
    unknown = tmp_path / "unknown.memo"
    config = json.loads(header["config"]) | {"colour_mode": "sepia"}
    save_file(tensors, str(unknown), metadata={**header, "config": json.dumps(config)})
    with pytest.raises(ModelFileError, match="unknown.memo: bad model configuration"):
        MemoModel.load(unknown)


def test_missing_and_misshapen_tensors(saved, tmp_path):
    _, path = saved
    tensors, header = _tensors_and_header(path)
    missing = tmp_path / "missing.memo"
    save_file({k: v for k, v in tensors.items() if k != "generator.out.weight"}, str(missing), metadata=header)
    with pytest.raises(ModelFileError, match="missing.memo: missing tensors generator.out.weight"):
        MemoModel.load(missing)
    shaped = tmp_path / "shaped.memo"
    save_file({**tensors, "memory.values": torch.zeros(8, 5)}, str(shaped), metadata=header)
    with pytest.raises(ModelFileError, match=r"shaped.memo: tensor memory.values has shape \(8, 5\)"):
        MemoModel.load(shaped)


def test_single_image_inference_blends_the_nearest_slots(saved):
    model, _ = saved
    L = torch.rand(2, 1, 12, 12) * 100
    found = model.retrieve(model.query(L), 1)
    with torch.no_grad():
        top1 = model.colorize(L, found.values[:, 0])
        one = copy.deepcopy(model)
        one.config = model.config.with_(memory=MemoryConfig(size=6, blend_k=1))
        assert torch.equal(one.colorize_from_memory(L), top1)  # k = 1 is the paper's top-1
        dist = MemoModel(SMALL.with_(feature="dist", memory=MemoryConfig(size=6, blend_k=3)), pretrained=False).eval()
        # three plainly different colours, so that the update writes three slots (noise ab could be merged)
        ab = torch.tensor([[40.0, 0.0], [-40.0, 40.0], [0.0, -60.0]])[:, :, None, None].expand(3, 2, 12, 12).contiguous()
        Ls = torch.rand(3, 1, 12, 12) * 100
        dist.memory.update(dist.query(Ls), dist.feature.compute(ab, Ls), torch.tensor([0, 1, 2]))
        near = dist.retrieve(dist.query(L), 3)
        w = torch.softmax(near.similarities / dist.config.memory.blend_softness, 1)
        expected = dist.colorize(L, (w[..., None] * near.values).sum(1))
        assert torch.allclose(dist.colorize_from_memory(L), expected, atol=1e-6)
        assert near.values.shape[1] == 3 and float((w.max(1).values).max()) < 1  # three slots, all weighed
    with pytest.raises(ValueError, match="blend_k"):
        MemoryConfig(blend_k=0)


def test_files_from_before_fine_width_keep_full_width_stride_one_layers():
    old = ModelConfig().to_dict()
    del old["fine_width"]  # what a .memo written before the option holds
    config = ModelConfig.from_dict(old)
    assert config.fine_width is None
    generator = MemoModel(config.with_(width=8, adain_hidden=16), pretrained=False).generator
    assert generator.side[0].body[0].out_channels == 8 and generator.out.in_channels == 8
    thin = MemoModel(ModelConfig(width=32, adain_hidden=16, fine_width=16), pretrained=False).generator
    assert thin.side[0].body[0].out_channels == 16 and thin.out.in_channels == 16
    assert thin.side[1].body[0].out_channels == 32
