# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover drill's report.html looked at as a person would: rendered by headless Chromium to a PNG, read back by
Tesseract (the RTO and RPO figures as the page formats them, the step names on the timeline), and the PNG decoded (pure
Python: zlib and the PNG filters) to check that the timeline's bars and the RTO marker are drawn, in the plugin's
colours, over the area and at the places the page's SVG gives them.

The drill is the one test_runner.py runs through ansible-runner (the `runner_drill` session fixture). Chromium and
Tesseract: tools/install-report-render.sh (Debian's chromium and tesseract-ocr; CLOUDOPS_CHROMIUM names another
Chromium). CLOUDOPS_UPDATE_DOCS_IMAGE=1 also writes the rendering to docs/images/failover-drill-report.png."""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import zlib

import pytest

from conftest import REPO

DOCS_IMAGE = REPO / "docs" / "images" / "failover-drill-report.png"
WIDTH, HEIGHT = 1400, 3200  # tall enough for the whole drill page (the task list is collapsed)
PAGE_BACKGROUND = (0xfa, 0xfa, 0xfa)  # body{background:#fafafa}


# -- the plugin's own constants and formatting ---------------------------------------------------------------------------
def html_constants():
    """COLOURS, RTO_COLOUR and RPO_COLOUR of plugins/plugin_utils/evidence_html.py, read from its source."""
    tree = ast.parse((REPO / "plugins" / "plugin_utils" / "evidence_html.py").read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("COLOURS", "RTO_COLOUR", "RPO_COLOUR"):
                out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def render_module():
    """plugins/plugin_utils/evidence_render.py (stdlib only): how the page formats seconds, rows and step labels."""
    spec = importlib.util.spec_from_file_location("evidence_render", REPO / "plugins" / "plugin_utils" / "evidence_render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rgb(hex_colour):
    return tuple(int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))


# -- PNG, pure Python ------------------------------------------------------------------------------------------------------
def read_png(path):
    """(width, height, channels, rows): 8-bit RGB or RGBA, non-interlaced, each row its bytes after unfiltering."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0], "bad CRC in %s" % kind
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    assert len(raw) == height * (stride + 1)
    rows, prev = [], bytes(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)]
        if kind == 0:
            cur = line
        elif kind == 2:
            cur = bytes([(a + b) & 255 for a, b in zip(line, prev)])
        else:
            cur = bytearray(line)
            if kind == 1:
                for i in range(channels, stride):
                    cur[i] = (cur[i] + cur[i - channels]) & 255
            elif kind == 3:
                for i in range(stride):
                    cur[i] = (cur[i] + (((cur[i - channels] if i >= channels else 0) + prev[i]) >> 1)) & 255
            elif kind == 4:
                for i in range(stride):
                    a = cur[i - channels] if i >= channels else 0
                    b, c = prev[i], (prev[i - channels] if i >= channels else 0)
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
            else:
                raise AssertionError("unknown PNG filter %d" % kind)
            cur = bytes(cur)
        rows.append(cur)
        prev = cur
    return width, height, channels, rows


def write_png(path, width, channels, rows):
    """Rows (bytes) as a PNG, filter 0."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, len(rows), 8, 2 if channels == 3 else 6, 0, 0, 0)
    body = zlib.compress(b"".join(b"\x00" + row for row in rows), 9)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def columns_of(row, colour, channels):
    """The x of every pixel of the row that has exactly this colour (opaque)."""
    needle = bytes(colour) + (b"\xff" if channels == 4 else b"")
    out, i = [], row.find(needle)
    while i >= 0:
        if i % channels == 0:
            out.append(i // channels)
            i = row.find(needle, i + channels)
        else:
            i = row.find(needle, i + 1)
    return out


# -- rendering and reading -------------------------------------------------------------------------------------------------
def tools():
    chromium = shutil.which(os.environ.get("CLOUDOPS_CHROMIUM", "chromium"))
    tesseract = shutil.which("tesseract")
    if not (chromium and tesseract):
        pytest.fail("Chromium and Tesseract are needed to look at the report: run tools/install-report-render.sh "
                    "(found chromium=%s, tesseract=%s)" % (chromium, tesseract))
    return chromium, tesseract


def render(chromium, page, png, profile, height=HEIGHT, scale=1):
    proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=%d" % scale,
                           "--user-data-dir=%s" % profile, "--window-size=%d,%d" % (WIDTH, height), "--screenshot=%s" % png,
                           page.as_uri()], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0 and png.is_file(), "chromium failed (rc=%s):\n%s" % (proc.returncode, proc.stderr[-3000:])


def ocr(tesseract, png, *options):
    """Tesseract's words with their boxes, in its reading order: [{line, left, top, height, text}]."""
    proc = subprocess.run([tesseract, str(png), "stdout", *options, "tsv"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    words = []
    for row in proc.stdout.splitlines()[1:]:
        fields = row.split("\t")
        if len(fields) == 12 and fields[0] == "5" and fields[11].strip():
            words.append({"line": tuple(int(v) for v in fields[2:5]), "left": int(fields[6]), "top": int(fields[7]),
                          "height": int(fields[9]), "text": fields[11]})
    return words


def ocr_lines(words):
    """The text of each line Tesseract found, in its reading order."""
    lines = {}
    for word in words:
        lines.setdefault(word["line"], []).append(word["text"])
    return [" ".join(texts) for texts in lines.values()]


def figure_text(words, label, scale):
    """What a person reads in the figure box under `label` (the topmost word that is exactly the label): the words
    below it, from the label's left edge to the next label level with it, down to the box's end."""
    head = min((w for w in words if w["text"] == label), key=lambda w: w["top"], default=None)
    assert head is not None, "no %r on the page: %s" % (label, " ".join(w["text"] for w in words)[:2000])
    level = [w for w in words if w["top"] < head["top"] + head["height"] and head["top"] < w["top"] + w["height"]]
    right = min([w["left"] for w in level if w["left"] > head["left"]] or [head["left"] + 200 * scale]) - 5 * scale
    order = dict((line, i) for i, line in reversed(list(enumerate(w["line"] for w in words))))
    below = [w for w in words if head["left"] - 5 * scale <= w["left"] < right and head["top"] + head["height"] < w["top"] <= head["top"] + 70 * scale]
    return " ".join(w["text"] for w in sorted(below, key=lambda w: (order[w["line"]], w["left"])))


def squeeze(text):
    """Without whitespace and in lower case: Tesseract may drop a space or read an "s" as "S"."""
    return re.sub(r"\s+", "", text).lower()


def figure_squeeze(text):
    """squeeze, with a one and an ell taken for one character (on both sides of a comparison): in the page's sans-serif
    Tesseract reads "11.1 s" as "ll.l s" as often as not, where a person reads the figure from its context."""
    return squeeze(text).replace("l", "1").replace("|", "1")


def letters(text):
    return re.sub(r"[^a-z0-9]", "", text.lower())


def svg_geometry(page):
    """From the page's SVG: the step bars (status, x, y, width, height, fill) and the RTO marker lines (x1, y1, x2, y2)."""
    bars = [(status, float(x), int(y), float(w), int(h), fill) for status, x, y, w, h, fill in re.findall(
        r'<rect class="step step-(\w+)" x="([\d.]+)" y="(\d+)" width="([\d.]+)" height="(\d+)" rx="\d+" fill="(#[0-9a-f]{6})"', page)]
    lines = [tuple(float(v) for v in m) for m in re.findall(
        r'<line class="rto-marker" x1="([\d.]+)" y1="(\d+)" x2="([\d.]+)" y2="(\d+)"', page)]
    return bars, lines


def image(png, tmp, scale):
    width, height, channels, rows = read_png(png)
    return {"png": png, "tmp": tmp, "scale": scale, "width": width, "height": height, "channels": channels, "rows": rows}


@pytest.fixture(scope="module")
def rendered(runner_drill, tmp_path_factory):
    """The drill's report.html rendered at 1400 px wide: the whole page at device scale 1 (the pixels, the docs
    example), and its top (figures and timeline) at device scale 2 for Tesseract, as on a HiDPI screen: the 12 px
    labels of the timeline are read reliably at that size."""
    chromium, tesseract = tools()
    job = runner_drill["job"]
    assert job.summary is not None and job.summary["runbook"] == "failover_drill", job.explain()
    run_dir = runner_drill["evidence"] / job.summary["run_id"]
    tmp = tmp_path_factory.mktemp("render")
    render(chromium, run_dir / "report.html", tmp / "report.png", tmp / "chromium-profile")
    page = image(tmp / "report.png", tmp, 1)
    assert (page["width"], page["height"]) == (WIDTH, HEIGHT)
    _, bottom = timeline_rows(page, html_constants())
    render(chromium, run_dir / "report.html", tmp / "report-2x.png", tmp / "chromium-profile", height=bottom + 60, scale=2)
    hidpi = image(tmp / "report-2x.png", tmp, 2)
    assert (hidpi["width"], hidpi["height"]) == (2 * WIDTH, 2 * (bottom + 60))
    return {"page": page, "hidpi": hidpi, "tesseract": tesseract, "html": (run_dir / "report.html").read_text(encoding="utf-8"),
            "doc": json.loads((run_dir / "report.json").read_text(encoding="utf-8"))}


def timeline_rows(img, colours):
    """The rows the RTO marker spans (its label above the bars down to the end of its dashed lines): the timeline."""
    rto = rgb(colours["RTO_COLOUR"])
    ys = [y for y, row in enumerate(img["rows"]) if columns_of(row, rto, img["channels"])]
    assert ys, "no pixel of the RTO colour %s on the page" % colours["RTO_COLOUR"]
    return ys[0], ys[-1]


def crop(img, name, y0, y1, x0=0, x1=None):
    """Rows y0..y1 and columns x0..x1 of the rendering, as a PNG of their own (for Tesseract)."""
    channels = img["channels"]
    x1 = img["width"] if x1 is None else int(x1)
    path = img["tmp"] / ("%s-%dx.png" % (name, img["scale"]))
    write_png(path, x1 - int(x0), channels, [row[int(x0) * channels:x1 * channels] for row in img["rows"][max(0, int(y0)):int(y1)]])
    return path


def svg_left(img, bars, top, bottom):
    """Where the SVG is on the page (device pixels): its leftmost bar's first pixel minus the bar's x in the SVG."""
    fills = set(rgb(b[5]) for b in bars)
    left = min(x for row in img["rows"][top:bottom + 1] for fill in fills for x in columns_of(row, fill, img["channels"])[:1])
    offset = left - min(b[1] for b in bars) * img["scale"]
    assert 0 <= offset <= 100 * img["scale"], "the timeline is not where the page's layout puts it (x offset %s)" % offset
    return offset


# -- the tests ---------------------------------------------------------------------------------------------------------------
def test_the_rto_and_rpo_figures_can_be_read_off_the_page(rendered):
    fmt = render_module()
    rto, rpo = rendered["doc"]["measures"]["rto"], rendered["doc"]["measures"]["rpo"]
    assert rto["seconds"] is not None and rpo["seconds"] is not None and rpo["rows"] is not None
    rto_value, rpo_value = fmt.seconds(rto["seconds"]), "%s, %s" % (fmt.seconds(rpo["seconds"]), fmt.rows(rpo["rows"]))
    rto_budget, rpo_budget = fmt.seconds(rto["budget_seconds"], budget=True), fmt.seconds(rpo["budget_seconds"], budget=True)
    # The HTML says so (the figures and the timeline labels) ...
    html = rendered["html"]
    assert '<div class="label">RTO</div><div class="value">%s</div>' % rto_value in html
    assert '<div class="label">RPO</div><div class="value">%s</div>' % rpo_value in html
    # ... and so does the picture. Tesseract reads regions as a person looks at them: the figures above the timeline
    # (each box's value and budget under its label), then the markers' labels over the bars; at both sizes (device
    # scale 1 and 2), as a person leaning in: a figure counts as read when one of the readings is exact.
    readings = {"RTO": [], "RPO": [], "markers": []}
    for img in (rendered["page"], rendered["hidpi"]):
        scale = img["scale"]
        top, _ = timeline_rows(img, html_constants())
        figures = crop(img, "figures", 0, top - 40 * scale)
        words = ocr(rendered["tesseract"], figures)
        assert squeeze("FAILOVER DRILL of sandbox:") in squeeze(ocr_lines(words)[0])
        # Read twice: as a page (Tesseract's default layout) and as sparse text (--psm 11, each box on its own), which
        # is how the eye takes in a row of figure boxes; the page layout can run a figure into its neighbour
        # ("9.7 s" read as "9.75").
        for reading in (words, ocr(rendered["tesseract"], figures, "--psm", "11")):
            for label in ("RTO", "RPO"):
                readings[label].append(figure_squeeze(figure_text(reading, label, scale)))
        # The RPO label (right-aligned at the cut) sits a line above the RTO one, whose text is the topmost RTO colour.
        markers = crop(img, "markers", top - 14 * scale, top + 14 * scale)
        readings["markers"] += [figure_squeeze(line) for line in ocr_lines(ocr(rendered["tesseract"], markers, "--psm", "6"))]
    for label, value, budget, measure in (("RTO", rto_value, rto_budget, rto), ("RPO", rpo_value, rpo_budget, rpo)):
        verdict = "within budget" if measure["within_budget"] else "OVER BUDGET"
        figure = figure_squeeze("%s budget %s %s" % (value, budget, verdict))
        assert figure in readings[label], "the %s figure %r read as %s" % (label, figure, readings[label])
        marker = figure_squeeze("%s %s (budget %s)" % (label, value, budget))
        assert any(marker in line for line in readings["markers"]), "%r not read on the timeline: %s" % (marker, readings["markers"])


def test_the_step_names_on_the_timeline_can_be_read(rendered):
    """The labels left of the bars, cut out of the picture (what is left of the first bar), read by Tesseract."""
    fmt = render_module()
    bars, _ = svg_geometry(rendered["html"])
    lines = []
    for img in (rendered["page"], rendered["hidpi"]):  # both sizes, as for the figures
        top, bottom = timeline_rows(img, html_constants())
        end = svg_left(img, bars, top, bottom) + (min(b[1] for b in bars) - 2) * img["scale"]
        labels = crop(img, "timeline-labels", top - 10 * img["scale"], bottom + 10 * img["scale"], 0, end)
        # One block of text lines (--psm 6): the labels are one column, not a page layout to segment.
        lines += [letters(line) for line in ocr_lines(ocr(rendered["tesseract"], labels, "--psm", "6"))]
    steps = rendered["doc"]["steps"]
    assert len(steps) == 16  # the drill's recorded steps: preflight, 9 of the failover (the DNS INSYNC wait one of them), 6 of the failback
    unread = []
    for step in steps:
        label = fmt.step_label(step)
        if len(label) > 48:  # the timeline shortens long labels to 47 characters and an ellipsis: drop the cut word
            label = label[:47].rsplit(" ", 1)[0]
        expected = letters(label)
        best = max(difflib.SequenceMatcher(None, expected, line[:len(expected)]).ratio() for line in lines)
        if best < 0.9:
            unread.append((label, round(best, 2)))
    assert unread == [], "step names not readable on the timeline: %s\nOCR:\n%s" % (unread, "\n".join(lines))


def test_the_bars_and_the_rto_marker_are_drawn_in_the_plugins_colours_where_the_svg_puts_them(rendered):
    colours = html_constants()
    bars, rto_lines = svg_geometry(rendered["html"])
    assert len(bars) == len(rendered["doc"]["steps"]) and len(rto_lines) == 2
    assert {fill for status, _, _, _, _, fill in bars} <= {colours["COLOURS"][s] for s in ("ok", "changed")}
    img = rendered["page"]
    top, bottom = timeline_rows(img, colours)
    rows, channels = img["rows"][top:bottom + 1], img["channels"]

    # The bars: per colour, about the area the SVG gives them (anti-aliased edges and rounded corners lose a little).
    for fill in sorted({b[5] for b in bars}):
        expected = sum(w * h for _, _, _, w, h, f in bars if f == fill)
        count = sum(len(columns_of(row, rgb(fill), channels)) for row in rows)
        assert 0.75 * expected <= count <= 1.05 * expected, "%s: %d pixels, the SVG's bars cover %.0f" % (fill, count, expected)
    offset = svg_left(img, bars, top, bottom)

    # The RTO marker: two dashed vertical lines (dash 5, gap 3) at the SVG's x, and a line joining them on top.
    rto = rgb(colours["RTO_COLOUR"])
    drawn = [set(columns_of(row, rto, channels)) for row in rows]
    for x1, y1, x2, y2 in rto_lines:
        span = int(y2 - y1)
        hits = sum(1 for xs in drawn if xs & set(range(int(offset + x1) - 1, int(offset + x1) + 3)))
        assert hits >= 0.5 * span, "RTO line at x=%.1f: %d of %d rows drawn" % (x1, hits, span)
    start, end = sorted(line[0] for line in rto_lines)
    widest = max(len([x for x in xs if offset + start - 2 <= x <= offset + end + 2]) for xs in drawn)
    assert widest >= 0.9 * (end - start), "the RTO span is not drawn: widest row %d px of %.0f" % (widest, end - start)


def test_the_docs_keep_a_rendered_example(rendered):
    img = rendered["page"]
    background = (bytes(PAGE_BACKGROUND) + (b"\xff" if img["channels"] == 4 else b"")) * img["width"]
    last = max(y for y, row in enumerate(img["rows"]) if row != background)
    assert last < HEIGHT - 50, "the page is taller than the %d px window: raise HEIGHT" % HEIGHT
    if os.environ.get("CLOUDOPS_UPDATE_DOCS_IMAGE"):
        DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        write_png(DOCS_IMAGE, img["width"], img["channels"], img["rows"][:last + 24])
    assert DOCS_IMAGE.is_file(), "no %s: run this test with CLOUDOPS_UPDATE_DOCS_IMAGE=1" % DOCS_IMAGE
    width, height, _, _ = read_png(DOCS_IMAGE)
    assert width == WIDTH and 600 < height < HEIGHT
    assert "docs/images/failover-drill-report.png" in (REPO / "README.md").read_text()
