"""``luckyctl roadmap graph`` in each format, with the critical path marked."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pydot
import pytest
from test_graph_builders import epic, lucky_epics, story, task, write_project
from typer.testing import CliRunner

from luckyctl.cli.app import app

# pydot's parser still calls pyparsing's old names; that is its business, not this test's.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pydot.dot_parser")

CRITICAL = ["FE-INT.1.1", "FE-INT.1.2", "FE-INT.2.1", "GCP-SETUP.1.1"]


def graph(folder: Path, *args: str, epics: list[dict[str, object]] | None = None) -> tuple[int, str, str]:
    roadmap_file, plan_file = write_project(folder, epics or lucky_epics())
    result = CliRunner().invoke(
        app,
        [
            "--roadmap",
            str(roadmap_file),
            "--plan",
            str(plan_file),
            "--home",
            str(folder / "evidence"),
            "roadmap",
            "graph",
            *args,
        ],
        env={"XDG_CACHE_HOME": str(folder / "cache")},
    )
    return result.exit_code, result.stdout, result.stderr


def test_mermaid_is_the_default_with_stories_as_subgraphs_and_the_critical_path_styled(tmp_path: Path) -> None:
    code, out, err = graph(tmp_path)
    assert code == 0, err
    assert out.splitlines() == [
        "flowchart LR",
        "  %% critical path (16h): FE-INT.1.1 -> FE-INT.1.2 -> FE-INT.2.1 -> GCP-SETUP.1.1",
        '  subgraph s0["FE-INT.1 API client and JWT auth"]',
        '    t0["FE-INT.1.1<br/>Task FE-INT.1.1<br/>3h"]',
        '    t1["FE-INT.1.2<br/>Task FE-INT.1.2<br/>4h"]',
        "  end",
        '  subgraph s1["FE-INT.2 Access control and CORS"]',
        '    t2["FE-INT.2.1<br/>Task FE-INT.2.1<br/>8h"]',
        '    t3["FE-INT.2.2<br/>Task FE-INT.2.2<br/>2h"]',
        "  end",
        '  subgraph s2["GCP-SETUP.1 Identity and access"]',
        '    t4["GCP-SETUP.1.1<br/>Task GCP-SETUP.1.1<br/>1h"]',
        "  end",
        "  t0 --> t1",
        "  t0 --> t2",
        "  t0 --> t4",
        "  t1 --> t2",
        "  t1 --> t4",
        "  t2 --> t4",
        "  t3 --> t4",
        "  classDef critical stroke:#d62728,stroke-width:3px",
        "  class t0,t1,t2,t4 critical",
        "  linkStyle 0,3,5 stroke:#d62728,stroke-width:3px",
    ]
    assert err == ""


def test_mermaid_labels_escape_quotes_and_angle_brackets(tmp_path: Path) -> None:
    tricky = [epic("E", story("S", task("A", title='Say "hi" <b>now</b>'), title="Quotes"))]
    code, out, _ = graph(tmp_path, epics=tricky)
    assert code == 0
    assert '    t0["A<br/>Say #quot;hi#quot; #lt;b#gt;now#lt;/b#gt;<br/>1h"]' in out.splitlines()


def test_dot_parses_with_one_cluster_per_story_and_red_critical_edges(tmp_path: Path) -> None:
    code, out, err = graph(tmp_path, "--format", "dot")
    assert code == 0, err
    [parsed] = pydot.graph_from_dot_data(out)
    clusters = {
        sub.get_name().strip('"'): [node.get_name().strip('"') for node in sub.get_nodes()]
        for sub in parsed.get_subgraphs()
    }
    assert clusters == {
        "cluster_FE-INT.1": ["FE-INT.1.1", "FE-INT.1.2"],
        "cluster_FE-INT.2": ["FE-INT.2.1", "FE-INT.2.2"],
        "cluster_GCP-SETUP.1": ["GCP-SETUP.1.1"],
    }
    red = {
        (edge.get_source().strip('"'), edge.get_destination().strip('"'))
        for edge in parsed.get_edges()
        if edge.get("color") == "red"
    }
    assert red == set(itertools.pairwise(CRITICAL))
    assert len(parsed.get_edges()) == 7
    red_nodes = {
        node.get_name().strip('"')
        for sub in parsed.get_subgraphs()
        for node in sub.get_nodes()
        if node.get("penwidth") == "2"
    }
    assert red_nodes == set(CRITICAL)


@pytest.mark.parametrize("flag", [["--format", "json"], ["--json"], ["-f", "JSON"]])
def test_json_flags_every_node_and_edge_and_gives_the_path(tmp_path: Path, flag: list[str]) -> None:
    code, out, err = graph(tmp_path, *flag)
    assert code == 0, err
    document = json.loads(out)
    assert document["critical_path"] == CRITICAL
    assert document["critical_path_hours"] == 16.0
    assert [node["id"] for node in document["nodes"] if node["critical"]] == CRITICAL
    assert document["nodes"][3] == {
        "id": "FE-INT.2.2",
        "title": "Task FE-INT.2.2",
        "story": "FE-INT.2",
        "epic": "FE-INT",
        "owner": "dev",
        "estimate_hours": 2.0,
        "critical": False,
    }
    assert {"from": "FE-INT.2.1", "to": "GCP-SETUP.1.1", "critical": True} in document["edges"]
    assert document["stories"][2] == {
        "id": "GCP-SETUP.1",
        "title": "Identity and access",
        "epic": "GCP-SETUP",
        "tasks": ["GCP-SETUP.1.1"],
    }


def test_a_selection_draws_only_its_tasks(tmp_path: Path) -> None:
    code, out, _ = graph(tmp_path, "FE-INT.2,GCP-SETUP", "--json")
    assert code == 0
    document = json.loads(out)
    assert [node["id"] for node in document["nodes"]] == ["FE-INT.2.1", "FE-INT.2.2", "GCP-SETUP.1.1"]
    assert document["critical_path"] == ["FE-INT.2.1", "GCP-SETUP.1.1"]
    assert [story["id"] for story in document["stories"]] == ["FE-INT.2", "GCP-SETUP.1"]


def test_an_unknown_id_exits_2(tmp_path: Path) -> None:
    code, out, err = graph(tmp_path, "GCP-SETUP.9")
    assert (code, out) == (2, "")
    assert err == "luckyctl: error: unknown id 'GCP-SETUP.9' (did you mean GCP-SETUP.1?)\n"


def test_an_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    code, out, err = graph(tmp_path, "--format", "png")
    assert (code, out) == (2, "")
    assert err.startswith("luckyctl: error: ") and "'png'" in err
    assert len(err.splitlines()) == 1
