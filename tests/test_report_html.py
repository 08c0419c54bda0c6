"""The report page drawn from hand-made ReportData: its structure, escaping and self-containment,
then the same page opened in headless Chromium (console clean, every thumbnail loads, screenshot)."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pytest

from memovid.errors import OutputError
from memovid.report.html import render
from memovid.report.model import ReportData, SceneEntry

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SIDE = "report_files"


class Outline(HTMLParser):
    """Tags, the classes found inside each scene section, and the page's visible text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.sections: list[str] = []
        self.classes_in: dict[str, set[str]] = {}
        self.text: list[str] = []
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        classes = set((attrs.get("class") or "").split())
        if tag == "section":
            self._open.append(attrs.get("id") or "")
            if "scene" in classes:
                self.sections.append(attrs.get("id") or "")
        if self._open:
            self.classes_in.setdefault(self._open[-1], set()).update(classes)

    def handle_endtag(self, tag):
        if tag == "section":
            self._open.pop()

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, cls: str | None = None) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags
                if t == tag and (cls is None or cls in (a.get("class") or "").split())]


def thumbnail(path: Path, bgr: tuple[int, int, int]) -> str:
    """A 64x36 gradient in one hue, so the screenshot has real content; returns the relative path."""
    ramp = np.linspace(0.3, 1.0, 64, dtype=np.float32)[None, :, None]  # (1, 64, 1)
    image = (ramp * np.array(bgr, np.float32)[None, None, :]).repeat(36, axis=0).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), image)
    return f"{SIDE}/{path.name}"


def scene(root: Path, index: int, start: int, end: int, *, flagged: bool = False,
          reference: bool = True, **extra) -> SceneEntry:
    views = {"input": (128, 128, 128), "memovid": (60, 140, 200), "reference": (70, 150, 190)}
    if not reference:
        del views["reference"]
    thumbs = {name: thumbnail(root / SIDE / f"scene {index} {name}.png", bgr)
              for name, bgr in views.items()}
    defaults = dict(
        thumbnails=thumbs,
        palette=[((200, 140, 60), 0.5), ((40, 90, 160), 0.3), ((230, 220, 200), 0.2)],
        mean_colour=(150, 120, 90), confidence=0.3 if flagged else 0.8, needs_keyframe=flagged,
        keyframes=0 if flagged else 1, flicker=[0.5 + 0.4 * np.sin(i / 3) for i in range(end - start)],
        frame_confidence=[0.6 + 0.2 * np.cos(i / 4) for i in range(end - start)],
    )
    defaults.update(extra)
    return SceneEntry(index=index, start=start, end=end, start_time=start / 25, end_time=end / 25,
                      **defaults)


def report(root: Path, **extra) -> ReportData:
    scenes = [
        scene(root, 0, 0, 30, metrics={"CIEDE2000": 4.1, "PSNR": 27.31}),
        scene(root, 1, 30, 80, flagged=True, mean_colour=(30, 60, 140), metrics={"CIEDE2000": 9.6}),
        scene(root, 2, 80, 100, reference=False, confidence=None, frame_confidence=None,
              flicker=[], keyframes=2),
    ]
    fields = dict(title="Night train", coloured="train.coloured.mp4", input="train.mp4",
                  reference="train.ref.mp4", model="train.memo", frames=100, fps=25.0, width=64,
                  height=36, confidence_floor=0.5, scenes=scenes,
                  overall={"CIEDE2000": 6.2, "PSNR": 25.0})
    fields.update(extra)
    return ReportData(**fields)


def svgs(text: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", text, flags=re.S)


class TestStructure:
    def test_one_section_per_scene_and_flags_on_flagged_ones_only(self, tmp_path):
        out = render(report(tmp_path), tmp_path / "report.html")
        outline = Outline(out.read_text(encoding="utf-8"))
        assert outline.sections == ["scene-0", "scene-1", "scene-2"]
        assert [("flag" in outline.classes_in[s]) for s in outline.sections] == [False, True, False]
        assert len(outline.all("img")) == 3 + 3 + 2  # scene 2 has no reference view

    def test_timeline_links_each_scene_with_width_by_length(self, tmp_path):
        outline = Outline(render(report(tmp_path), tmp_path / "r.html").read_text(encoding="utf-8"))
        segments = outline.all("a", "seg")
        assert [a["href"] for a in segments] == ["#scene-0", "#scene-1", "#scene-2"]
        grow = [int(re.search(r"flex-grow:(\d+)", a["style"]).group(1)) for a in segments]
        assert grow == [30, 50, 20]
        assert "background:rgb(30,60,140)" in segments[1]["style"]
        assert ["flagged" in a["class"].split() for a in segments] == [False, True, False]

    def test_timecodes_palette_views_and_metrics(self, tmp_path):
        text = render(report(tmp_path), tmp_path / "r.html").read_text(encoding="utf-8")
        outline = Outline(text)
        assert "00:00:01:05 – 00:00:03:05" in text  # frames 30..80 at 25 fps
        swatches = [a for t, a in outline.tags if t == "span" and "#c88c3c" in (a.get("title") or "")]
        assert len(swatches) == 3  # the heaviest colour of each scene's palette
        assert "width:50.00%" in swatches[0]["style"] and swatches[0]["title"] == "#c88c3c · 50%"
        captions = re.findall(r"<figcaption>(.*?)</figcaption>", text)
        assert captions == ["Input", "memovid", "Reference"] * 2 + ["Input", "memovid"]
        assert "27.31" in outline.text and "9.6" in outline.text
        assert outline.all("img")[0]["src"] == "report_files/scene%200%20input.png"

    def test_strings_from_data_are_escaped(self, tmp_path):
        nasty = '<script>alert("x")</script> & "quoted" \'film\''
        data = report(tmp_path, title=nasty, coloured='a<b>&"c".mp4', input=None, model=None)
        outline = Outline(render(data, tmp_path / "r.html").read_text(encoding="utf-8"))
        assert len(outline.all("script")) == 1  # only the page's own
        assert nasty in outline.text and 'a<b>&"c".mp4' in outline.text
        assert "train.mp4" not in outline.text  # an absent input is left out, not shown as None

    def test_page_references_nothing_on_the_network(self, tmp_path):
        text = render(report(tmp_path), tmp_path / "r.html").read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//" not in text.replace("://", "")

    def test_plots_stay_finite_for_empty_constant_single_and_nan_series(self, tmp_path):
        scenes = [
            scene(tmp_path, 0, 0, 10, flicker=[], frame_confidence=None),
            scene(tmp_path, 1, 10, 20, flicker=[0.0] * 10, frame_confidence=[0.7] * 10),
            scene(tmp_path, 2, 20, 21, flicker=[2.0], frame_confidence=[float("nan")]),
            scene(tmp_path, 3, 21, 30, flicker=[1.0, float("nan"), float("inf"), 3.0],
                  frame_confidence=[-0.4, 0.2, 1.0, 0.9]),
        ]
        data = report(tmp_path, scenes=scenes, frames=30)
        plots = svgs(render(data, tmp_path / "r.html").read_text(encoding="utf-8"))
        assert len(plots) == 4
        for plot in plots:
            assert "nan" not in plot.lower() and "inf" not in plot.lower()
            for points in re.findall(r'points="([^"]*)"', plot):
                for x, y in (p.split(",") for p in points.split()):
                    assert 0 <= float(x) <= 560 and 0 <= float(y) <= 140
        assert "no per-frame data" in plots[0]
        assert len(re.findall("<polyline", plots[1])) == 2
        single = re.search(r'class="flicker" points="([^"]*)"', plots[2]).group(1).split()
        assert len(single) == 2 and single[0].split(",")[1] == single[1].split(",")[1]
        assert len(re.search(r'class="flicker" points="([^"]*)"', plots[3]).group(1).split()) == 2

    def test_write_is_atomic_and_replaces(self, tmp_path):
        out = tmp_path / "report.html"
        out.write_text("old", encoding="utf-8")
        assert render(report(tmp_path), out) == out
        assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", SIDE]
        with pytest.raises(OutputError, match="does not exist"):
            render(report(tmp_path), tmp_path / "missing" / "report.html")

    def test_a_failed_write_keeps_the_old_page_and_leaves_no_temp_file(self, tmp_path, monkeypatch):
        out = tmp_path / "report.html"
        out.write_text("old", encoding="utf-8")

        def refuse(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr("memovid.textout.os.replace", refuse)
        with pytest.raises(OSError, match="disk full"):
            render(report(tmp_path), out)
        assert out.read_text(encoding="utf-8") == "old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html", SIDE]

    def test_a_scene_ending_before_it_starts_is_refused(self, tmp_path):
        bad = SceneEntry(index=0, start=5, end=5, start_time=0.2, end_time=0.2, thumbnails={},
                         palette=[], mean_colour=(0, 0, 0))
        with pytest.raises(ValueError, match="end 5 must be after start 5"):
            render(report(tmp_path, scenes=[bad]), tmp_path / "r.html")


def _browser_or_skip():
    """The Playwright module, or skip (fail when MEMOVID_REQUIRE_BROWSER=1, as CI sets)."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (Debian package chromium)"
    else:
        try:
            from playwright import sync_api
        except ImportError:
            reason = "the playwright Python package is not installed"
    if reason:
        if os.environ.get("MEMOVID_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser test required but {reason}")
        pytest.skip(reason)
    return sync_api


@pytest.fixture(scope="module")
def browser():
    sync_api = _browser_or_skip()
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def open_page(browser, path: Path):
    """Load ``path`` and return (page, console errors, page errors, every requested URL)."""
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    errors, crashes, requests = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: crashes.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("document.body.dataset.imagesTotal !== undefined")
    return page, errors, crashes, requests


class TestInBrowser:
    def test_page_renders_cleanly_with_every_image(self, browser, tmp_path):
        out = render(report(tmp_path, title='Night <train> & "co"'), tmp_path / "report.html")
        page, errors, crashes, requests = open_page(browser, out)
        assert errors == [] and crashes == []
        assert all(url.startswith(("file://", "data:")) for url in requests)
        assert page.locator("section.scene").count() == 3
        assert page.locator("section.scene .flag").count() == 1
        assert page.evaluate("[document.body.dataset.imagesLoaded, document.body.dataset.imagesTotal]") \
            == ["8", "8"]
        assert page.evaluate("Array.from(document.images).map(i => i.naturalWidth)") == [64] * 8
        assert page.title() == 'Night <train> & "co" · memovid report'

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        page.locator("a.seg").nth(1).click()
        assert page.evaluate("location.hash") == "#scene-1"
        page.close()
        assert shot.stat().st_size > 20_000
        image = cv2.imread(str(shot))  # (H, W, 3) BGR uint8
        assert image.shape[0] > 800 and image.shape[1] == 1100
        assert len(np.unique(image.reshape(-1, 3), axis=0)) > 200
        assert image.std() > 10

    def test_a_missing_thumbnail_is_counted_as_not_loaded(self, browser, tmp_path):
        out = render(report(tmp_path), tmp_path / "report.html")
        (tmp_path / SIDE / "scene 1 memovid.png").unlink()
        page, _, crashes, _ = open_page(browser, out)
        assert crashes == []
        assert page.evaluate("[document.body.dataset.imagesLoaded, document.body.dataset.imagesTotal]") \
            == ["7", "8"]
        assert page.locator("img.broken").count() == 1
        page.close()
