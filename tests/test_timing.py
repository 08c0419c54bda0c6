"""memovid.timing: stage times are exclusive, and nothing is recorded outside record()."""

import time

from memovid import timing


def test_nested_stages_are_exclusive():
    with timing.record() as times:
        with timing.stage("outer"):
            time.sleep(0.02)
            with timing.stage("inner"):
                time.sleep(0.03)
    assert 0.03 <= times.seconds["inner"] < 0.06
    assert 0.02 <= times.seconds["outer"] < 0.03 + 0.02  # the inner 0.03 s taken out
    assert times.calls == {"outer": 1, "inner": 1}


def test_timed_iterator_and_decorator():
    @timing.staged("work")
    def work(x):
        time.sleep(0.01)
        return 2 * x

    def slow():
        for i in range(3):
            time.sleep(0.01)
            yield i

    with timing.record() as times:
        assert [work(i) for i in timing.timed("wait", slow())] == [0, 2, 4]
    assert times.calls["wait"] == 4  # three items and the end
    assert times.calls["work"] == 3
    assert times.seconds["wait"] >= 0.03 and times.seconds["work"] >= 0.03


def test_off_outside_record():
    items = iter([1, 2])
    assert timing.timed("wait", items) is items
    assert timing.stage("a") is timing.stage("b")  # one shared do-nothing context
    with timing.record() as times:
        pass
    with timing.stage("late"):
        pass
    assert "late" not in times.seconds
