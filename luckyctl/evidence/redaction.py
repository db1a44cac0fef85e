"""Redaction: secrets are removed before anything is stored or printed.

Two passes over a text, each a single compiled regex. The first removes every
known secret value in each form it takes on the wire: as is, base64 (standard
and urlsafe, padded or not, at any offset inside a longer base64 string),
percent-encoded and JSON-escaped. Its alternatives are merged into a trie so
the cost per character does not grow with the number of secrets. The second
pass removes credentials luckyctl never knew by their shape: Google API keys,
private key blocks, JWTs, bearer tokens, ``Authorization`` headers, URL
passwords and ``password=…``-style pairs. Known values go first so that a
pattern can never cut a secret in half and leave its tail behind.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

SHORT_SECRET = 4  # below this a secret also matches ordinary text: redacted, but with a warning
MIN_BASE64_FRAGMENT = 4  # shorter base64 fragments would match random base64 data
LABEL_PREFIX = "[REDACTED:"
ELLIPSIS = "…"  # what one-line messages end a shortened value with
_ELLIPSIS_BYTES = ELLIPSIS.encode()

# The characters a percent-encoder may leave as they are: none, a path's "/",
# JavaScript's encodeURIComponent and encodeURI.
_PERCENT_SAFE_SETS = ("", "/", "-_.!~*'()", ";,/?:@&=+$-_.!~*'()#")
_URLSAFE = str.maketrans("+/", "-_")

_SENSITIVE_WORD = r"password|passwd|passphrase|secret|token|api[_-]?key|apikey|private[_-]?key"
# A key that ends in a sensitive word: DB_PASSWORD, access_token, x-api-key (not token_uri, max_tokens).
_SENSITIVE_KEY = re.compile(rf"[A-Za-z0-9_.-]*?(?i:{_SENSITIVE_WORD})")
_AUTHORIZATION_KEY = re.compile(r"(?i:(?:proxy-)?authorization)")
_AUTH_SCHEME = re.compile(r"(?i:(bearer|basic|token|digest|negotiate)\s+)")
_NOT_A_LABEL = r"(?![\"']?\[REDACTED:)"


def _cased(*words: str) -> str:
    """``password``, ``Password`` and ``PASSWORD`` (each part of a compound on its own).

    Spelled out rather than ``(?i:…)``: a case-insensitive keyword at the start
    of an alternative makes the regex engine try it at every position.
    """
    forms = [""]
    for word in words:
        if word in ("", "_", "-"):
            forms = [form + word for form in forms]
        else:
            forms = [form + cased for form in forms for cased in (word, word.capitalize(), word.upper())]
    return "|".join(forms)


def _cased_keywords() -> str:
    compounds = [_cased(word) for word in ("password", "passwd", "passphrase", "secret", "token", "apikey")]
    compounds += [_cased(first, separator, "key") for first in ("api", "private") for separator in ("", "_", "-")]
    return _trie_pattern("|".join(compounds).split("|"))


class ShortSecretWarning(UserWarning):
    """A secret is so short that redacting it also removes ordinary text."""


def label(what: str) -> str:
    """The text that stands where something was removed: ``[REDACTED:jwt]``."""
    return f"{LABEL_PREFIX}{what}]"


def _key_category(key: str) -> str:
    folded = key.lower().replace("_", "-")
    for word, category in (
        ("private-key", "private-key"),
        ("privatekey", "private-key"),
        ("api-key", "api-key"),
        ("apikey", "api-key"),
        ("token", "token"),
        ("secret", "secret"),
    ):
        if folded.endswith(word):
            return category
    return "password"


def _base64_forms(value: bytes) -> set[str]:
    """The base64 text of ``value`` wherever it sits in a longer base64 string.

    For each of the three alignments, keep only the characters made entirely
    of the value's own bits: the first and last may mix in neighbouring bytes.
    """
    forms = {base64.b64encode(value).decode(), base64.b64encode(value).decode().rstrip("=")}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + value).decode()
        fragment = encoded[(8 * offset + 5) // 6 : (8 * (offset + len(value))) // 6]
        if len(fragment) >= MIN_BASE64_FRAGMENT:
            forms.add(fragment)
    return forms | {form.translate(_URLSAFE) for form in forms}


def _percent_forms(value: str) -> set[str]:
    forms: set[str] = set()
    for safe in _PERCENT_SAFE_SETS:
        for encode in (quote, quote_plus):
            encoded = encode(value, safe=safe)
            forms.add(encoded)
            forms.add(re.sub(r"%[0-9A-F]{2}", lambda match: match.group().lower(), encoded))
    return forms


def _json_forms(value: str) -> set[str]:
    escaped = {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    return escaped | {form.replace("/", "\\/") for form in escaped}


def secret_forms(value: str) -> set[str]:
    """Every text form of a secret that redaction removes."""
    return {value} | _base64_forms(value.encode("utf-8")) | _percent_forms(value) | _json_forms(value)


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of ``words``, longest first, sharing prefixes."""
    end = ""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[end] = {}

    def render(node: dict[str, Any]) -> str:
        parts = []
        for char in sorted(key for key in node if key != end):
            run, child = [char], node[char]
            while len(child) == 1 and end not in child:  # a chain without branches is one literal
                ((next_char, child),) = child.items()
                run.append(next_char)
            parts.append(re.escape("".join(run)) + render(child))
        if not parts:
            return ""
        body = parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"
        return f"(?:{body})?" if end in node else body

    return render(root)


# Credentials found by their shape. In each, group ``<name>_keep`` is written
# back as it was and ``<name>_value`` is replaced; the others are replaced whole.
# Each starts with a literal, not a character class or a case-insensitive word,
# so the search skips quickly over ordinary text. An unquoted value takes a
# backslash only with the character after it, so redacting JSON text never
# leaves half an escape behind.
_PATTERN_SOURCES: tuple[tuple[str, str], ...] = (
    ("private_key", r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)"),
    (
        "authorization",
        (
            rf"(?P<authorization_keep>(?:{_cased('authorization')})[\"']?\s*[:=]\s*[\"']?"
            r"(?:(?i:bearer|basic|token|digest|negotiate)\s+)?+)"  # possessive: a scheme is never taken for the value
            rf"{_NOT_A_LABEL}(?P<authorization_value>(?:[^\s\"',;}}\\]|\\.)+)"
        ),
    ),
    (
        # password=…, "api_key": "…", DB_PASSWORD='…', token: … (a key's prefix stays outside the match)
        "pair",
        (
            rf"(?P<pair_keep>(?P<pair_key>{_cased_keywords()})[\"']?\s*[:=]\s*)"
            rf"{_NOT_A_LABEL}(?P<pair_value>\"(?:[^\"\\\n]|\\.)+\"|'[^'\n]+'|(?:[^\s\"'&;<>{{}}\[\]\\]|\\.)+)"
        ),
    ),
    ("url_password", r"(?P<url_password_keep>://[^/\s:@\"']*:)(?P<url_password_value>[^/\s@\"']+)(?=@)"),
    ("jwt", r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    ("google_api_key", r"AIza[0-9A-Za-z_-]{35}"),
    ("google_oauth_token", r"ya29\.[0-9A-Za-z_-]{20,}"),
    (
        "bearer",
        (
            rf"(?P<bearer_keep>(?:{_cased('bearer')})\s+)"
            r"(?P<bearer_value>(?=[A-Za-z0-9._~+/-]*[0-9_~+/-])[A-Za-z0-9._~+/-]{8,}=*)"
        ),
    ),
)


class _Pattern:
    def __init__(self, name: str, source: str) -> None:
        self.name = name
        self.text = re.compile(source)
        self.data = re.compile(source.encode("ascii"))


_PATTERNS = tuple(_Pattern(name, source) for name, source in _PATTERN_SOURCES)
# The search runs without capturing groups (they slow every position down);
# the rare match is then looked at again by the one pattern that made it.
_SEARCH_SOURCE = "|".join(re.sub(r"\(\?P<\w+>", "(?:", source) for _, source in _PATTERN_SOURCES)
_SEARCH_TEXT = re.compile(_SEARCH_SOURCE)
_SEARCH_BYTES = re.compile(_SEARCH_SOURCE.encode("ascii"))


class _Compiled:
    """The literal pass for text and for bytes, built from the forms of every secret."""

    def __init__(self, labels: Mapping[str, str]) -> None:
        # Bytes are matched through their latin-1 view: one character per byte.
        self.text_labels = dict(labels)
        self.byte_labels = {form.encode("utf-8"): text for form, text in labels.items()}
        self.text = re.compile(_trie_pattern(self.text_labels)) if labels else None
        byte_views = [form.decode("latin-1") for form in self.byte_labels]
        self.bytes = re.compile(_trie_pattern(byte_views).encode("latin-1")) if labels else None


class Redactor:
    """Removes secrets from text, bytes and nested data. Safe to share between threads.

    ``secrets`` maps names to values (the label then names the secret:
    ``[REDACTED:secret:admin_password]``) or is a plain iterable of values.
    """

    def __init__(self, secrets: Mapping[str, Any] | Iterable[Any] = ()) -> None:
        self._lock = threading.Lock()
        self._labels: dict[str, str] = {}
        self._compiled: _Compiled | None = _Compiled({})
        items = secrets.items() if isinstance(secrets, Mapping) else ((None, value) for value in secrets)
        for name, value in items:
            self.add(value, name)

    def add(self, value: Any, name: str | None = None) -> None:
        """Redact ``value`` from now on, e.g. a token a step has just received."""
        text = str(value) if value is not None else ""
        if not text:
            return
        if len(text) < SHORT_SECRET:
            what = f"secret '{name}'" if name else "a secret value"
            warnings.warn(
                f"{what} is shorter than {SHORT_SECRET} characters: it is redacted, "
                "and so is every matching piece of ordinary text",
                ShortSecretWarning,
                stacklevel=2,
            )
        replacement = label(f"secret:{name}" if name else "secret")
        with self._lock:
            for form in secret_forms(text):
                # A form shared by two secrets keeps its first name.
                self._labels.setdefault(form, replacement)
            self._compiled = None

    def _literals(self) -> _Compiled:
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = _Compiled(self._labels)
                compiled = self._compiled
        return compiled

    def redact(self, text: str) -> str:
        compiled = self._literals()
        if compiled.text is not None:
            labels = compiled.text_labels
            text = compiled.text.sub(lambda match: labels[match.group()], text)
            if ELLIPSIS in text:
                text = self._cut_secrets(text)
        return _SEARCH_TEXT.sub(_replace_pattern, text)

    def _cut_secrets(self, text: str) -> str:
        """A secret shortened for a one-line message (``abcd…``) leaves its head: remove that too."""
        pieces = text.split(ELLIPSIS)
        for index, piece in enumerate(pieces[:-1]):
            for form, replacement in self._labels.items():
                head = next(
                    (size for size in range(min(len(form) - 1, len(piece)), SHORT_SECRET - 1, -1)
                     if piece.endswith(form[:size])),
                    0,
                )
                if head:
                    pieces[index] = piece[:-head] + replacement
                    break
        return ELLIPSIS.join(pieces)

    def redact_bytes(self, data: bytes) -> bytes:
        compiled = self._literals()
        if compiled.bytes is not None:
            labels = compiled.byte_labels
            data = compiled.bytes.sub(lambda match: labels[match.group()].encode("utf-8"), data)
            if _ELLIPSIS_BYTES in data:
                data = self._cut_secrets(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
        return _SEARCH_BYTES.sub(_replace_pattern_bytes, data)

    def redact_obj(self, obj: Any) -> Any:
        """A redacted copy of nested dicts, lists and tuples; keys too.

        A string or number under a sensitive key (``password``, ``api_key``,
        ``Authorization`` …) is replaced whole, whatever it looks like.
        """
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, bytes | bytearray):
            return self.redact_bytes(bytes(obj))
        if isinstance(obj, Mapping):
            return {
                (self.redact(key) if isinstance(key, str) else key): self._redact_value(key, value)
                for key, value in obj.items()
            }
        if isinstance(obj, list):
            return [self.redact_obj(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self.redact_obj(item) for item in obj)
        return obj

    def _redact_value(self, key: Any, value: Any) -> Any:
        redacted = self.redact_obj(value)
        if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, str | int | float):
            return redacted
        if isinstance(redacted, str) and (not redacted or redacted.startswith(LABEL_PREFIX)):
            return redacted
        if _AUTHORIZATION_KEY.fullmatch(key):
            scheme = _AUTH_SCHEME.match(redacted) if isinstance(redacted, str) else None
            return (scheme.group() if scheme else "") + label("authorization")
        if _SENSITIVE_KEY.fullmatch(key):
            return label(_key_category(key))
        return redacted


_PARTIAL = {"authorization", "pair", "url_password", "bearer"}
_LABEL_WORD_PREFIX = LABEL_PREFIX[1:]  # "REDACTED:", in front of "secret" in our own labels


class _Found:
    """One pattern's match, text or bytes (seen as latin-1), so one replacement serves both."""

    def __init__(self, pattern: _Pattern, match: re.Match[str] | re.Match[bytes]) -> None:
        self.name = pattern.name
        self._match = match

    def group(self, name: str | int) -> str:
        value = self._match.group(name)
        return value.decode("latin-1") if isinstance(value, bytes) else value

    def _follows_label_prefix(self) -> bool:
        string, start = self._match.string, self._match.start()
        if isinstance(string, bytes):
            return string.endswith(_LABEL_WORD_PREFIX.encode("ascii"), 0, start)
        return string.endswith(_LABEL_WORD_PREFIX, 0, start)

    def replacement(self) -> str:
        name = self.name
        if name == "pair" and self._follows_label_prefix():
            return self.group(0)  # the word "secret" in our own [REDACTED:secret:admin_password]
        what = _key_category(self.group("pair_key")) if name == "pair" else name.replace("_", "-")
        if name not in _PARTIAL:
            return label(what)
        value = self.group(f"{name}_value")
        quote_char = value[0] if name == "pair" and value[0] in "'\"" else ""
        return self.group(f"{name}_keep") + quote_char + label(what) + quote_char


def _found(match: re.Match[str] | re.Match[bytes]) -> _Found:
    """Which pattern made a match of the search: the first that matches at its start."""
    string, start = match.string, match.start()
    for pattern in _PATTERNS:
        compiled = pattern.data if isinstance(string, bytes) else pattern.text
        found = compiled.match(string, start)  # type: ignore[arg-type]
        if found is not None:
            return _Found(pattern, found)
    raise AssertionError("the search matched what no pattern matches")


def _replace_pattern(match: re.Match[str]) -> str:
    return _found(match).replacement()


def _replace_pattern_bytes(match: re.Match[bytes]) -> bytes:
    return _found(match).replacement().encode("latin-1")
