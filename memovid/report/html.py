"""Draw a ReportData as one self-contained HTML page.

Everything the page needs is inline (CSS, a few lines of script, SVG plots) except the thumbnails,
which it references by the relative paths the gatherer wrote. The page fetches nothing from any
network, so it opens the same on an offline grading machine as in a browser test. Every string that
comes from the data is escaped: file names may hold ``<``, ``&`` or quotes.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from urllib.parse import quote

from memovid.report.model import RGB, ReportData, SceneEntry
from memovid.scenes.export import clock, edl_timecode
from memovid.textout import write_text

# Views in the order a restorer compares them; any other view follows, in the data's order.
VIEW_ORDER = ("input", "memovid", "reference")
VIEW_CAPTIONS = {"input": "Input", "memovid": "memovid", "reference": "Reference"}

# Plot geometry in SVG user units; the SVG scales to its box, so these only set proportions.
PLOT_W, PLOT_H = 560, 140
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 46, 46, 10, 28


def render(data: ReportData, output: Path) -> Path:
    """Write the report page for ``data`` to ``output`` (atomically) and return ``output``.

    Thumbnail paths in ``data`` are taken relative to ``output``'s folder. An existing ``output`` is
    replaced: the caller settles --overwrite before gathering, because the side folder of images is
    written first. OutputError when ``output``'s folder does not exist.
    """
    output = Path(output)
    for scene in data.scenes:
        if scene.end <= scene.start:
            raise ValueError(f"scene {scene.index}: end {scene.end} must be after start {scene.start}")
    write_text(output, page(data), overwrite=True)
    return output


def page(data: ReportData) -> str:
    """The whole HTML document for ``data``, as text."""
    flagged = sum(scene.needs_keyframe for scene in data.scenes)
    body = "\n".join([
        _header(data, flagged),
        _timeline(data),
        "<main>",
        *(_scene(data, scene) for scene in data.scenes),
        "</main>",
    ])
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # An empty icon keeps the browser from asking for /favicon.ico.
        '<link rel="icon" href="data:,">\n'
        f"<title>{_e(data.title)} · memovid report</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n{body}\n"
        f"<script>{_SCRIPT}</script>\n</body>\n</html>\n"
    )


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _header(data: ReportData, flagged: int) -> str:
    facts = [("Coloured", data.coloured), ("Input", data.input), ("Reference", data.reference),
             ("Model", data.model)]
    size = f"{data.width}×{data.height}" if data.width and data.height else "—"
    figures = [
        ("Frames", str(data.frames)), ("Frame rate", f"{_number(data.fps)} fps"),
        ("Duration", clock(data.frames, data.fps) if data.fps > 0 else "—"), ("Size", size),
        ("Scenes", str(len(data.scenes))), ("Need a keyframe", str(flagged)),
        ("Confidence floor", f"{data.confidence_floor:.2f}"),
    ]
    rows = "".join(f"<dt>{name}</dt><dd>{_e(value)}</dd>" for name, value in facts if value is not None)
    rows += "".join(f"<dt>{name}</dt><dd>{_e(value)}</dd>" for name, value in figures)
    overall = f'<h2>Whole film</h2>{_metrics(data.overall)}' if data.overall else ""
    return (f'<header><h1>{_e(data.title)}</h1><p class="sub">memovid report</p>'
            f'<dl class="facts">{rows}</dl>{overall}</header>')


def _timeline(data: ReportData) -> str:
    """One link per scene, its flex-grow its frame count, so widths follow scene lengths."""
    segments = []
    for scene in data.scenes:
        colour = _rgb(scene.mean_colour)
        ink = "#000" if _luma(scene.mean_colour) > 140 else "#fff"
        flag = " flagged" if scene.needs_keyframe else ""
        tip = (f"Scene {scene.index}: frames {scene.start}–{scene.end - 1}, "
               f"confidence {_confidence_text(scene.confidence)}"
               + (" — needs a keyframe" if scene.needs_keyframe else ""))
        segments.append(
            f'<a class="seg{flag}" href="#scene-{scene.index}" title="{_e(tip)}" '
            f'style="flex-grow:{scene.end - scene.start};background:{colour};color:{ink}">'
            f"<span>{scene.index}</span></a>")
    legend = ('<p class="legend">Scene timeline, widths by length, filled with each scene\'s mean '
              'colour; <span class="mark"></span> needs a keyframe.</p>')
    return f'<nav class="timeline" aria-label="Scenes">{"".join(segments)}</nav>{legend}'


def _scene(data: ReportData, scene: SceneEntry) -> str:
    flag = " flagged" if scene.needs_keyframe else ""
    timecodes = (f'<span class="tc">{edl_timecode(scene.start, data.fps)} – '
                 f"{edl_timecode(scene.end, data.fps)}</span> · frames {scene.start}–{scene.end - 1} "
                 f"({scene.end - scene.start})")
    badges = [f'<span class="badge">confidence {_confidence_text(scene.confidence)}</span>',
              f'<span class="badge">keyframes {scene.keyframes}</span>']
    if scene.needs_keyframe:
        badges.insert(0, '<span class="flag">Needs a keyframe</span>')
    metrics = f"<h3>Metrics</h3>{_metrics(scene.metrics)}" if scene.metrics else ""
    return (
        f'<section class="scene{flag}" id="scene-{scene.index}">'
        f'<div class="head"><h2>Scene {scene.index}</h2><p class="when">{timecodes}</p>'
        f'<p class="badges">{"".join(badges)}</p></div>'
        f"{_views(data, scene)}"
        f'<div class="details"><div><h3>Palette</h3>{_palette(scene.palette)}{metrics}</div>'
        f"<div><h3>Per frame</h3>{_plot(scene, data.confidence_floor)}</div></div>"
        "</section>")


def _views(data: ReportData, scene: SceneEntry) -> str:
    names = [v for v in VIEW_ORDER if v in scene.thumbnails]
    names += [v for v in scene.thumbnails if v not in VIEW_ORDER]
    # Reserving the frame's shape keeps the layout still while images load.
    ratio = f' style="aspect-ratio:{data.width}/{data.height}"' if data.width and data.height else ""
    figures = []
    for name in names:
        caption = VIEW_CAPTIONS.get(name, name)
        src = quote(scene.thumbnails[name], safe="/")
        figures.append(f'<figure><img src="{_e(src)}" alt="{_e(caption)}, scene {scene.index}"{ratio}>'
                       f"<figcaption>{_e(caption)}</figcaption></figure>")
    return f'<div class="views">{"".join(figures)}</div>' if figures else ""


def _palette(palette: list[tuple[RGB, float]]) -> str:
    weights = [max(0.0, w) if math.isfinite(w) else 0.0 for _, w in palette]
    total = sum(weights)
    if total <= 0:
        return '<p class="none">No palette.</p>'
    swatches = []
    for (rgb, _), weight in zip(palette, weights):
        share = 100.0 * weight / total
        hex_ = _hex(rgb)
        swatches.append(f'<span style="width:{share:.2f}%;background:{hex_}" '
                        f'title="{hex_} · {share:.0f}%"></span>')
    return f'<div class="palette">{"".join(swatches)}</div>'


def _metrics(metrics: dict[str, float]) -> str:
    rows = "".join(f"<tr><th>{_e(name)}</th><td>{_number(value)}</td></tr>"
                   for name, value in metrics.items())
    return f'<table class="metrics">{rows}</table>'


def _plot(scene: SceneEntry, floor: float) -> str:
    """Per-frame flicker (left axis, 0..max) and confidence (right axis, up to 1) as an inline SVG.

    Non-finite values are left out; empty or constant series still give finite coordinates.
    """
    flicker = [float(v) for v in scene.flicker]
    confidence = [float(v) for v in scene.frame_confidence] if scene.frame_confidence else []
    x0, x1 = PLOT_LEFT, PLOT_W - PLOT_RIGHT
    y0, y1 = PLOT_H - PLOT_BOTTOM, PLOT_TOP  # bottom and top of the plot area
    finite_flicker = [v for v in flicker if math.isfinite(v)]
    flicker_top = max(finite_flicker, default=0.0)
    flicker_top = flicker_top if flicker_top > 0 else 1.0
    finite_conf = [v for v in confidence if math.isfinite(v)]
    conf_low = min(0.0, min(finite_conf, default=0.0))  # cosine similarity may dip below 0

    parts = [f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" class="area"/>']
    if finite_flicker:
        parts.append(_polyline(flicker, 0.0, flicker_top, (x0, x1, y0, y1), "flicker"))
    if finite_conf:
        if conf_low <= floor <= 1.0:
            y = _scale(floor, conf_low, 1.0, y0, y1)
            parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" class="floor"/>')
        parts.append(_polyline(confidence, conf_low, 1.0, (x0, x1, y0, y1), "confidence"))
    if not finite_flicker and not finite_conf:
        parts.append(f'<text x="{(x0 + x1) / 2:.0f}" y="{(y0 + y1) / 2:.0f}" text-anchor="middle">'
                     "no per-frame data</text>")
    labels = [
        f'<text x="{x0 - 4}" y="{y1 + 4}" text-anchor="end" class="flicker">{flicker_top:.2g}</text>',
        f'<text x="{x0 - 4}" y="{y0}" text-anchor="end" class="flicker">0</text>',
        f'<text x="{x0 - 4}" y="{(y0 + y1) / 2:.0f}" text-anchor="end" class="flicker">flicker</text>',
        f'<text x="{x0}" y="{PLOT_H - 8}">frame {scene.start}</text>',
        f'<text x="{x1}" y="{PLOT_H - 8}" text-anchor="end">{scene.end - 1}</text>',
    ]
    if finite_conf:
        labels += [
            f'<text x="{x1 + 4}" y="{y1 + 4}" class="confidence">1</text>',
            f'<text x="{x1 + 4}" y="{y0}" class="confidence">{conf_low:.2g}</text>',
            f'<text x="{x1 + 4}" y="{(y0 + y1) / 2:.0f}" class="confidence">conf.</text>',
        ]
    title = f"Scene {scene.index}: flicker (mean ab change) and confidence per frame"
    return (f'<svg class="plot" viewBox="0 0 {PLOT_W} {PLOT_H}" role="img" aria-label="{_e(title)}">'
            f'{"".join(parts)}{"".join(labels)}</svg>')


def _polyline(values: list[float], low: float, high: float, box: tuple[float, float, float, float],
              kind: str) -> str:
    """Points spread evenly across the box; a single value draws a flat line across it."""
    x0, x1, y0, y1 = box
    n = len(values)
    points = []
    for i, v in enumerate(values):
        if not math.isfinite(v):
            continue
        y = _scale(min(max(v, low), high), low, high, y0, y1)
        if n == 1:
            points += [f"{x0:.1f},{y:.1f}", f"{x1:.1f},{y:.1f}"]
        else:
            points.append(f"{x0 + (x1 - x0) * i / (n - 1):.1f},{y:.1f}")
    return f'<polyline class="{kind}" points="{" ".join(points)}"/>'


def _scale(value: float, low: float, high: float, to_low: float, to_high: float) -> float:
    span = high - low
    return to_low if span <= 0 else to_low + (to_high - to_low) * (value - low) / span


def _confidence_text(confidence: float | None) -> str:
    if confidence is None or not math.isfinite(confidence):
        return "—"
    return f"{confidence:.2f}"


def _number(value: float) -> str:
    return f"{value:.4g}" if math.isfinite(value) else "—"


def _channels(rgb: RGB) -> tuple[int, int, int]:
    r, g, b = (min(255, max(0, int(c))) for c in rgb)
    return r, g, b


def _rgb(rgb: RGB) -> str:
    return "rgb({},{},{})".format(*_channels(rgb))


def _hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*_channels(rgb))


def _luma(rgb: RGB) -> float:
    r, g, b = _channels(rgb)
    return 0.299 * r + 0.587 * g + 0.114 * b


# A mid-dark neutral grey surround (not black) so colours are judged against no colour cast.
_CSS = """
:root{color-scheme:dark;--bg:#303030;--panel:#3a3a3a;--line:#4c4c4c;--text:#e8e8e8;--muted:#a8a8a8;
--flag:#ffa234;--flicker:#f2a65a;--confidence:#74b9ff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header,main,.legend{max-width:1200px;margin:0 auto;padding:0 20px}
header{padding-top:20px}
h1{margin:0;font-size:1.6em;overflow-wrap:anywhere}
h2{margin:0;font-size:1.2em}
h3{margin:12px 0 6px;font-size:.8em;font-weight:600;color:var(--muted);text-transform:uppercase;
letter-spacing:.06em}
.sub{margin:2px 0 12px;color:var(--muted)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 12px}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.metrics{border-collapse:collapse;font-variant-numeric:tabular-nums}
.metrics th{text-align:left;font-weight:400;color:var(--muted);padding:2px 16px 2px 0}
.metrics td{text-align:right;padding:2px 0}
.timeline{position:sticky;top:0;z-index:2;display:flex;height:44px;margin:16px 0 0;
border-top:1px solid var(--line);border-bottom:1px solid var(--line);background:var(--bg)}
.seg{flex-basis:0;min-width:3px;position:relative;overflow:hidden;text-decoration:none;
font-size:11px;padding:2px 3px;border-right:1px solid var(--bg)}
.seg:hover,.seg:focus{outline:2px solid var(--text);outline-offset:-2px}
.seg.flagged{box-shadow:inset 0 -7px 0 var(--flag)}
.legend{color:var(--muted);font-size:.85em;margin-top:6px}
.mark{display:inline-block;width:14px;height:7px;background:var(--flag);vertical-align:middle}
.scene{background:var(--panel);border:1px solid var(--line);border-radius:6px;margin:18px 0;
padding:14px 16px;scroll-margin-top:56px}
.scene.flagged{border-left:6px solid var(--flag)}
.scene:target{outline:2px solid var(--text)}
.head{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 16px;margin-bottom:10px}
.head p{margin:0}
.when{color:var(--muted);font-variant-numeric:tabular-nums}
.tc{font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--text)}
.badges{display:flex;flex-wrap:wrap;gap:6px;margin-left:auto}
.badge,.flag{border-radius:4px;padding:1px 8px;font-size:.85em;background:var(--bg);
font-variant-numeric:tabular-nums}
.flag{background:var(--flag);color:#1d1d1d;font-weight:700}
/* At most three views a row, the same size in every scene; fewer on narrow screens. */
.views{display:grid;gap:10px;
grid-template-columns:repeat(auto-fill,minmax(max(200px,calc((100% - 20px) / 3)),1fr))}
figure{margin:0}
figure img{display:block;width:100%;height:auto;background:#262626;border-radius:3px}
figure img.broken{min-height:60px;outline:1px dashed var(--flag)}
figcaption{color:var(--muted);font-size:.85em;padding-top:3px;text-align:center}
.details{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:8px 24px}
.palette{display:flex;height:30px;border-radius:3px;overflow:hidden;border:1px solid var(--line)}
.palette span{display:block;height:100%}
.none{color:var(--muted);margin:0}
.plot{display:block;width:100%;height:auto;max-height:180px}
.plot text{fill:var(--muted);font-size:11px}
.plot text.flicker{fill:var(--flicker)}
.plot text.confidence{fill:var(--confidence)}
.plot .area{fill:#2b2b2b;stroke:var(--line)}
.plot polyline{fill:none;stroke-width:1.6;stroke-linejoin:round}
.plot polyline.flicker{stroke:var(--flicker)}
.plot polyline.confidence{stroke:var(--confidence)}
.plot .floor{stroke:var(--flag);stroke-dasharray:4 3;stroke-width:1}
"""

# Counts the thumbnails that decoded, for tests and for marking broken ones on the page.
_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = 0;
  images.forEach(function (img) {
    if (img.complete && img.naturalWidth > 0) { loaded += 1; } else { img.classList.add("broken"); }
  });
  document.body.dataset.imagesLoaded = String(loaded);
  document.body.dataset.imagesTotal = String(images.length);
});
"""
