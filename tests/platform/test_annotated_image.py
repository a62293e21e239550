"""Images with boxes in console results: geometry, what is refused, and the JSON shown below."""

from __future__ import annotations

import base64
import copy
import re
from typing import Any

import cv2
import numpy as np
import pytest

from yangcheng.platform.web.annotated_image import MAX_BOXES, annotated_image
from yangcheng.platform.web.render import ENV, display_json, elide_base64


def _png_base64(width: int, height: int) -> str:
    ok, buf = cv2.imencode(".png", np.full((height, width, 3), 90, np.uint8))
    assert ok
    return base64.b64encode(buf.tobytes()).decode()


PNG_64 = _png_base64(64, 48)


def _result(**image: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "png_base64": PNG_64,
        "width": 64,
        "height": 48,
        "boxes": [{"x": 10, "y": 20, "w": 30, "h": 12.5, "label": "knife", "alarm": True}],
    }
    data.update(image)
    return {"verdict": "alarm", "annotated_image": data}


def _box(**kw: Any) -> dict[str, Any]:
    return {"x": 1, "y": 2, "w": 3, "h": 4, "label": "x", "alarm": False, "score": None, **kw}


def test_boxes_are_in_image_pixels_and_the_image_is_shown_512_wide() -> None:
    pic = annotated_image(_result())
    assert pic is not None
    assert (pic.width, pic.height) == (64, 48)
    assert (pic.display_width, pic.display_height) == (512, 384)
    assert pic.src == "data:image/png;base64," + PNG_64
    (box,) = pic.boxes
    assert (box.x, box.y, box.w, box.h) == (10, 20, 30, 12.5)
    assert box.alarm and box.text == "knife" and pic.alarms == 1
    # 12 px on the page is 1.5 image pixels when 64 px are shown as 512.
    assert pic.font_size == pytest.approx(1.5)


def test_labels_sit_above_the_box_inside_the_image_and_carry_the_score() -> None:
    pic = annotated_image(
        _result(
            boxes=[
                _box(x=10, y=20, label="knife", score=0.934),
                _box(x=10, y=0, label="gun", alarm=True),  # no room above: inside the top
                _box(x=60, y=30, label="power_bank"),  # would run off the right edge
            ]
        )
    )
    assert pic is not None
    above, top, right = pic.boxes
    assert above.text == "knife 0.93"
    assert above.tag_y + above.tag_h == pytest.approx(above.y, abs=0.1)
    assert top.tag_y == 0 and top.tag_y + top.tag_h > top.y
    assert right.tag_x + right.tag_w <= pic.width + 0.1 and right.tag_x < right.x
    for b in pic.boxes:  # the backing is wide enough for its text (monospace estimate)
        assert b.tag_w >= len(b.text) * pic.font_size * 0.6


def test_an_image_without_boxes_is_still_drawn() -> None:
    pic = annotated_image(_result(boxes=[]))
    assert pic is not None and pic.boxes == () and pic.alarms == 0


def test_at_most_max_boxes_are_drawn_and_the_total_is_kept() -> None:
    pic = annotated_image(_result(boxes=[_box(x=i % 60) for i in range(MAX_BOXES + 25)]))
    assert pic is not None
    assert len(pic.boxes) == MAX_BOXES and pic.total_boxes == MAX_BOXES + 25


NOT_PNG = base64.b64encode(b"\xff\xd8\xff\xe0 a JPEG, not a PNG").decode()


@pytest.mark.parametrize(
    "result",
    [
        None,
        "annotated_image",
        {"a": 1},
        {"annotated_image": "x"},
        {"annotated_image": {"width": 64, "height": 48, "boxes": []}},  # no png_base64
        _result(png_base64=None),
        _result(png_base64=""),
        _result(png_base64="not base64 at all!"),
        _result(png_base64=PNG_64[:-3] + "@@@"),
        _result(png_base64=NOT_PNG),
        _result(width=0),
        _result(width=True),
        _result(height=48.0),
        _result(height=None),
        _result(boxes=None),
        _result(boxes={"x": 1}),
        _result(boxes=["box"]),
        _result(boxes=[_box(x=float("nan"))]),
        _result(boxes=[_box(w=float("inf"))]),
        _result(boxes=[_box(y="2")]),
        _result(boxes=[_box(h=-1)]),
        _result(boxes=[_box(label=None)]),
        _result(boxes=[_box(alarm="yes")]),
        _result(boxes=[_box(score=float("nan"))]),
        _result(boxes=[_box(score="high")]),
        _result(boxes=[_box(), {"x": 1, "y": 2, "w": 3, "h": 4, "alarm": False}]),
    ],
)
def test_results_without_a_usable_annotated_image_draw_nothing(result: Any) -> None:
    assert annotated_image(result) is None


def test_a_box_may_leave_the_score_out() -> None:
    box = _box()
    del box["score"]
    pic = annotated_image(_result(boxes=[box]))
    assert pic is not None and pic.boxes[0].text == "x"


# --- the JSON shown under the picture ----------------------------------------------------


def test_long_base64_images_are_elided_for_display_only() -> None:
    long = "A" * 2001
    result = {
        "annotated_image": {"png_base64": long, "boxes": []},
        "pages": [{"png_base64": long, "note": long}],
        "high_png_base64": long,
        "thumb": {"png_base64": "A" * 2000},
        "tdr_dicos_base64": long,
        "dicos_base64": [long, "AAAA"],
        "notes_base": long,
    }
    original = copy.deepcopy(result)
    shown = elide_base64(result)
    assert result == original  # the response itself is untouched
    assert shown["annotated_image"]["png_base64"] == "<2001 bytes of base64, drawn above>"
    assert shown["pages"][0]["png_base64"] == "<2001 bytes of base64, drawn above>"
    assert shown["pages"][0]["note"] == long  # other long strings are data, shown as they are
    assert shown["high_png_base64"].startswith("<2001 bytes of base64, not shown")
    assert shown["thumb"]["png_base64"] == "A" * 2000
    assert shown["tdr_dicos_base64"].startswith("<2001 bytes of base64, not shown")
    assert shown["dicos_base64"][0].startswith("<2001 bytes") and shown["dicos_base64"][1] == "AAAA"
    assert display_json(result).count(long) == 2  # the note and notes_base alone


def test_the_try_result_draws_the_image_and_escapes_labels() -> None:
    big = _png_base64(512, 512)
    result = _result(
        png_base64=big,
        width=512,
        height=512,
        boxes=[
            _box(x=10, y=30, w=50, h=60, label="<script>alert(1)</script>", alarm=True),
            _box(x=100, y=100, w=20, h=20, label="phone", score=0.5),
        ],
    )
    html = ENV.get_template("_try_result.html").render(
        result=result, status=200, curl=None, errors=[]
    )
    assert f'<img src="data:image/png;base64,{big}"' in html
    assert 'viewBox="0 0 512 512"' in html
    assert len(re.findall(r'<g class="ai-box alarm">', html)) == 1
    assert len(re.findall(r'<g class="ai-box clear">', html)) == 1
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert ">phone 0.50</text>" in html
    pre = html[html.index('id="result-json"') :]
    assert big not in pre and f"<{len(big)} bytes of base64, drawn above>" in html.replace(
        "&lt;", "<"
    ).replace("&gt;", ">")
