"""The HTML report: one self-contained, valid HTML5 file with four charts and every roadmap text escaped."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import html5lib
import pytest
from test_analytics import NOW, add_evidence, scenario_store
from test_graph_builders import epic, story, task
from test_risks import PROJECT, RISKS

from luckyctl.analytics import compute_analytics
from luckyctl.loader import load_roadmap
from luckyctl.model import Roadmap, TaskState
from luckyctl.report.analytics_html import render_html
from luckyctl.report.analytics_markdown import render_markdown
from luckyctl.risks import assess_risks

HOSTILE = "<script>alert(1)</script>"
REPO = Path(__file__).resolve().parent.parent
CHARTS = ("Burndown", "Status breakdown", "Gantt chart", "Risk heat map")


def hostile_roadmap(*more_risks: dict[str, Any]) -> Roadmap:
    epics = [
        epic(
            "E1",
            story(
                "E1.1",
                task("A", hours=8),
                task("B", "A", hours=8),
                task("C", hours=4),
                title='Story "one" & <b>two</b>',
            ),
            days=[1, 2],
            title="Epic <img src=x onerror=alert(2)>",
        ),
        epic(
            "E2", story("E2.1", task("D", "B", hours=8), task("E", "D", "C", hours=8), task("F", hours=4)), days=[3, 4]
        ),
    ]
    epics[0]["stories"][0]["tasks"][0]["title"] = HOSTILE
    hostile_risk = {
        "id": "R3",
        "title": "Risk </svg><script>x()</script>",
        "impact": "low",
        "probability": "high",
        "strategy": "a & b",
    }
    risks = [*RISKS, hostile_risk, *more_risks]
    project = {**PROJECT, "name": "Lucky <Gas> & co"}
    return Roadmap.model_validate({"project": project, "risks": risks, "epics": epics})


def page_of(roadmap: Roadmap, store_path: Path | None, now: dt.datetime = NOW) -> str:
    store = scenario_store(store_path) if store_path else None
    return render_html(compute_analytics(roadmap, store, now=now), assess_risks(roadmap, store, now=now))


def parse(page: str) -> Any:
    """Strict HTML5 parsing: any parse error raises."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)


def local(element: Any) -> str:
    """The tag without its namespace (inline SVG elements live in the SVG namespace)."""
    return str(element.tag).rsplit("}", 1)[-1]


def charts(document: Any) -> dict[str, Any]:
    """Inline SVG charts by their accessible label."""
    return {svg.get("aria-label"): svg for svg in document.iter() if local(svg) == "svg"}


def chart(document: Any, prefix: str) -> Any:
    return next(svg for label, svg in charts(document).items() if label.startswith(prefix))


def texts(svg: Any) -> list[str]:
    return [element.text for element in svg.iter() if local(element) == "text" and element.text]


@pytest.fixture
def page(tmp_path: Path) -> str:
    return page_of(hostile_roadmap(), tmp_path / "luckyctl.db")


def test_nothing_is_loaded_from_anywhere(page: str) -> None:
    assert "http://" not in page and "https://" not in page
    assert "xmlns" not in page and "@import" not in page
    assert set(re.findall(r"url\([^)]*\)", page)) <= {"url(#arrow)"}  # at most an arrowhead defined in the page
    elements = list(parse(page).iter())
    assert {local(e) for e in elements}.isdisjoint({"script", "link", "iframe", "img", "object", "embed"})
    assert all(not ({"src", "href", "xlink:href"} & set(e.keys())) for e in elements)


def test_roadmap_texts_are_escaped(page: str) -> None:
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img" not in page and "Epic &lt;img src=x onerror=alert(2)&gt;" in page
    assert "Risk &lt;/svg&gt;&lt;script&gt;x()&lt;/script&gt;" in page
    assert "<title>P — Lucky &lt;Gas&gt; &amp; co</title>" in page


def test_the_page_is_valid_html5_with_the_four_charts(page: str) -> None:
    document = parse(page)
    assert len(charts(document)) == 4
    assert all(chart(document, prefix) is not None for prefix in CHARTS)
    text = "".join(document.itertext())
    assert HOSTILE in text  # shown to the reader as text, never run
    # One Gantt row per task; one status bar per epic plus the total; the burndown marks today, the plan's end and the ETA.
    assert sorted(t for t in texts(chart(document, "Gantt")) if t in set("ABCDEF")) == list("ABCDEF")
    assert [t for t in texts(chart(document, "Status")) if t in {"E1", "E2", "Total"}] == ["E1", "E2", "Total"]
    assert {"ETA day 5", "today", "planned end"} <= set(texts(chart(document, "Burndown")))


def test_the_heat_map_places_inherent_and_residual(tmp_path: Path) -> None:
    # R4 (high × high = 9) with A proven of A and D: 4.5 (high), drawn on the high row at ⌈4.5 / 3⌉ = medium.
    roadmap = hostile_roadmap(
        {"id": "R4", "title": "Outage", "impact": "high", "probability": "high", "mitigated_by": ["A", "D"]}
    )
    store = scenario_store(tmp_path / "luckyctl.db")
    for task_id in ("B", "C"):
        add_evidence(store, task_id, "r9", 1, "passed")
        store.set_state(task_id, TaskState.SUCCEEDED)
    page = render_html(compute_analytics(roadmap, store, now=NOW), assess_risks(roadmap, store, now=NOW))
    heat = chart(parse(page), "Risk")
    # R1 is mitigated (a dashed inherent marker with a check mark); R2 and R3 stay where they were;
    # R4 shows twice (inherent and residual) with an arrow between.
    assert sorted(t for t in texts(heat) if t.startswith("R")) == ["R1", "R2", "R3", "R4", "R4"]
    assert 'marker-end="url(#arrow)"' in page
    assert texts(heat).count("✓") == 1
    assert '<span class="badge good">mitigated</span>' in page


def test_the_lucky_gas_roadmap_renders_before_anything_ran() -> None:
    roadmap = load_roadmap(REPO / "roadmap")
    page = page_of(roadmap, None, now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC))
    document = parse(page)
    assert "http://" not in page and "https://" not in page
    assert len(charts(document)) == 4
    assert "GO-LIVE.3.5" in page and "0 of 75 tasks" in page


def test_markdown_escapes_roadmap_text(tmp_path: Path) -> None:
    roadmap = hostile_roadmap()
    store = scenario_store(tmp_path / "luckyctl.db")
    text = render_markdown(compute_analytics(roadmap, store, now=NOW), assess_risks(roadmap, store, now=NOW))
    assert "<script>" not in text and "&lt;/svg&gt;&lt;script&gt;x()&lt;/script&gt;" in text
    assert text.startswith("# P — Lucky &lt;Gas&gt; &amp; co\n")
    assert "| F | waiting for the GCP quota | Task F |" in text
