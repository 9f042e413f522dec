"""ElastiCache (Valkey) IAM authentication token: a SigV4-presigned "connect" request.

The token is the password for an IAM-enabled ElastiCache user: the URL
``http://<cache-name>/?Action=connect&User=<user-id>[&ResourceType=ServerlessCache]``
presigned for the service "elasticache", without its scheme. Valid for at most 15 minutes,
only over TLS, and the user's id must equal its name (Amazon ElastiCache User Guide,
"Authenticating with IAM", docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html,
checked 2026-11-26).

``iam_auth_token`` is pure: credentials and signing time are arguments, so it is tested
with fixed values. Only ``current_credentials`` touches the environment (the EMR
instance profile through botocore's default chain).
"""

from __future__ import annotations

import datetime as dt

from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

SERVICE_NAME = "elasticache"
MAX_TOKEN_LIFETIME_SECONDS = 900  # 15 minutes, the documented maximum


class _SigV4QueryAuthAt(SigV4QueryAuth):
    """botocore's presigner with an injected signing time instead of the wall clock."""

    def __init__(self, credentials: ReadOnlyCredentials, region: str, expires: int, signed_at: dt.datetime) -> None:
        super().__init__(credentials, SERVICE_NAME, region, expires=expires)
        self._signed_at = signed_at

    def add_auth(self, request: AWSRequest) -> None:
        # Same steps as SigV4Auth.add_auth (botocore 1.40), minus get_current_datetime().
        request.context["timestamp"] = self._signed_at.strftime("%Y%m%dT%H%M%SZ")
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


def iam_auth_token(
    *,
    cache_name: str,
    user_id: str,
    region: str,
    credentials: ReadOnlyCredentials,
    signed_at: dt.datetime,
    serverless: bool = False,
    expires_in: int = MAX_TOKEN_LIFETIME_SECONDS,
) -> str:
    """The password to AUTH as ``user_id`` on ``cache_name`` (replication group id).

    ``signed_at`` must be timezone-aware; the token is valid from then for
    ``expires_in`` seconds (at most 900).
    """
    if signed_at.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    if not 0 < expires_in <= MAX_TOKEN_LIFETIME_SECONDS:
        raise ValueError(f"expires_in must be 1..{MAX_TOKEN_LIFETIME_SECONDS} seconds, got {expires_in}")
    if not cache_name or not user_id:
        raise ValueError("cache_name and user_id are required")
    params = {"Action": "connect", "User": user_id}
    if serverless:
        params["ResourceType"] = "ServerlessCache"
    # ElastiCache stores replication group ids in lower case; the signed host must match.
    request = AWSRequest(method="GET", url=f"http://{cache_name.lower()}/", params=params)
    signer = _SigV4QueryAuthAt(credentials, region, expires_in, signed_at.astimezone(dt.UTC))
    signer.add_auth(request)
    return str(request.url).removeprefix("http://")


def current_credentials(region: str | None = None) -> ReadOnlyCredentials:
    """Frozen credentials from botocore's default chain (instance profile on EMR)."""
    import botocore.session

    credentials = botocore.session.get_session().get_credentials()
    if credentials is None:
        raise RuntimeError(f"no AWS credentials found to sign the ElastiCache token (region {region})")
    return credentials.get_frozen_credentials()
