"""The roadmap's tree as plain data: project, epics, stories, tasks with their owners and estimates.

What the read-only views (``task status``, selectors) need, without pydantic:
an outline is made once from a validated ``Roadmap`` and cached as JSON next
to the roadmap cache (``luckyctl.loader.snapshot``), so ``task status`` can
answer without building the models. ``TaskTree`` holds the queries that the
outline and the ``Roadmap`` model share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from typing import Protocol

    from luckyctl.model import Roadmap

    class _Tree(Protocol):
        @property
        def project(self) -> Any: ...

        @property
        def epics(self) -> list[Any]: ...

        @property
        def tasks(self) -> dict[str, Any]: ...


class TaskTree:
    """Queries over project → epics → stories → tasks.

    The class using it provides ``project``, ``epics`` and ``tasks`` (by id, in
    roadmap order); no annotations here, so a pydantic model's fields stay its own.
    """

    def stories(self: _Tree) -> list[Any]:
        return [story for epic in self.epics for story in epic.stories]

    def all_ids(self: _Tree) -> list[str]:
        """Project, epic, story and task ids: everything a selector may name."""
        ids = [self.project.id]
        for epic in self.epics:
            ids.append(epic.id)
            for story in epic.stories:
                ids.append(story.id)
                ids.extend(task.id for task in story.tasks)
        return ids

    def tasks_under(self: _Tree, node_id: str) -> list[str]:
        """Task ids a project, epic, story or task id stands for."""
        tasks = self.tasks
        if node_id == self.project.id:
            return list(tasks)
        if node_id in tasks:
            return [node_id]
        for epic in self.epics:
            if epic.id == node_id:
                return [task.id for story in epic.stories for task in story.tasks]
            for story in epic.stories:
                if story.id == node_id:
                    return [task.id for task in story.tasks]
        raise KeyError(node_id)


# Named tuples rather than dataclasses: they are built at import time several times faster,
# and this module is on the path of every ``task status``.
class OutlineProject(NamedTuple):
    id: str
    name: str


class OutlineTask(NamedTuple):
    id: str
    title: str
    owner: str
    estimate: float  # work hours


class OutlineStory(NamedTuple):
    id: str
    title: str
    tasks: list[OutlineTask]


class OutlineEpic(NamedTuple):
    id: str
    title: str
    days: tuple[int, int] | None
    stories: list[OutlineStory]


class Outline(TaskTree):
    """The tree of a roadmap with the fields the status view shows; built from a validated ``Roadmap``."""

    def __init__(self, project: OutlineProject, epics: list[OutlineEpic]) -> None:
        self.project = project
        self.epics = epics
        self._tasks = {task.id: task for epic in epics for story in epic.stories for task in story.tasks}

    @property
    def tasks(self) -> dict[str, OutlineTask]:
        """Every task by id, in roadmap order."""
        return self._tasks

    @classmethod
    def of(cls, roadmap: Roadmap) -> Outline:
        return cls(
            OutlineProject(roadmap.project.id, roadmap.project.name),
            [
                OutlineEpic(
                    epic.id,
                    epic.title,
                    epic.days,
                    [
                        OutlineStory(
                            story.id,
                            story.title,
                            [OutlineTask(task.id, task.title, task.owner, task.estimate) for task in story.tasks],
                        )
                        for story in epic.stories
                    ],
                )
                for epic in roadmap.epics
            ],
        )

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-able data; ``from_data`` reads it back."""
        return {
            "project": [self.project.id, self.project.name],
            "epics": [
                [
                    epic.id,
                    epic.title,
                    list(epic.days) if epic.days else None,
                    [
                        [story.id, story.title, [[t.id, t.title, t.owner, t.estimate] for t in story.tasks]]
                        for story in epic.stories
                    ],
                ]
                for epic in self.epics
            ],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Outline:
        return cls(
            OutlineProject(*data["project"]),
            [
                OutlineEpic(
                    epic_id,
                    title,
                    (days[0], days[1]) if days else None,
                    [
                        OutlineStory(story_id, story_title, [OutlineTask(*task) for task in tasks])
                        for story_id, story_title, tasks in stories
                    ],
                )
                for epic_id, title, days, stories in data["epics"]
            ],
        )
