"""Malformed roadmaps and plans never get a traceback: exit 0 or 2, and every message names its file (DESIGN §3, §11).

Hypothesis writes roadmaps and plans of random structure (random keys next to
the schema's own, wrong types, deep nesting, huge strings), valid roadmaps
with one part replaced by junk, and files of random bytes or broken YAML
text. Each goes to ``luckyctl roadmap check`` in-process (and a few through a
real process): the exit code is 0 or 2 and, on 2, every line on stderr is
``path:line: message`` (or ``path: message``) naming the roadmap or the plan.
``task status``, which stops at the first problem, prints exactly one line:
``luckyctl: error: path:line: message``.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from luckyctl.cli.app import app

SCHEMA_KEYS = [
    "project", "id", "name", "start", "roles", "title", "epics", "stories", "tasks", "owner", "estimate",
    "depends_on", "steps", "checks", "run", "http", "probe", "file", "manual", "argv", "cmd", "url", "expect",
    "status", "json", "retries", "timeout", "days", "risks", "kpis", "checklist", "impact", "probability",
    "mitigated_by", "target", "op", "value", "phase", "satisfied_by", "vars", "secrets", "env", "gcp", "team",
    "strategy", "parallel", "evidence", "max_age", "save", "approval",
]  # fmt: skip
VALID_ROADMAP: dict[str, Any] = {
    "project": {"id": "P", "name": "Fuzz", "start": "2026-12-07", "roles": {"dev": {"title": "Developer"}}},
    "risks": [{"id": "R1", "title": "risk", "impact": "high", "probability": "low", "mitigated_by": ["T2"]}],
    "kpis": [{"id": "k", "title": "k", "target": {"op": "<", "value": 1}, "source": {"task": "T2", "metric": "m"}}],
    "checklist": [{"id": "c1", "phase": "pre-deployment", "title": "c", "satisfied_by": ["T1"]}],
    "epics": [{"id": "E", "title": "epic", "days": [1, 2], "stories": [{"id": "E.1", "title": "story", "tasks": [
        {"id": "T1", "title": "one", "owner": "dev", "estimate": "1h", "steps": [{"run": {"argv": ["true"]}}]},
        {"id": "T2", "title": "two", "owner": "dev", "estimate": "2h", "depends_on": ["T1"],
         "checks": [{"http": {"url": "${base}/health", "expect": {"status": 200}}, "retries": 1}]},
    ]}]}],
}  # fmt: skip
VALID_PLAN: dict[str, Any] = {"name": "sandbox", "vars": {"base": "http://127.0.0.1:9"}, "strategy": {"parallel": 2}}

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
    st.sampled_from(["", "3h", "1d", "${x}", "${secret:y}", "2026-12-07", "*", "&a", "!!python/object", "\x00"]),
)  # fmt: skip
keys = st.one_of(st.sampled_from(SCHEMA_KEYS), st.text(max_size=12), st.integers(), st.booleans())
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=6)),
    max_leaves=40,
)


def _paths(document: Any) -> list[tuple[Any, ...]]:
    """Every path to a part of a nested document."""
    found: list[tuple[Any, ...]] = [()]
    if isinstance(document, dict):
        for key, value in document.items():
            found += [(key, *rest) for rest in _paths(value)]
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += [(index, *rest) for rest in _paths(value)]
    return found


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any]) -> Any:
    """``valid`` with one part (perhaps the whole) replaced by a random document."""
    import copy

    document: Any = copy.deepcopy(valid)
    path = draw(st.sampled_from(_paths(document)))
    junk = draw(documents)
    if not path:
        return junk
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = junk
    return document


def _dump(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


roadmap_texts = st.one_of(
    documents.map(_dump),
    mutated(VALID_ROADMAP).map(_dump),
    st.text(max_size=200),  # broken YAML, tabs, stray quotes …
    st.builds(lambda text, at, junk: text[:at] + junk + text[at:], st.just(_dump(VALID_ROADMAP)),
              st.integers(0, 600), st.sampled_from([":", "- ", "\t", "{", "]", "&x ", "*x", "'", "\n  - \n", "\x00"])),
)  # fmt: skip
plan_texts = st.one_of(st.just(_dump(VALID_PLAN)), mutated(VALID_PLAN).map(_dump), documents.map(_dump))
raw_bytes = st.one_of(st.binary(max_size=300), st.binary(max_size=50).map(lambda junk: _dump(VALID_ROADMAP).encode() + junk))

LINE = r"(?::\d+)?: \S"


def _project(folder: Path, roadmap: str | bytes, plan: str) -> tuple[Path, Path]:
    roadmap_file, plan_file = folder / "roadmap.yaml", folder / "plans" / "sandbox.yaml"
    plan_file.parent.mkdir(exist_ok=True)
    if isinstance(roadmap, bytes):
        roadmap_file.write_bytes(roadmap)
    else:
        roadmap_file.write_text(roadmap, encoding="utf-8", errors="surrogatepass")
    plan_file.write_text(plan)
    return roadmap_file, plan_file


def _check_in_process(roadmap: str | bytes, plan: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        roadmap_file, plan_file = _project(Path(folder), roadmap, plan)
        files = f"(?:{re.escape(str(roadmap_file))}|{re.escape(str(plan_file))})"
        runner = CliRunner()
        base = ["--roadmap", str(roadmap_file), "--plan", str(plan_file), "--home", str(Path(folder) / "evidence")]

        checked = runner.invoke(app, [*base, "roadmap", "check"])
        assert checked.exit_code in (0, 2), (checked.exit_code, checked.output, checked.exception)
        assert "Traceback" not in checked.output
        if checked.exit_code == 2:
            lines = checked.stderr.splitlines()
            assert lines, checked.output
            for line in lines:  # one line per problem, each naming its file
                assert re.match(files + LINE, line), f"not a file:line message: {line!r}"

        status = runner.invoke(app, [*base, "task", "status"])
        assert status.exit_code in (0, 2), (status.exit_code, status.output, status.exception)
        if status.exit_code == 2:
            assert re.fullmatch(f"luckyctl: error: {files}{LINE}.*\n", status.stderr), status.stderr


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
    )


@fuzz(40)
@given(roadmap=roadmap_texts, plan=plan_texts)
def test_random_roadmaps_and_plans_get_exit_0_or_2_and_file_line_messages(roadmap: str, plan: str) -> None:
    _check_in_process(roadmap, plan)


@fuzz(15)
@given(data=raw_bytes)
def test_random_bytes_get_exit_2_and_a_file_message(data: bytes) -> None:
    _check_in_process(data, _dump(VALID_PLAN))


@pytest.mark.reliability
@fuzz(1500)
@given(roadmap=roadmap_texts, plan=plan_texts)
def test_many_random_roadmaps_and_plans(roadmap: str, plan: str) -> None:
    _check_in_process(roadmap, plan)


@pytest.mark.reliability
@fuzz(300)
@given(data=raw_bytes)
def test_many_random_byte_files(data: bytes) -> None:
    _check_in_process(data, _dump(VALID_PLAN))


def _deep(levels: int) -> str:
    return "project: " + "[" * levels + "]" * levels + "\n"


HOSTILE: dict[str, Callable[[], str | bytes]] = {
    "deep-nesting": lambda: _deep(5000),
    "huge-string": lambda: _dump({**VALID_ROADMAP, "project": {**VALID_ROADMAP["project"], "name": "x" * 6_000_000}}),
    "alias-bomb": lambda: "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, "
        f"*{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}, *{chr(97 + n)}]\n" for n in range(9)),
    "not-utf8": lambda: b"project:\n  name: \xff\xfe\n",
    "python-tag": lambda: "project: !!python/object/apply:os.system ['true']\n",
    "duplicate-keys": lambda: _dump(VALID_ROADMAP) + "project: again\n",
}  # fmt: skip


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_inputs_through_a_real_process(tmp_path: Path, name: str) -> None:
    roadmap_file, plan_file = _project(tmp_path, HOSTILE[name](), _dump(VALID_PLAN))
    done = subprocess.run(
        [sys.executable, "-m", "luckyctl", "--roadmap", str(roadmap_file), "--plan", str(plan_file), "roadmap", "check"],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and re.match(re.escape(str(roadmap_file)) + LINE, lines[0]), done.stderr


@pytest.mark.parametrize("key", ["a\nb", "\x1e", "a\u2028b"])
def test_a_key_with_a_line_break_is_still_reported_on_one_line(tmp_path: Path, key: str) -> None:
    roadmap_file, plan_file = _project(tmp_path, _dump({**VALID_ROADMAP, key: 1}), _dump(VALID_PLAN))
    checked = CliRunner().invoke(app, ["--roadmap", str(roadmap_file), "--plan", str(plan_file), "roadmap", "check"])
    assert checked.exit_code == 2
    assert len(checked.stderr.splitlines()) == 1, checked.stderr


@pytest.mark.parametrize("value", ["!!bool maybe", '!!int ""', '!!float ""', "!!timestamp not-a-date"])
def test_an_explicit_tag_on_a_value_it_does_not_fit_is_an_input_error(tmp_path: Path, value: str) -> None:
    """PyYAML's constructors raise KeyError, IndexError or AttributeError for these, not ValueError."""
    roadmap_file, plan_file = _project(tmp_path, f"project: {value}\n", _dump(VALID_PLAN))
    checked = CliRunner().invoke(app, ["--roadmap", str(roadmap_file), "--plan", str(plan_file), "roadmap", "check"])
    assert checked.exit_code == 2, checked.stderr
    assert re.match(re.escape(str(roadmap_file)) + LINE, checked.stderr), checked.stderr


@pytest.mark.parametrize("where", ["project", "vars"])
def test_a_key_with_terminal_escapes_is_printed_quoted(tmp_path: Path, where: str) -> None:
    """ESC and BEL from a roadmap must not reach the terminal: they retitle the window or rewrite the screen."""
    key = "\x1b]0;pwned\x07\x1b[2Jk"
    roadmap = {**VALID_ROADMAP, "project": {**VALID_ROADMAP["project"], key: 1}} if where == "project" else VALID_ROADMAP
    plan = {**VALID_PLAN, "vars": {**VALID_PLAN["vars"], key: None}} if where == "vars" else VALID_PLAN
    roadmap_file, plan_file = _project(tmp_path, _dump(roadmap), _dump(plan))
    checked = CliRunner().invoke(app, ["--roadmap", str(roadmap_file), "--plan", str(plan_file), "roadmap", "check"])
    assert checked.exit_code == 2
    assert not {"\x1b", "\x07"} & set(checked.stderr), repr(checked.stderr)
