"""The roadmap and the plan as typed data (pydantic v2), and the status enums.

Every mapping forbids unknown keys so a typo is an error, not a silent no-op.
The loader (``luckyctl.loader``) turns YAML into these and adds file:line to
any error; nothing here does I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, model_validator

from luckyctl import durations

# The enums and the id rule live in modules without pydantic, so that read-only commands
# can use them without building the models; imported here under their usual names.
from luckyctl.enums import Level, Phase, StepKind, StepStatus, Strategy, TaskState  # noqa: F401
from luckyctl.ids import ID_PATTERN, is_valid_id  # noqa: F401
from luckyctl.outline import TaskTree

Id = Annotated[str, Field(pattern=ID_PATTERN, min_length=1, max_length=200)]
WorkHours = Annotated[float, BeforeValidator(durations.work_hours), Field(ge=0)]
Seconds = Annotated[float, BeforeValidator(durations.wall_seconds), Field(gt=0)]


class Strict(BaseModel):
    """Base of every roadmap and plan mapping: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=False, populate_by_name=True)


class Located(BaseModel):
    """Remembers where things were written, for messages; the loader fills it.

    Keys are ids (``FE-INT.1.2``) or dotted key paths (``team.backend``).
    """

    _locations: dict[str, tuple[str, int]] = PrivateAttr(default_factory=dict)

    def location(self, key: str) -> tuple[str, int] | None:
        return self._locations.get(key)

    def set_locations(self, locations: dict[str, tuple[str, int]]) -> None:
        self._locations = dict(locations)


# ---------------------------------------------------------------- steps


class RunExpect(Strict):
    exit_code: int = 0
    stdout_contains: str | None = None
    stdout_matches: str | None = None


class RunSpec(Strict):
    """A process started without a shell: ``argv``, or ``cmd`` split like a shell would."""

    argv: list[str] | None = None
    cmd: str | None = None
    cwd: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    expect: RunExpect = Field(default_factory=RunExpect)

    @model_validator(mode="after")
    def _one_command(self) -> RunSpec:
        if (self.argv is None) == (self.cmd is None):
            raise ValueError("a run step takes exactly one of 'argv' or 'cmd'")
        if self.argv is not None and not self.argv:
            raise ValueError("'argv' must name a program")
        return self


class HttpExpect(Strict):
    status: int | list[int] | None = None
    json_: dict[str, Any] = Field(default={}, alias="json")
    headers: dict[str, str] = Field(default_factory=dict)
    body_contains: str | None = None
    max_latency_ms: float | None = None


class HttpSpec(Strict):
    method: str = "GET"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    json_: Any = Field(default=None, alias="json")
    data: str | dict[str, str] | None = None
    follow_redirects: bool = False
    expect: HttpExpect = Field(default_factory=HttpExpect)


class ProbeExpect(Strict):
    """Upper bounds; ``error_rate`` is in percent (0.1 means 0.1 %)."""

    p95_ms: float | None = None
    p99_ms: float | None = None
    error_rate: float | None = Field(default=None, ge=0, le=100)


class ProbeSpec(Strict):
    """Load a URL with concurrent requests; records latency percentiles and error rate."""

    url: str
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    requests: int = Field(default=100, ge=1, le=100_000)
    concurrency: int = Field(default=10, ge=1, le=512)
    expect: ProbeExpect = Field(default_factory=ProbeExpect)


class TrafficTarget(Strict):
    revision: str | None = None  # None means the latest ready revision
    percent: int = Field(ge=0, le=100)


class CloudRunSpec(Strict):
    action: Literal["describe", "deploy", "traffic"]
    service: str
    region: str | None = None  # defaults to the plan's var `region`
    image: str | None = None
    env: dict[str, str] = Field(default_factory=dict)
    min_instances: int | None = None
    max_instances: int | None = None
    traffic: list[TrafficTarget] = Field(default_factory=list)
    expect: dict[str, Any] = Field(default_factory=dict)


class ApiExpect(Strict):
    status: int | list[int] | None = None
    json_: dict[str, Any] = Field(default={}, alias="json")


class GcpSpec(Strict):
    """Any Google REST API call: base URL per ``api`` from the plan."""

    api: str
    method: str = "GET"
    path: str
    params: dict[str, str] = Field(default_factory=dict)
    json_: Any = Field(default=None, alias="json")
    expect: ApiExpect = Field(default_factory=ApiExpect)


class SqlExpect(Strict):
    row_count: int | None = None
    rows: list[list[Any]] | None = None
    scalar: Any = None


class SqlSpec(Strict):
    instance: str | None = None  # project:region:instance, through the Cloud SQL connector
    dsn: str | None = None
    database: str | None = None
    user: str | None = None
    password: str | None = None
    iam_auth: bool = False
    query: str
    expect: SqlExpect = Field(default_factory=SqlExpect)

    @model_validator(mode="after")
    def _one_target(self) -> SqlSpec:
        if (self.instance is None) == (self.dsn is None):
            raise ValueError("a sql step takes exactly one of 'instance' or 'dsn'")
        return self


class FileExpect(Strict):
    exists: bool = True
    contains: str | None = None
    matches: str | None = None
    json_: dict[str, Any] = Field(default={}, alias="json")


class FileSpec(Strict):
    path: str
    expect: FileExpect = Field(default_factory=FileExpect)


class ManualSpec(Strict):
    instruction: str
    attachments_required: int = Field(default=0, ge=0)


_KIND_SPECS: dict[StepKind, type[Strict]] = {
    StepKind.RUN: RunSpec,
    StepKind.HTTP: HttpSpec,
    StepKind.PROBE: ProbeSpec,
    StepKind.CLOUD_RUN: CloudRunSpec,
    StepKind.GCP: GcpSpec,
    StepKind.SQL: SqlSpec,
    StepKind.FILE: FileSpec,
    StepKind.MANUAL: ManualSpec,
}


class Step(Strict):
    """One action or check: exactly one kind key plus the common keys."""

    name: str | None = None
    timeout: Seconds | None = None
    retries: int | None = Field(default=None, ge=0, le=20)
    save: dict[str, str] = Field(default_factory=dict)
    run: RunSpec | None = None
    http: HttpSpec | None = None
    probe: ProbeSpec | None = None
    cloud_run: CloudRunSpec | None = None
    gcp: GcpSpec | None = None
    sql: SqlSpec | None = None
    file: FileSpec | None = None
    manual: ManualSpec | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Step:
        kinds = [kind.value for kind in StepKind if getattr(self, kind.value) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) if kinds else "none"
            allowed = ", ".join(kind.value for kind in StepKind)
            raise ValueError(f"a step takes exactly one of {allowed} (found: {found})")
        return self

    @property
    def kind(self) -> StepKind:
        return next(kind for kind in StepKind if getattr(self, kind.value) is not None)

    @property
    def spec(self) -> Strict:
        return getattr(self, self.kind.value)

    @property
    def label(self) -> str:
        return self.name or self.kind.value


# ---------------------------------------------------------------- roadmap


class EvidencePolicy(Strict):
    max_age: Seconds = durations.wall_seconds("7d")


class Task(Strict):
    id: Id
    title: str = Field(min_length=1)
    owner: str
    estimate: WorkHours
    description: str | None = None
    depends_on: list[Id] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    checks: list[Step] = Field(default_factory=list)
    manual: str | None = None
    approval: bool = False
    retries: int = Field(default=0, ge=0, le=20)
    timeout: Seconds = 60.0
    evidence: EvidencePolicy = Field(default_factory=EvidencePolicy)

    @property
    def mutating(self) -> bool:
        """Steps change something; checks only read. A protected plan guards the former."""
        return bool(self.steps)


class Story(Strict):
    id: Id
    title: str = Field(min_length=1)
    description: str | None = None
    tasks: list[Task]


class Epic(Strict):
    id: Id
    title: str = Field(min_length=1)
    days: tuple[int, int] | None = None
    objective: str | None = None
    stories: list[Story]

    @model_validator(mode="after")
    def _days_in_order(self) -> Epic:
        if self.days is not None and not 1 <= self.days[0] <= self.days[1]:
            raise ValueError("'days' is [first, last] with 1 <= first <= last")
        return self


class Role(Strict):
    title: str


class Project(Strict):
    id: Id
    name: str
    start: dt.date
    calendar: Literal["business-days", "calendar-days"] = "business-days"
    holidays: list[dt.date] = Field(default_factory=list)
    roles: dict[str, Role]


class Risk(Strict):
    id: Id
    title: str
    impact: Level
    probability: Level
    strategy: str | None = None
    owner: str | None = None
    mitigated_by: list[Id] = Field(default_factory=list)

    @property
    def inherent_score(self) -> int:
        return self.impact.weight * self.probability.weight


class KpiTarget(Strict):
    op: Literal["<", "<=", ">", ">=", "==", "!="]
    value: float
    unit: str | None = None

    def holds(self, measured: float) -> bool:
        return {
            "<": measured < self.value,
            "<=": measured <= self.value,
            ">": measured > self.value,
            ">=": measured >= self.value,
            "==": measured == self.value,
            "!=": measured != self.value,
        }[self.op]

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}{(' ' + self.unit) if self.unit else ''}"


class KpiSource(Strict):
    task: Id
    metric: str


class Kpi(Strict):
    id: Id
    title: str
    target: KpiTarget
    key: bool = False
    weight: float = Field(default=1.0, ge=0)
    source: KpiSource | None = None


class ChecklistItem(Strict):
    id: Id
    phase: Phase
    title: str
    satisfied_by: list[Id] = Field(default_factory=list)
    kpis: list[Id] = Field(default_factory=list)
    manual: bool = False

    @model_validator(mode="after")
    def _has_a_source(self) -> ChecklistItem:
        if not (self.satisfied_by or self.kpis or self.manual):
            raise ValueError("a checklist item needs 'satisfied_by', 'kpis' or 'manual: true'")
        return self


class Roadmap(Strict, Located, TaskTree):
    """The whole roadmap, with indexes from id to task, story and epic."""

    project: Project
    risks: list[Risk] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
    checklist: list[ChecklistItem] = Field(default_factory=list)
    epics: list[Epic] = Field(default_factory=list)

    _tasks: dict[str, Task] = PrivateAttr(default_factory=dict)
    _story_of: dict[str, Story] = PrivateAttr(default_factory=dict)
    _epic_of: dict[str, Epic] = PrivateAttr(default_factory=dict)

    def model_post_init(self, __context: Any) -> None:
        for epic in self.epics:
            for story in epic.stories:
                self._epic_of[story.id] = epic
                for task in story.tasks:
                    self._tasks[task.id] = task
                    self._story_of[task.id] = story
                    self._epic_of[task.id] = epic

    @property
    def tasks(self) -> dict[str, Task]:
        """Every task by id, in roadmap order."""
        return self._tasks

    def story_of(self, task_id: str) -> Story:
        return self._story_of[task_id]

    def epic_of(self, task_or_story_id: str) -> Epic:
        return self._epic_of[task_or_story_id]


# ---------------------------------------------------------------- plan


class SecretSource(Strict):
    """Where a secret's value comes from; the value itself is never written in a plan."""

    env: str | None = None
    file: str | None = None
    gcp_secret: str | None = None
    default_for_sandbox: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SecretSource:
        sources = [name for name in ("env", "file", "gcp_secret") if getattr(self, name)]
        if len(sources) != 1:
            raise ValueError("a secret takes exactly one of 'env', 'file' or 'gcp_secret'")
        return self


_CREDENTIALS = re.compile(r"^(anonymous|adc|service-account-file:.+)$")


class GcpSettings(Strict):
    project: str | None = None
    credentials: str = "adc"
    endpoints: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_credentials(self) -> GcpSettings:
        if not _CREDENTIALS.match(self.credentials):
            raise ValueError("'credentials' is anonymous, adc or service-account-file:PATH")
        return self


class StrategySettings(Strict):
    default: Strategy = Strategy.SYSTEMATIC
    parallel: int = Field(default=4, ge=1, le=256)


class Plan(Strict, Located):
    name: Id
    description: str | None = None
    vars: dict[str, str | int | float | bool] = Field(default_factory=dict)
    secrets: dict[str, SecretSource] = Field(default_factory=dict)
    gcp: GcpSettings = Field(default_factory=GcpSettings)
    team: dict[str, list[str]] = Field(default_factory=dict)
    strategy: StrategySettings = Field(default_factory=StrategySettings)
    protected: bool = False
    # The local sandbox's own settings (ports, accounts); read and checked by luckyctl.sandbox.
    sandbox: dict[str, Any] = Field(default_factory=dict)
