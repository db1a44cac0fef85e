"""Which tasks a run covers: the selector, ``--assignee``, ``--with-deps``; their graph and waves."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from luckyctl.errors import InputError
from luckyctl.model import Roadmap, Strategy, TaskState
from luckyctl.store import Store

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True)
class RunRequest:
    """The options of ``task execute`` (``task plan`` reads the ones that shape the plan)."""

    selector: str
    strategy: Strategy | None = None  # None: the plan's default
    wave_mode: bool = False
    parallel: int | None = None  # None: the plan's default
    force: bool = False
    with_deps: bool = False
    continue_on_failure: bool = False
    assignee: str | None = None
    yes: bool = False

    def options(self) -> dict[str, object]:
        """What the ``runs`` table keeps about the request."""
        return {
            "wave_mode": self.wave_mode,
            "parallel": self.parallel,
            "force": self.force,
            "with_deps": self.with_deps,
            "continue_on_failure": self.continue_on_failure,
            "assignee": self.assignee,
            "yes": self.yes,
        }


@dataclass(frozen=True)
class Selection:
    task_ids: list[str]  # roadmap order
    graph: nx.DiGraph  # the whole roadmap: dependencies outside the selection matter too
    subgraph: nx.DiGraph  # the selected tasks among themselves
    waves: list[list[str]] | None  # wave mode: topological generations of the subgraph
    pulled_in: list[str] = field(default_factory=list)  # added by --with-deps

    def with_order_edges(self, edges: list[tuple[str, str]]) -> Selection:
        """The selection with extra before → after constraints on its order (not dependencies).

        Edges that would make the order circular are left out, all of them:
        such a roadmap contradicts itself and its own dependencies win.
        """
        from luckyctl import graph as graphs

        if not edges:
            return self
        ordered = self.subgraph.copy()
        ordered.add_edges_from(edges)
        if graphs.find_cycle(ordered) is not None:
            return self
        waves = graphs.waves(ordered) if self.waves is not None else None
        return replace(self, subgraph=ordered, waves=waves)


def select(roadmap: Roadmap, store: Store, request: RunRequest) -> Selection:
    """Resolve the request's selection; InputError (exit 2) when it names nothing runnable."""
    from luckyctl import graph as graphs
    from luckyctl.selectors import resolve_selector

    graph = graphs.build_graph(roadmap)
    graphs.require_acyclic(graph)
    task_ids = resolve_selector(roadmap, request.selector)
    if request.assignee is not None:
        assigned = {row["task_id"] for row in store.assignments() if row["assignee"] == request.assignee}
        task_ids = [task_id for task_id in task_ids if task_id in assigned]
        if not task_ids:
            raise InputError(f"no task of {request.selector} is assigned to {request.assignee} (see task delegate)")
    pulled_in: list[str] = []
    if request.with_deps:
        chosen = set(task_ids)
        records = store.tasks()
        unfinished = [
            dep
            for dep in graphs.closure_with_deps(graph, task_ids)
            if dep not in chosen and (dep not in records or records[dep].state is not TaskState.SUCCEEDED)
        ]
        pulled_in = unfinished
        chosen |= set(unfinished)
        task_ids = [task_id for task_id in roadmap.tasks if task_id in chosen]
    subgraph = graph.subgraph(task_ids).copy()
    waves = graphs.waves(subgraph) if request.wave_mode else None
    return Selection(task_ids, graph, subgraph, waves, pulled_in)
