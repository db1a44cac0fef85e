"""Redaction: known secrets in every wire form, and credentials found by their shape."""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from luckyctl.evidence import Redactor, ShortSecretWarning
from luckyctl.evidence.redaction import secret_forms

# Random text, without lone surrogates (they cannot be written anywhere anyway).
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
SECRETS = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=8, max_size=40)
# Every label redaction may write; a secret that is part of one would "survive" in it.
LABELS = (
    "[REDACTED:secret][REDACTED:secret:pw][REDACTED:password][REDACTED:token][REDACTED:api-key]"
    "[REDACTED:private-key][REDACTED:jwt][REDACTED:google-api-key][REDACTED:google-oauth-token]"
    "[REDACTED:authorization][REDACTED:bearer][REDACTED:url-password]"
)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FAKE_GOOGLE_KEY = "AIzaSyD-FAKEfakeFAKEfake_0123456789abcd"
FAKE_JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhZG1pbiIsInJvbGUiOiJhZG1pbiIsImV4cCI6MTcwMDAwMDAwMH0."
    "c2lnbmF0dXJlLW5vdC1yZWFsLWJ1dC1zaGFwZWQtbGlrZS1vbmU"
)
FAKE_PEM = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7fakefakefake\n"
    "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVkcGx1Z2g=\n"
    "-----END PRIVATE KEY-----\n"
)


def not_in_any_label(secret: str) -> bool:
    return secret not in LABELS


def base64_decodings(text: str) -> list[bytes]:
    """Every way a reader could decode base64 out of ``text``: each run, each alignment, both alphabets."""
    decodings = []
    for run in re.findall(r"[A-Za-z0-9+/_-]{2,}", text):
        run = run.translate(str.maketrans("-_", "+/"))
        for start in range(4):
            piece = run[start:]
            piece = piece[:-1] if len(piece) % 4 == 1 else piece
            decodings.append(base64.b64decode(piece + "=" * (-len(piece) % 4)))
    return decodings


# ---------------------------------------------------------------- properties


@PROPERTY
@given(secret=SECRETS, before=TEXT, after=TEXT)
@example(secret="s3cr3t/pass+word", before="login with ", after=" ok")
def test_a_secret_in_text_never_survives(secret: str, before: str, after: str) -> None:
    assume(not_in_any_label(secret))
    redacted = Redactor({"pw": secret}).redact(before + secret + after)
    assert secret not in redacted


@PROPERTY
@given(
    secret=SECRETS,
    before=st.binary(max_size=40),
    after=st.binary(max_size=40),
    urlsafe=st.booleans(),
    pad=st.booleans(),
)
@example(secret="hunter2-hunter2", before=b"admin:", after=b"", urlsafe=False, pad=True)  # HTTP basic auth
def test_a_secret_in_base64_at_any_offset_never_survives(
    secret: str, before: bytes, after: bytes, urlsafe: bool, pad: bool
) -> None:
    assume(not_in_any_label(secret))
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    encoded = encode(before + secret.encode() + after).decode()
    encoded = encoded if pad else encoded.rstrip("=")
    redacted = Redactor({"pw": secret}).redact(f'Authorization: Basic {encoded}\n{{"blob": "{encoded}"}}')
    assert encoded not in redacted
    assert all(secret.encode() not in piece for piece in base64_decodings(redacted))


@PROPERTY
@given(secret=SECRETS, before=TEXT, after=TEXT, safe=st.sampled_from(["", "/", "-_.!~*'()"]), plus=st.booleans())
def test_a_percent_encoded_secret_never_survives(secret: str, before: str, after: str, safe: str, plus: bool) -> None:
    assume(not_in_any_label(secret))
    encoded = (quote_plus if plus else quote)(secret, safe=safe)
    redacted = Redactor({"pw": secret}).redact(f"{before}https://api.test/x?q={encoded}&n=1{after}")
    assert encoded not in redacted
    assert secret not in (unquote_plus if plus else unquote)(redacted)


@PROPERTY
@given(secret=SECRETS, before=TEXT, after=TEXT, ascii_only=st.booleans())
def test_a_json_escaped_secret_never_survives(secret: str, before: str, after: str, ascii_only: bool) -> None:
    assume(not_in_any_label(secret))
    document = json.dumps({"body": before + secret + after}, ensure_ascii=ascii_only)
    redacted = Redactor({"pw": secret}).redact(document)
    assert secret not in redacted
    try:
        body = json.loads(redacted)["body"]
    except ValueError:
        return  # a secret made of the tail of an escape (\u0000 then "0000…") cost the JSON its validity, not a leak
    assert secret not in body


@PROPERTY
@given(secret=SECRETS, text=TEXT)
def test_text_without_the_secret_is_changed_only_by_the_patterns(secret: str, text: str) -> None:
    assume(not any(form in text for form in secret_forms(secret)))
    assert Redactor({"pw": secret}).redact(text) == Redactor().redact(text)


@PROPERTY
@given(text=st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,;!?\n", max_size=200))
def test_text_without_secrets_or_credentials_is_unchanged(text: str) -> None:
    assert Redactor().redact(text) == text
    assert Redactor().redact_bytes(text.encode()) == text.encode()


# ---------------------------------------------------------------- patterns


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"GET /maps?key={FAKE_GOOGLE_KEY}&mode=x", "GET /maps?key=[REDACTED:google-api-key]&mode=x"),
        (f"token {FAKE_JWT} issued", "token [REDACTED:jwt] issued"),
        (f"before\n{FAKE_PEM}after", "before\n[REDACTED:private-key]\nafter"),
        ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIfake (cut off", "[REDACTED:private-key]"),
        ("password=hunter2&user=bob", "password=[REDACTED:password]&user=bob"),
        ('{"password": "hunter2", "user": "bob"}', '{"password": "[REDACTED:password]", "user": "bob"}'),
        ("{'client_secret': 'abc'}", "{'client_secret': '[REDACTED:secret]'}"),
        ("db:\n  password: hunter2\n  user: bob\n", "db:\n  password: [REDACTED:password]\n  user: bob\n"),
        ("DB_PASSWORD='hunter 2'\nAPI_KEY=abc123\n", "DB_PASSWORD='[REDACTED:password]'\nAPI_KEY=[REDACTED:api-key]\n"),
        ("?access_token=abc&token_type=bearer", "?access_token=[REDACTED:token]&token_type=bearer"),
        ('{"accessToken":"abc","apiKey":"k"}', '{"accessToken":"[REDACTED:token]","apiKey":"[REDACTED:api-key]"}'),
        ("X-Api-Key: zzz", "X-Api-Key: [REDACTED:api-key]"),
        ("Authorization: Bearer abc.def-123", "Authorization: Bearer [REDACTED:authorization]"),
        ('"authorization": "Basic dXNlcjpwdw=="', '"authorization": "Basic [REDACTED:authorization]"'),
        ("curl -H 'Bearer tok_12345678'", "curl -H 'Bearer [REDACTED:bearer]'"),
        ("postgresql://lucky:pw0rd@127.0.0.1/db", "postgresql://lucky:[REDACTED:url-password]@127.0.0.1/db"),
        ("ya29.a0AfH6SMBfakefakefakefake01", "[REDACTED:google-oauth-token]"),
    ],
)
def test_credentials_are_found_by_their_shape(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected
    assert Redactor().redact_bytes(text.encode()) == expected.encode()
    assert Redactor().redact(expected) == expected  # redacting twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "send a Bearer token in the header",
        "max_tokens: 3, token_count=5, token_uri: https://oauth2.test/token",
        "the secret of success",
        "http://127.0.0.1:8080/path@v2",
        "[REDACTED:secret:admin_password] and [REDACTED:api-key]",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


# ---------------------------------------------------------------- known secrets


def test_labels_name_the_secret_and_every_form_goes() -> None:
    redactor = Redactor({"admin_password": "s3cr3t/pass+word", "maps_api_key": FAKE_GOOGLE_KEY})
    text = (
        "pw s3cr3t/pass+word; "
        f"basic {base64.b64encode(b'admin:s3cr3t/pass+word').decode()}; "
        f"url {quote('s3cr3t/pass+word', safe='')}; "
        f"key {FAKE_GOOGLE_KEY}"
    )
    assert redactor.redact(text) == (
        "pw [REDACTED:secret:admin_password]; basic YWRtaW46[REDACTED:secret:admin_password]; "
        "url [REDACTED:secret:admin_password]; key [REDACTED:secret:maps_api_key]"
    )


def test_an_unnamed_secret_and_one_learnt_later() -> None:
    redactor = Redactor(["first-secret-value"])
    assert redactor.redact("a first-secret-value b later-token-value") == "a [REDACTED:secret] b later-token-value"
    redactor.add("later-token-value", "session")
    assert redactor.redact("b later-token-value") == "b [REDACTED:secret:session]"
    redactor.add("")  # nothing to redact: ignored
    redactor.add(None)
    assert redactor.redact("unchanged") == "unchanged"


def test_the_longest_secret_wins_where_two_overlap() -> None:
    redactor = Redactor({"short": "abcd1234", "long": "abcd1234efgh5678"})
    assert redactor.redact("x abcd1234efgh5678 y abcd1234") == "x [REDACTED:secret:long] y [REDACTED:secret:short]"


def test_a_short_secret_is_redacted_with_a_warning() -> None:
    with pytest.warns(ShortSecretWarning, match="secret 'pin' is shorter than 4"):
        redactor = Redactor({"pin": "42x"})
    assert redactor.redact("pin 42x") == "pin [REDACTED:secret:pin]"


def test_bytes_that_are_not_utf8_are_redacted_around() -> None:
    redactor = Redactor({"pw": "hunter2-hunter2"})
    data = b"\xff\xfe\x00 hunter2-hunter2 \x80 password=abc"
    assert redactor.redact_bytes(data) == b"\xff\xfe\x00 [REDACTED:secret:pw] \x80 password=[REDACTED:password]"


def test_nested_data_keys_and_values() -> None:
    redactor = Redactor({"pw": "hunter2-hunter2"})
    data = {
        "hunter2-hunter2": ["hunter2-hunter2", 3, None, True],
        "password": "looks harmless",
        "api_key": 12345,
        "token": "",
        "headers": {"Authorization": "Bearer anything", "Accept": "json"},
        "pair": ("hunter2-hunter2", b"hunter2-hunter2"),
        "enabled_token": True,
        7: "seven",
    }
    assert redactor.redact_obj(data) == {
        "[REDACTED:secret:pw]": ["[REDACTED:secret:pw]", 3, None, True],
        "password": "[REDACTED:password]",
        "api_key": "[REDACTED:api-key]",
        "token": "",
        "headers": {"Authorization": "Bearer [REDACTED:authorization]", "Accept": "json"},
        "pair": ("[REDACTED:secret:pw]", b"[REDACTED:secret:pw]"),
        "enabled_token": True,
        7: "seven",
    }


def test_many_secrets_over_a_megabyte_stay_fast() -> None:
    redactor = Redactor({f"s{number}": f"secret-value-{number}-xyzzy" for number in range(50)})
    text = "lorem ipsum dolor sit amet 1234567890 Some Text password " * 20_000 + "secret-value-7-xyzzy"
    started = time.perf_counter()
    redacted = redactor.redact(text)
    assert time.perf_counter() - started < 2.0  # about 0.05 s; generous for slow CI machines
    assert redacted.endswith("[REDACTED:secret:s7]")


def test_a_secret_shortened_for_a_one_line_message_leaves_no_head() -> None:
    from luckyctl.steps.expect import shorten

    secret = "s3cr3t-value-that-is-long-enough"
    redactor = Redactor({"db_password": secret})
    message = shorten(f"psql --password={secret}", 30)
    assert message.endswith("…") and secret[:10] in message
    redacted = redactor.redact(message)
    assert secret[:6] not in redacted
    assert redacted.endswith("[REDACTED:secret:db_password]…")
    # An ellipsis after ordinary text changes nothing.
    assert redactor.redact("waiting…") == "waiting…"
