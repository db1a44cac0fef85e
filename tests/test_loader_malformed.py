"""Every malformed roadmap or plan: exit 2 and exactly one line naming file and line.

The corpus is ``tests/malformed/<case>/``: a ``roadmap.yaml`` or ``roadmap/``
folder, optionally ``plan.yaml`` or ``plans/`` (otherwise ``_plan.yaml`` is
the plan), optionally ``args.txt`` (more global options), and
``expected.txt``: the one line ``roadmap check`` must print on stderr. Cases
too big or too binary to keep as files are built in ``GENERATED``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from luckyctl.errors import PlanError, RoadmapError
from luckyctl.loader import check, load_plan, load_roadmap

CORPUS = Path(__file__).parent / "malformed"
BASE_PLAN = CORPUS / "_plan.yaml"
CASES = sorted(case.name for case in CORPUS.iterdir() if case.is_dir())
NO_LINE = {"empty-file", "no-roadmap", "unknown-plan-name"}  # a file (or no file) but no line to name

HEAD = """\
project:
  id: P
  name: Demo
  start: 2026-12-07
  roles: {backend: {title: Backend}}
"""


def _inputs(case: Path) -> tuple[str, str]:
    """The roadmap and plan a case is checked with (``args.txt`` may name others)."""
    roadmap = "roadmap" if (case / "roadmap").is_dir() else "roadmap.yaml"
    plan = "plan.yaml" if (case / "plan.yaml").is_file() else str(BASE_PLAN)
    words = (case / "args.txt").read_text().split() if (case / "args.txt").is_file() else []
    options = dict(zip(words[::2], words[1::2], strict=True))
    return options.get("--roadmap", roadmap), options.get("--plan", plan)


def _arguments(case: Path) -> list[str]:
    roadmap, plan = _inputs(case)
    return ["--roadmap", roadmap, "--plan", plan]


def _expected(case: Path) -> str:
    return (case / "expected.txt").read_text().strip()


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert all((CORPUS / case / "expected.txt").is_file() for case in CASES)


@pytest.mark.parametrize("name", CASES)
def test_roadmap_check_prints_one_line_and_exits_2(name: str, cli: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CORPUS / name
    monkeypatch.chdir(case)
    result = cli(*_arguments(case), "roadmap", "check")
    expected = _expected(case)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [expected]
    assert "Traceback" not in result.output
    if name not in NO_LINE:
        assert re.match(r"^[\w./-]+\.yaml:\d+: \S", expected), "the line must name file and line"


@pytest.mark.parametrize("name", CASES)
def test_the_library_raises_what_the_command_prints(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """load_roadmap / load_plan raise the same line as an InputError; what needs the plan comes from check()."""
    case = CORPUS / name
    monkeypatch.chdir(case)
    roadmap_path, plan_ref = _inputs(case)
    expected = _expected(case)
    try:
        roadmap = load_roadmap(roadmap_path)
        plan = load_plan(plan_ref, roadmap_path=roadmap_path)
    except (RoadmapError, PlanError) as error:
        assert str(error) == expected
        assert error.exit_code == 2
        return
    report = check(roadmap, plan)
    assert [str(problem) for problem in report.errors] == [expected]


def _not_utf8(folder: Path) -> str:
    (folder / "roadmap.yaml").write_bytes(HEAD.encode().replace(b"Demo", b"Caf\xe9"))
    return "roadmap.yaml:3: not UTF-8 text (byte 0xe9)"


def _six_mebibytes(folder: Path) -> str:
    padding = "# " + "x" * 1022 + "\n"
    (folder / "roadmap.yaml").write_text(HEAD + padding * 6 * 1024)
    return "roadmap.yaml: file is larger than 5 MiB"


def _deep_nesting(folder: Path) -> str:
    (folder / "roadmap.yaml").write_text(HEAD + "deep: " + "[" * 2000 + "]" * 2000 + "\n")
    return "roadmap.yaml:6: nested deeper than 64 levels"


def _deep_block_nesting(folder: Path) -> str:
    text = HEAD + "".join(" " * level + f"k{level}:\n" for level in range(100)) + " " * 100 + "v: 1\n"
    (folder / "roadmap.yaml").write_text(text)
    return "roadmap.yaml:70: nested deeper than 64 levels"  # HEAD, the top level, 63 nested: the 64th starts on 70


def _control_character(folder: Path) -> str:
    (folder / "roadmap.yaml").write_text(HEAD + "note: bell \x07 here\n")
    return "roadmap.yaml:6: bad YAML: control characters are not allowed"


GENERATED = {
    "not-utf8": _not_utf8,
    "six-mebibytes": _six_mebibytes,
    "deep-nesting": _deep_nesting,
    "deep-block-nesting": _deep_block_nesting,
    "control-character": _control_character,
}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_case(name: str, cli: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = GENERATED[name](tmp_path)
    monkeypatch.chdir(tmp_path)
    result = cli("--roadmap", "roadmap.yaml", "--plan", BASE_PLAN, "roadmap", "check")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [expected]
    with pytest.raises(RoadmapError) as raised:
        load_roadmap("roadmap.yaml")
    assert str(raised.value) == expected


SUBPROCESS_CASES = ["cycle", "duplicate-ids-across-files", "billion-laughs", "unknown-plan-name", "plan-unknown-key"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_a_real_process_exits_2_with_one_line(name: str) -> None:
    case = CORPUS / name
    completed = subprocess.run(
        [sys.executable, "-m", "luckyctl", *_arguments(case), "roadmap", "check"],
        cwd=case,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert completed.returncode == 2
    assert completed.stderr.splitlines() == [_expected(case)]
    assert "Traceback" not in completed.stdout + completed.stderr


def test_a_real_process_refuses_a_six_mebibyte_file_fast(tmp_path: Path) -> None:
    expected = _six_mebibytes(tmp_path)
    completed = subprocess.run(
        [sys.executable, "-m", "luckyctl", "--roadmap", "roadmap.yaml", "--plan", str(BASE_PLAN), "roadmap", "check"],
        cwd=tmp_path,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 2
    assert completed.stderr.splitlines() == [expected]


@pytest.mark.parametrize("name", ["cycle", "duplicate-keys", "billion-laughs", "unknown-key", "plan-unknown-key"])
def test_any_command_that_loads_reports_the_same_line(
    name: str, cli: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside ``roadmap check`` the first problem is raised, and the CLI prints it as its one error line."""
    case = CORPUS / name
    monkeypatch.chdir(case)
    result = cli(*_arguments(case), "task", "status")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"luckyctl: error: {_expected(case)}"]
