"""``luckyctl roadmap graph``: the dependency graph as Mermaid, Graphviz DOT or JSON.

Tasks are grouped by story; the critical path (the longest chain of
estimated hours) is marked in every format.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

from luckyctl.cli import context

if TYPE_CHECKING:
    import networkx as nx

    from luckyctl.model import Roadmap, Story

CRITICAL_COLOUR = "#d62728"
TITLE_WIDTH = 48


class GraphFormat(StrEnum):
    MERMAID = "mermaid"
    DOT = "dot"
    JSON = "json"


@dataclass(frozen=True)
class GraphView:
    """What every format draws: the tasks by story, their edges and the critical path."""

    roadmap: Roadmap
    graph: nx.DiGraph
    critical_path: list[str]
    critical_hours: float

    def stories(self) -> list[tuple[Story, list[str]]]:
        """Stories with their tasks in the graph, in roadmap order; empty stories left out."""
        stories = self.roadmap.stories()
        grouped = ((story, [task.id for task in story.tasks if task.id in self.graph]) for story in stories)
        return [(story, task_ids) for story, task_ids in grouped if task_ids]

    def edges(self) -> list[tuple[str, str, bool]]:
        """Every dependency edge and whether it lies on the critical path."""
        on_path = set(itertools.pairwise(self.critical_path))
        return [(source, target, (source, target) in on_path) for source, target in self.graph.edges()]

    def hours(self, task_id: str) -> float:
        return self.roadmap.tasks[task_id].estimate

    def summary(self) -> str:
        return f"critical path ({self.critical_hours:g}h): {' -> '.join(self.critical_path) or 'none'}"


def _short(text: str) -> str:
    return text if len(text) <= TITLE_WIDTH else text[: TITLE_WIDTH - 1] + "…"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def render_mermaid(view: GraphView) -> str:
    """A Mermaid flowchart. Node names are generated (``t0``…) since ids may hold ``-`` and ``.``."""
    names = {task_id: f"t{index}" for index, task_id in enumerate(view.graph)}
    lines = ["flowchart LR", f"  %% {view.summary()}"]
    for index, (story, task_ids) in enumerate(view.stories()):
        lines.append(f'  subgraph s{index}["{_mermaid_text(f"{story.id} {story.title}")}"]')
        for task_id in task_ids:
            parts = (task_id, _short(view.roadmap.tasks[task_id].title), f"{view.hours(task_id):g}h")
            label = "<br/>".join(_mermaid_text(part) for part in parts)
            lines.append(f'    {names[task_id]}["{label}"]')
        lines.append("  end")
    critical_links = []
    for link, (source, target, critical) in enumerate(view.edges()):
        lines.append(f"  {names[source]} --> {names[target]}")
        if critical:
            critical_links.append(str(link))
    lines.append(f"  classDef critical stroke:{CRITICAL_COLOUR},stroke-width:3px")
    if view.critical_path:
        lines.append(f"  class {','.join(names[task_id] for task_id in view.critical_path)} critical")
    if critical_links:
        lines.append(f"  linkStyle {','.join(critical_links)} stroke:{CRITICAL_COLOUR},stroke-width:3px")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(view: GraphView) -> str:
    """A Graphviz digraph: one cluster per story, the critical path red and thick."""
    critical_nodes = set(view.critical_path)
    marked = ", color=red, penwidth=2"
    lines = [
        f"digraph {_dot_text(view.roadmap.project.id)} {{",
        f"  // {view.summary()}",
        "  rankdir=LR;",
        "  node [shape=box];",
    ]
    for story, task_ids in view.stories():
        lines.append(f"  subgraph {_dot_text('cluster_' + story.id)} {{")
        lines.append(f"    label={_dot_text(f'{story.id} {story.title}')};")
        for task_id in task_ids:
            # A literal \n inside a DOT label is a line break.
            label = _dot_text(f"{task_id}\n{_short(view.roadmap.tasks[task_id].title)}\n{view.hours(task_id):g}h")
            label = label.replace("\n", "\\n")
            lines.append(f"    {_dot_text(task_id)} [label={label}{marked if task_id in critical_nodes else ''}];")
        lines.append("  }")
    for source, target, critical in view.edges():
        attributes = " [color=red, penwidth=2]" if critical else ""
        lines.append(f"  {_dot_text(source)} -> {_dot_text(target)}{attributes};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def graph_document(view: GraphView) -> dict[str, Any]:
    """The JSON form: nodes, edges and stories, each node and edge flagged ``critical``."""
    critical_nodes = set(view.critical_path)
    roadmap = view.roadmap
    return {
        "project": {"id": roadmap.project.id, "name": roadmap.project.name},
        "nodes": [
            {
                "id": task_id,
                "title": roadmap.tasks[task_id].title,
                "story": roadmap.story_of(task_id).id,
                "epic": roadmap.epic_of(task_id).id,
                "owner": roadmap.tasks[task_id].owner,
                "estimate_hours": view.hours(task_id),
                "critical": task_id in critical_nodes,
            }
            for task_id in view.graph
        ],
        "edges": [{"from": source, "to": target, "critical": critical} for source, target, critical in view.edges()],
        "stories": [
            {"id": story.id, "title": story.title, "epic": roadmap.epic_of(story.id).id, "tasks": task_ids}
            for story, task_ids in view.stories()
        ],
        "critical_path": view.critical_path,
        "critical_path_hours": view.critical_hours,
    }


def register(app: typer.Typer) -> None:
    """Attach ``graph`` to ``app``."""

    @app.command("graph")
    def graph(
        ctx: typer.Context,
        selector: str | None = typer.Argument(
            None, metavar="SEL", help="Draw only these tasks: project, epic, story or task ids, comma-separated."
        ),
        output_format: GraphFormat = typer.Option(
            GraphFormat.MERMAID, "--format", "-f", case_sensitive=False, help="mermaid, dot (Graphviz) or json."
        ),
        as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    ) -> None:
        """Print the dependency graph, grouped by story, with the critical path marked."""
        from luckyctl.graph import build_graph, critical_path
        from luckyctl.selectors import resolve_selector

        app_ctx = context.get(ctx)
        roadmap = app_ctx.roadmap
        task_ids = resolve_selector(roadmap, selector) if selector is not None else None
        dag = build_graph(roadmap, task_ids)
        path, hours = critical_path(dag)
        view = GraphView(roadmap=roadmap, graph=dag, critical_path=path, critical_hours=hours)
        if as_json or output_format is GraphFormat.JSON:
            app_ctx.print_json(graph_document(view))
        elif output_format is GraphFormat.DOT:
            typer.echo(render_dot(view), nl=False)
        else:
            typer.echo(render_mermaid(view), nl=False)
