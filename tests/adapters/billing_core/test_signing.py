"""The request signature: pinned vectors (checked with openssl) and tampering."""

from __future__ import annotations

import pytest

from adapters.billing_core.signing import (
    API_KEY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    body_digest,
    sign,
    signed_headers,
    string_to_sign,
    timestamp_skew,
    verify,
)

_BODY = b'{"request_id":"T1-O1-0","kind":"recharge","card_no":"8371000012345678","amount_fen":15000}'
_TS = "1795485600"  # 2026-11-24 10:00:00 CST


@pytest.mark.parametrize(
    ("secret", "method", "path", "body", "expected"),
    [
        (
            "sandbox-secret",
            "GET",
            "/v1/products",
            b"",
            "494e271fa69bffd702680f8ad3e2a1f30722024f2bcd29fb1f2a5db8fb4412cb",
        ),
        (
            "sandbox-secret",
            "POST",
            "/v1/operations",
            _BODY,
            "e16943210dda04b383dd000b9008886f5bb6d867ffbd40019f22946caa619973",
        ),
        (
            "k3y",
            "get",  # the method is upper-cased before signing
            "/v1/subscribers/8371000012345678?x=1&y=%E4%B8%AD",
            b"",
            "0ec1bcc5f53d0a3c6728b269565b04cfc5709d9f72d0887ee9868a046ada7303",
        ),
    ],
)
def test_pinned_vectors(secret: str, method: str, path: str, body: bytes, expected: str) -> None:
    """Known inputs give known signatures (independently recomputed with openssl)."""
    timestamp = _TS if secret == "sandbox-secret" else "1700000000"
    assert sign(secret, method, path, timestamp, body) == expected


def test_empty_body_digest_is_sha256_of_nothing() -> None:
    assert body_digest(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_string_to_sign_layout() -> None:
    """METHOD, path and query, timestamp, body digest, one per line, no trailing newline."""
    text = string_to_sign("post", "/v1/operations?a=1", _TS, b"")
    assert text.split("\n") == ["POST", "/v1/operations?a=1", _TS, body_digest(b"")]


def test_signed_headers_carry_key_whole_seconds_and_signature() -> None:
    headers = signed_headers("sandbox-key", "sandbox-secret", "POST", "/v1/operations", _BODY, 1795485600.9)
    assert headers[API_KEY_HEADER] == "sandbox-key"
    assert headers[TIMESTAMP_HEADER] == _TS
    assert headers[SIGNATURE_HEADER] == "e16943210dda04b383dd000b9008886f5bb6d867ffbd40019f22946caa619973"


_GOOD = sign("sandbox-secret", "POST", "/v1/operations", _TS, _BODY)


@pytest.mark.parametrize(
    ("secret", "method", "path", "timestamp", "body", "signature"),
    [
        ("sandbox-secret", "POST", "/v1/operations", _TS, _BODY.replace(b"15000", b"95000"), _GOOD),
        ("sandbox-secret", "POST", "/v1/operations?x=1", _TS, _BODY, _GOOD),
        ("sandbox-secret", "PUT", "/v1/operations", _TS, _BODY, _GOOD),
        ("sandbox-secret", "POST", "/v1/operations", "1795485601", _BODY, _GOOD),
        ("other-secret", "POST", "/v1/operations", _TS, _BODY, _GOOD),
        ("sandbox-secret", "POST", "/v1/operations", _TS, _BODY, _GOOD.upper()),
        ("sandbox-secret", "POST", "/v1/operations", _TS, _BODY, _GOOD[:-1]),
        ("sandbox-secret", "POST", "/v1/operations", _TS, _BODY, ""),
    ],
    ids=["body", "query", "method", "timestamp", "secret", "uppercase", "truncated", "empty"],
)
def test_tampering_is_detected(
    secret: str, method: str, path: str, timestamp: str, body: bytes, signature: str
) -> None:
    """Changing any signed part, or the signature itself, fails verification."""
    assert not verify(secret, method, path, timestamp, body, signature)


def test_untampered_request_verifies() -> None:
    assert verify("sandbox-secret", "POST", "/v1/operations", _TS, _BODY, _GOOD)


@pytest.mark.parametrize(
    ("header", "now", "skew"),
    [(_TS, 1795485600.0, 0.0), (_TS, 1795485900.0, 300.0), (_TS, 1795485299.5, 300.5), ("-5", 0.0, None),
     ("1.5", 0.0, None), ("", 0.0, None), ("١٢", 0.0, None)],
)  # fmt: skip  # one case per line reads as a table
def test_timestamp_skew(header: str, now: float, skew: float | None) -> None:
    """Whole ASCII seconds only; the skew is absolute."""
    assert timestamp_skew(header, now) == skew
