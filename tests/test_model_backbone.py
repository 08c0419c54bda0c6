"""The pretrained backbone: the shipped file maps completely onto memovid's EfficientNet-Lite0 (timm's,
value for value), the weights are real ImageNet weights, and a .memo names them instead of storing them."""

import pytest
import torch
import torch.nn.functional as F

from memovid.errors import InputError, ModelFileError
from memovid.model import backbone as bb
from memovid.model.bundle import MemoModel
from memovid.model.config import MemoryConfig, ModelConfig
from memovid.model.lite0 import Lite0

SMALL = ModelConfig(width=8, disc_width=8, adain_hidden=16, query_size=64, memory=MemoryConfig(size=16))


@pytest.fixture(scope="module")
def shipped_state():
    return bb._read_state(bb.lite0_weights_path())


def test_key_map_is_complete_and_exact(shipped_state):
    """Every key of the shipped file has one place in memovid's network (classifier aside, which the
    backbone does not use) and every parameter and buffer is filled: a strict load, no key left."""
    net = Lite0()
    mapped = bb.lite0_state(shipped_state)
    assert len(mapped) == len(shipped_state)  # no two keys map to one
    features = {k: v for k, v in mapped.items() if not k.startswith("classifier.")}
    assert set(mapped) - set(features) == {"classifier.weight", "classifier.bias"}
    assert set(features) == set(net.state_dict())
    assert all(features[k].shape == v.shape for k, v in net.state_dict().items())
    net.load_state_dict(features, strict=True)
    with pytest.raises(InputError, match="unknown key"):
        bb.lite0_state({**shipped_state, "_blocks.0._squeeze.weight": torch.zeros(1)})


def test_network_equals_timms_value_for_value(shipped_state):
    """memovid.model.lite0 is timm's tf_efficientnet_lite0 written out (timm is only a test dependency):
    the same weights give the same pooled features, odd sizes too (TF "same" padding)."""
    import timm

    reference = timm.create_model("tf_efficientnet_lite0", pretrained=False).eval()
    reference.load_state_dict(bb.lite0_state(shipped_state), strict=True)
    net = bb.build().to(memory_format=torch.contiguous_format)
    for h, w in ((224, 224), (97, 161)):
        x = torch.randn(2, 3, h, w)
        with torch.no_grad():
            expected = reference.forward_head(reference.forward_features(x), pre_logits=True)
            got = net.head(net.blocks(net.stem(x))).mean((2, 3))
        torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def test_weights_are_imagenet_weights(shipped_state):
    """scikit-image's pictures land in their ImageNet classes (285 Egyptian cat, 967 espresso,
    657 missile / 744 projectile) through memovid's backbone and the file's own classifier."""
    from skimage import data

    net = bb.build()
    fc_w, fc_b = shipped_state["_fc.weight"], shipped_state["_fc.bias"]
    mean, std = torch.tensor(bb.IMAGENET_MEAN).view(3, 1, 1), torch.tensor(bb.IMAGENET_STD).view(3, 1, 1)
    top = []
    for picture in (data.chelsea(), data.coffee(), data.rocket()):
        x = torch.from_numpy(picture).permute(2, 0, 1).float()[None] / 255
        x = F.interpolate(x, size=(224, 224), mode="bilinear", antialias=True, align_corners=False)
        with torch.no_grad():
            pooled = net.head(net.blocks(net.stem((x - mean) / std))).mean((2, 3))
            p = F.linear(pooled, fc_w, fc_b).softmax(1)[0]
        top.append((int(p.argmax()), float(p.max())))
    assert top[0][0] == 285 and top[0][1] > 0.5
    assert top[1][0] == 967 and top[1][1] > 0.5
    assert top[2][0] in (657, 744)


def test_colorize_does_not_import_timm_or_torchvision():
    """The network is memovid's own so that a run does not carry timm's and torchvision's imports
    (torch's compiler stack with them: ~200 MB resident, seconds of start-up)."""
    import subprocess
    import sys

    code = ("import sys; from memovid.model.bundle import MemoModel; from memovid.paint.colorize import colorize; import memovid.cli; "
            "MemoModel(); print(sorted(m for m in ('timm', 'torchvision', 'sympy', 'torch._dynamo') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_backbone_is_frozen_and_keeps_imagenet_statistics():
    net = bb.build()
    assert net.sha256 == bb.file_sha256(bb.lite0_weights_path()) and len(net.sha256) == 64
    assert not any(p.requires_grad for p in net.parameters())
    net.train()
    assert not net.training and not any(m.training for m in net.modules())
    features = net(torch.rand(2, 1, 64, 96) * 100)
    assert [tuple(m.shape[1:]) for m in features.maps] == [(16, 32, 48), (24, 16, 24), (40, 8, 12), (112, 4, 6), (320, 2, 3)]
    assert features.pooled.shape == (2, 1280)


def test_backbone_runs_channels_last_and_gives_the_same_features():
    """freeze() puts the convolutions' weights in channels-last order (oneDNN's own layout, faster on
    CPU); the features equal those of the usual layout and come back in it for the generator."""
    import copy

    net = bb.build()
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs)
    plain = copy.deepcopy(net).to(memory_format=torch.contiguous_format)
    plain.normalise = lambda L: bb.Backbone.normalise(plain, L).contiguous()
    L = torch.rand(2, 1, 64, 96, generator=torch.Generator().manual_seed(0)) * 100
    with torch.no_grad():
        fast, usual = net(L), plain(L)
    assert all(m.is_contiguous() for m in fast.maps)
    # float32 sums taken in another order through ~60 layers: an unseeded input drew 1.4e-4 apart once
    for a, b in zip(fast.maps + [fast.pooled], usual.maps + [usual.pooled]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=5e-4)


def test_pretrained_features_tell_pictures_apart_better_than_random():
    """Two crops of one picture are nearer each other than either is to another picture under the
    ImageNet features; under random weights pooled features all point one way (cosine ~1)."""
    from skimage import data

    def pooled(net, picture):
        L = torch.from_numpy(picture).float().mean(-1)[None, None] / 2.55
        L = F.interpolate(L, size=(128, 128), mode="bilinear", antialias=True, align_corners=False)
        return F.normalize(net(L).pooled, dim=1)

    pictures = [data.chelsea()[:, :300], data.chelsea()[:, 100:], data.coffee()[:, :300], data.rocket()[:300]]
    for pretrained, spread in ((True, 0.1), (False, None)):
        torch.manual_seed(0)
        net = bb.build(pretrained=pretrained)
        with torch.no_grad():
            v = torch.cat([pooled(net, p) for p in pictures])
        sim = v @ v.T
        if spread is None:
            assert sim.min() > 0.9  # random: everything looks alike
        else:
            assert sim[0, 1] > max(sim[0, 2], sim[0, 3], sim[1, 2], sim[1, 3]) + spread


def test_memo_names_the_backbone_and_does_not_store_it(tmp_path):
    torch.manual_seed(0)
    model = MemoModel(SMALL, with_discriminator=False).eval()
    path = tmp_path / "m.memo"
    model.save(path)
    assert path.stat().st_size < 5_000_000  # the 3.4 M frozen parameters are not in it
    loaded = MemoModel.load(path)
    assert loaded.backbone.sha256 == model.backbone.sha256
    L = torch.rand(1, 1, 40, 56) * 100
    v = torch.rand(1, model.feature.dim)
    with torch.no_grad():
        assert torch.equal(loaded.colorize(L, v), model.colorize(L, v))
        assert torch.allclose(loaded.query(L), model.query(L))


def test_random_backbone_is_stored_and_comes_back(tmp_path):
    torch.manual_seed(0)
    model = MemoModel(SMALL, pretrained=False, with_discriminator=False).eval()
    path = tmp_path / "r.memo"
    model.save(path)
    loaded = MemoModel.load(path)
    assert loaded.backbone.sha256 is None
    assert torch.equal(loaded.backbone.stem[0].weight, model.backbone.stem[0].weight)


def test_other_weights_are_refused_in_one_line(tmp_path):
    torch.manual_seed(0)
    model = MemoModel(SMALL, with_discriminator=False)
    path = tmp_path / "m.memo"
    model.save(path)
    other = tmp_path / "other.pth"
    torch.save(bb._read_state(bb.lite0_weights_path()), other)
    other.write_bytes(other.read_bytes() + b"\0")  # same tensors, another file: another sha256
    with pytest.raises(ModelFileError, match="is not that file") as error:
        MemoModel.load(path, backbone_weights=other)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_resnet18_file_is_used_when_given(tmp_path):
    import torchvision
    from safetensors.torch import save_file

    torch.manual_seed(1)
    state = torchvision.models.resnet18(weights=None).state_dict()
    weights = tmp_path / "resnet18.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    assert bb.guess_name(weights) == "resnet18"
    model = MemoModel(SMALL.with_(backbone="resnet18"), backbone_weights=weights, with_discriminator=False).eval()
    assert torch.equal(model.backbone.stem[0].weight, state["conv1.weight"])
    path = tmp_path / "m.memo"
    model.save(path)
    assert MemoModel.load(path).backbone.sha256 == bb.file_sha256(weights)  # found again where it was
    moved = weights.rename(tmp_path / "moved.safetensors")
    with pytest.raises(ModelFileError, match="which is not there"):
        MemoModel.load(path)
    assert MemoModel.load(path, backbone_weights=moved).backbone.sha256 == bb.file_sha256(moved)
    with pytest.raises(InputError, match="not found"):
        bb.build("resnet18", tmp_path / "missing.pth")
    with pytest.raises(InputError, match="not ResNet-18 weights"):
        bb.build("resnet18", bb.lite0_weights_path())


def test_version_1_files_are_refused_with_retrain(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "old.memo"
    save_file({"memory.keys": torch.zeros(2, 4)}, str(path), metadata={"format": "memovid.memo", "format_version": "1", "config": "{}"})
    with pytest.raises(ModelFileError, match="older memovid.*retrain"):
        MemoModel.load(path)


def test_folded_batch_norm_gives_the_same_features_and_follows_the_weights():
    """The backbone runs with batch norm folded into its convolutions: the features of the plain
    layers to 1e-4, the state dict unfolded, and new weights loaded later are folded again."""
    net = bb.build(pretrained=False)
    L = torch.rand(2, 1, 64, 96) * 100
    with torch.no_grad():
        x = net.normalise(L)
        plain = net.head(net.blocks(net.stem(x))).mean((2, 3))
        torch.testing.assert_close(net(L).pooled, plain, rtol=1e-4, atol=1e-4)
        assert "stem.1.running_var" in net.state_dict() and net.stem[0].bias is None
        other = bb.build(pretrained=False)
        torch.nn.init.normal_(other.stem[0].weight)
        net.load_state_dict(other.state_dict())
        torch.testing.assert_close(net(L).pooled, other(L).pooled, rtol=1e-4, atol=1e-4)
        assert not torch.allclose(net(L).pooled, plain, atol=1e-3)


def test_building_the_pretrained_backbone_leaves_the_random_stream_alone():
    """The layers made after the backbone start the same whichever code builds it: its discarded
    random initialisation is drawn aside."""
    torch.manual_seed(7)
    state = torch.get_rng_state()
    bb.build()
    assert torch.equal(torch.get_rng_state(), state)
