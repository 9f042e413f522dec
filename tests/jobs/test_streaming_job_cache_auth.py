"""ElastiCache IAM token: fixed credentials and time, checked against an independent SigV4."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from unittest import mock
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials
from streaming_job.cache_auth import iam_auth_token

# The example key pair from the AWS SigV4 documentation, plus a session token with
# characters that must be percent-encoded.
CREDENTIALS = ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "FQoG/session+token=")
SIGNED_AT = dt.datetime(2026, 11, 26, 10, 15, 30, tzinfo=dt.UTC)


def token(**overrides: object) -> str:
    arguments: dict[str, object] = {
        "cache_name": "Platform-Cache",
        "user_id": "stream-writer",
        "region": "eu-west-1",
        "credentials": CREDENTIALS,
        "signed_at": SIGNED_AT,
    }
    arguments.update(overrides)
    return iam_auth_token(**arguments)  # type: ignore[arg-type]


def reference_signature(host: str, params: dict[str, str], region: str, secret: str, amz_date: str) -> str:
    """SigV4 query signing written from the AWS spec, independently of botocore."""

    def encode(text: str) -> str:
        return quote(text, safe="-_.~")

    def sign(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    canonical_query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))
    canonical_request = "\n".join(
        ["GET", "/", canonical_query, f"host:{host}\n", "host", hashlib.sha256(b"").hexdigest()]
    )
    scope = f"{amz_date[:8]}/{region}/elasticache/aws4_request"
    string_to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = sign(f"AWS4{secret}".encode(), amz_date[:8])
    for part in (region, "elasticache", "aws4_request"):
        key = sign(key, part)
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def test_token_is_a_presigned_connect_request_without_scheme() -> None:
    value = token()
    assert not value.startswith(("http://", "https://"))
    parts = urlsplit(f"http://{value}")
    assert (parts.netloc, parts.path) == ("platform-cache", "/")
    params = dict(parse_qsl(parts.query))
    assert params == {
        "Action": "connect",
        "User": "stream-writer",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": "AKIDEXAMPLE/20261126/eu-west-1/elasticache/aws4_request",
        "X-Amz-Date": "20261126T101530Z",
        "X-Amz-Expires": "900",
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Security-Token": "FQoG/session+token=",
        "X-Amz-Signature": params["X-Amz-Signature"],
    }
    unsigned = {k: v for k, v in params.items() if k != "X-Amz-Signature"}
    assert params["X-Amz-Signature"] == reference_signature(
        "platform-cache", unsigned, "eu-west-1", CREDENTIALS.secret_key, "20261126T101530Z"
    )


def test_serverless_caches_sign_the_resource_type() -> None:
    params = dict(parse_qsl(urlsplit(f"http://{token(serverless=True)}").query))
    assert params["ResourceType"] == "ServerlessCache"
    unsigned = {k: v for k, v in params.items() if k != "X-Amz-Signature"}
    assert params["X-Amz-Signature"] == reference_signature(
        "platform-cache", unsigned, "eu-west-1", CREDENTIALS.secret_key, "20261126T101530Z"
    )


def test_same_as_botocores_own_presigner_at_that_time() -> None:
    """The injected clock changes nothing else in botocore's signing."""
    request = AWSRequest(
        method="GET", url="http://platform-cache/", params={"Action": "connect", "User": "stream-writer"}
    )
    naive_utc = SIGNED_AT.replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=naive_utc):
        SigV4QueryAuth(CREDENTIALS, "elasticache", "eu-west-1", expires=900).add_auth(request)
    assert token() == request.url.removeprefix("http://")


def test_time_zone_of_the_signing_time_does_not_matter() -> None:
    in_paris = SIGNED_AT.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert token(signed_at=in_paris) == token()
    assert token(signed_at=SIGNED_AT + dt.timedelta(seconds=1)) != token()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"signed_at": SIGNED_AT.replace(tzinfo=None)}, "timezone-aware"),
        ({"expires_in": 901}, "expires_in must be 1..900"),
        ({"user_id": ""}, "required"),
    ],
)
def test_invalid_requests(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        token(**overrides)
