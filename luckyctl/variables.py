"""``${…}`` substitution in step specs, never through a shell.

``${name}`` comes from the plan's ``vars``, ``${secret:name}`` from its
``secrets``, ``${env:NAME}`` from the environment and ``${saved:name}`` from
an earlier step's ``save`` in the same task. ``$${`` writes a literal ``${``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from luckyctl.errors import InputError

_REFERENCE = re.compile(r"\$(\$?)\{([^{}]*)\}")
NAMESPACES = ("var", "secret", "env", "saved")


@dataclass(frozen=True)
class Reference:
    namespace: str  # var | secret | env | saved
    name: str

    def __str__(self) -> str:
        return "${" + (self.name if self.namespace == "var" else f"{self.namespace}:{self.name}") + "}"


def _parse(inner: str) -> Reference:
    namespace, _, name = inner.rpartition(":")
    namespace = namespace or "var"
    if namespace not in NAMESPACES or not name:
        raise InputError(f"bad variable '${{{inner}}}': use ${{name}}, ${{secret:name}}, ${{env:NAME}} or ${{saved:name}}")
    return Reference(namespace, name)


def references(value: Any) -> Iterator[Reference]:
    """Every reference in a string, or in the strings of nested lists and dicts."""
    for text in _strings(value):
        for match in _REFERENCE.finditer(text):
            if not match.group(1):
                yield _parse(match.group(2))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def substitute(value: Any, lookup: Callable[[Reference], str | None]) -> Any:
    """A copy of ``value`` with each reference replaced; ``lookup`` returning None keeps it as written."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return "${" + match.group(2) + "}"
            found = lookup(_parse(match.group(2)))
            return match.group(0) if found is None else found

        return _REFERENCE.sub(replace, value)
    if isinstance(value, Mapping):
        return {substitute(key, lookup): substitute(item, lookup) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [substitute(item, lookup) for item in value]
    return value


class Resolver:
    """Resolves references against a plan's values; unknown names are input errors."""

    def __init__(
        self,
        variables: Mapping[str, Any],
        secrets: Callable[[str], str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.variables = variables
        self._secret = secrets
        self.environ = os.environ if environ is None else environ
        self.saved: dict[str, Any] = {}

    def _lookup(self, reference: Reference, *, with_secrets: bool) -> str | None:
        name = reference.name
        if reference.namespace == "var":
            if name not in self.variables:
                raise InputError(f"unknown variable {reference}: the plan's vars do not define it")
            return str(self.variables[name])
        if reference.namespace == "env":
            if name not in self.environ:
                raise InputError(f"{reference} is not set in the environment")
            return self.environ[name]
        if reference.namespace == "saved":
            if name not in self.saved:
                raise InputError(f"{reference} was not saved by an earlier step of this task")
            return str(self.saved[name])
        if not with_secrets or self._secret is None:
            return None
        return self._secret(name)

    def resolve(self, value: Any, *, with_secrets: bool = True) -> Any:
        """Substitute every reference; ``with_secrets=False`` leaves ``${secret:…}`` as written."""
        return substitute(value, lambda reference: self._lookup(reference, with_secrets=with_secrets))

    def __call__(self, value: Any) -> Any:
        return self.resolve(value)


def unresolvable(value: Any, *, variables: Mapping[str, Any], secrets: Mapping[str, Any], saved: set[str]) -> list[str]:
    """References that can never resolve under this plan (environment variables are checked at run time)."""
    problems = []
    for reference in references(value):
        if reference.namespace == "var" and reference.name not in variables:
            problems.append(f"{reference} is not in the plan's vars")
        elif reference.namespace == "secret" and reference.name not in secrets:
            problems.append(f"{reference} is not in the plan's secrets")
        elif reference.namespace == "saved" and reference.name not in saved:
            problems.append(f"{reference} is not saved by an earlier step of this task")
    return problems
