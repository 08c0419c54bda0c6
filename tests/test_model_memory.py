"""Colour memory: update rule, threshold triplet selection, search, growth, empty slots."""

import pytest
import torch
import torch.nn.functional as F

from memovid.color.features import ColorDistribution, ColorFeature
from memovid.model.memory import EMPTY, ColorMemory


class Scalar(ColorFeature):
    """A 1-d colour whose distance is |x - y|: hand-built memories stay readable."""

    name, dim = "scalar", 1

    def distance(self, x, y):
        return (x - y).abs().squeeze(-1)


def unit(rows):
    """(B, 4) unit rows from a list of rows (or one row)."""
    t = torch.tensor(rows, dtype=torch.float32)
    return F.normalize(t if t.ndim == 2 else t[None], dim=-1)


def four_slots(ages=(3.0, 7.0, 1.0, 5.0)):
    """Keys along the 4 axes, values 0, 10, 20, 30, scenes 0..3, no age noise."""
    m = ColorMemory(4, 4, Scalar(), delta=2.0, margin=0.1, age_noise=0.0)
    m.keys.copy_(torch.eye(4))
    m.values.copy_(torch.tensor([[0.0], [10.0], [20.0], [30.0]]))
    m.ages.copy_(torch.tensor(ages))
    m.scene_ids.copy_(torch.arange(4))
    return m


def test_update_branch_merges_key_and_resets_age():
    m = four_slots()
    q = unit([0.6, 0.8, 0, 0])  # nearest slot 1 (value 10); colour 11 is within delta 2
    touched = m.update(q, torch.tensor([[11.0]]), scene_id=5)
    assert touched.tolist() == [1]
    assert torch.allclose(m.keys[1], F.normalize(q[0] + torch.tensor([0.0, 1, 0, 0]), dim=0))
    assert m.values[1].item() == 10.0 and m.scene_ids[1].item() == 1  # the slot keeps its colour and scene
    assert m.ages.tolist() == [4.0, 0.0, 2.0, 6.0]  # all +1, the updated slot reset


def test_write_to_oldest_branch():
    m = four_slots()
    q = unit([0.6, 0.8, 0, 0])  # nearest slot 1 (value 10), but colour 25 is beyond delta
    touched = m.update(q, torch.tensor([[25.0]]), scene_id=9)
    assert touched.tolist() == [1]  # slot 1 was the oldest (age 7)
    assert torch.allclose(m.keys[1], q[0]) and m.values[1].item() == 25.0 and m.scene_ids[1].item() == 9
    assert m.ages.tolist() == [4.0, 0.0, 2.0, 6.0]
    # the next unmatched write goes to the now-oldest slot 3 (age 6)
    assert m.update(unit([1, 0, 0, 0]), torch.tensor([[99.0]]), 9).tolist() == [3]


def test_ages_grow_by_one_per_step_and_noise_breaks_ties():
    m = four_slots(ages=(0.0, 0.0, 0.0, 0.0))
    m.update(unit([0, 0, 1, 0]), torch.tensor([[20.0]]), 2)  # updates slot 2
    m.update(unit([0, 0, 1, 0]), torch.tensor([[20.0]]), 2)
    assert m.ages.tolist() == [2.0, 2.0, 0.0, 2.0]
    noisy = four_slots(ages=(0.0, 0.0, 0.0, 0.0))
    noisy.age_noise = 0.1
    torch.manual_seed(0)
    noisy.update(unit([0, 0, 1, 0]), torch.tensor([[20.0]]), 2)
    others = noisy.ages[[0, 1, 3]]
    assert ((others >= 1.0) & (others < 1.1)).all() and len(set(others.tolist())) == 3


def test_empty_slots_fill_first_and_are_never_returned():
    m = ColorMemory(4, 4, Scalar(), delta=2.0, age_noise=0.0)
    assert m.retrieve(unit([1, 0, 0, 0]), k=3).slots.shape == (1, 0)
    m.update(unit([[1, 0, 0, 0], [0, 1, 0, 0]]), torch.tensor([[0.0], [50.0]]), torch.tensor([3, 4]))
    assert m.scene_ids.tolist() == [3, 4, EMPTY, EMPTY]
    r = m.retrieve(unit([0, 0, 1, 0]), k=4)  # orthogonal to both, yet only written slots come back
    assert sorted(r.slots[0].tolist()) == [0, 1] and sorted(r.scene_ids[0].tolist()) == [3, 4]
    r = m.retrieve(unit([0.1, 1, 0, 0]), k=1)
    assert r.slots.tolist() == [[1]] and r.values[0, 0].item() == 50.0
    assert r.similarities[0, 0].item() == pytest.approx(float(unit([0.1, 1, 0, 0])[0, 1]), abs=1e-6)


def test_triplet_selects_nearest_positive_and_negative():
    m = four_slots()
    q = unit([0.9, 0.5, 0.3, 0.1])  # order of similarity: slot 0, 1, 2, 3
    r = m.threshold_triplet_loss(q, torch.tensor([[20.5]]), k=4)  # positive slot 2, negative slot 0
    assert (r.positives, r.negatives, r.terms) == (1, 1, 1)
    assert r.loss.item() == pytest.approx(max(float(q[0, 0] - q[0, 2]) + 0.1, 0), abs=1e-6)
    r = m.threshold_triplet_loss(q, torch.tensor([[0.5]]), k=4)  # positive 0 is nearest: no violation
    assert r.loss.item() == pytest.approx(max(float(q[0, 1] - q[0, 0]) + 0.1, 0), abs=1e-6) and r.loss.item() == 0


def test_triplet_without_positive_or_negative_in_top_k_gives_no_term():
    m = four_slots()
    q = unit([[0.9, 0.5, 0.3, 0.1], [0.9, 0.5, 0.3, 0.1], [0.9, 0.5, 0.3, 0.1]])
    v = torch.tensor([[30.0], [50.0], [20.0]])  # top-2 = slots 0, 1: values 0, 10
    r = m.threshold_triplet_loss(q, v, k=2)
    # sample 0: positive (slot 3) only beyond k; sample 1: no positive at all; sample 2: same as 0
    assert (r.positives, r.negatives, r.terms) == (0, 3, 0) and r.loss.item() == 0
    one_colour = four_slots()
    one_colour.values.fill_(10.0)
    r = one_colour.threshold_triplet_loss(q, torch.tensor([[10.0], [11.0], [9.0]]), k=4)
    assert (r.positives, r.negatives, r.terms) == (3, 0, 0) and r.loss.item() == 0
    mixed = m.threshold_triplet_loss(q, torch.tensor([[20.5], [50.0], [50.0]]), k=4)
    assert mixed.terms == 1 and mixed.loss.item() == pytest.approx(float(q[0, 0] - q[0, 2]) + 0.1, abs=1e-6)


def test_triplet_loss_pulls_query_toward_positive():
    m = four_slots()
    q = unit([0.9, 0.5, 0.3, 0.1]).requires_grad_()
    m.threshold_triplet_loss(q, torch.tensor([[20.5]]), k=4).loss.backward()
    assert q.grad[0, 2] < 0 and q.grad[0, 0] > 0  # descent raises q.key_pos, lowers q.key_neg


def test_kl_memory_finds_positives_with_empty_bins():
    """The public reproduction's NaN KL never found a positive; here one-colour histograms do."""
    f = ColorDistribution("hard")
    m = ColorMemory(8, 4, f, delta=0.6, age_noise=0.0)
    ab = torch.zeros(4, 2, 4, 4)
    ab[0, 0], ab[1, 1], ab[2, 0], ab[3, 1] = 50, -50, 50, -50  # two colours, each twice
    v = f.compute(ab)
    keys = unit([[1, 0, 0, 0], [0, 1, 0, 0], [0.9, 0.1, 0, 0], [0.1, 0.9, 0, 0]])
    m.update(keys[:2], v[:2], torch.tensor([0, 1]))
    r = m.threshold_triplet_loss(keys[2:], v[2:], k=8)
    assert (r.positives, r.negatives, r.terms) == (2, 2, 2) and torch.isfinite(r.loss)
    assert m.update(keys[2:], v[2:], torch.tensor([0, 1])).tolist() == [0, 1]  # merged, not copied
    assert int(m.filled.sum()) == 2


def test_add_slots_keeps_old_slots():
    m = four_slots()
    before = (m.keys.clone(), m.values.clone(), m.ages.clone(), m.scene_ids.clone())
    m.retrieve(unit([1, 0, 0, 0]))  # builds the index, which must follow the growth
    m.add_slots(3)
    assert m.size == 7 and m.scene_ids[4:].tolist() == [EMPTY] * 3
    for old, new in zip(before, (m.keys, m.values, m.ages, m.scene_ids)):
        assert torch.equal(old, new[:4])
    touched = m.update(unit([0, 0, 0.6, 0.8]), torch.tensor([[77.0]]), 7)
    assert touched.tolist() == [4]  # new empty slots are used before any old one is overwritten
    assert m.retrieve(unit([0, 0, 0.6, 0.8])).slots.tolist() == [[4]]


def test_bad_shapes_are_refused():
    m = four_slots()
    with pytest.raises(ValueError, match=r"\(B, 4\)"):
        m.search(torch.zeros(2, 3), 1)
    with pytest.raises(ValueError, match="scene ids"):
        m.update(unit([1, 0, 0, 0]), torch.tensor([[1.0]]), -1)
