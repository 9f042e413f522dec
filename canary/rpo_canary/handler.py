"""The Lambda entry point: settings from the environment, real clients, one minute of ticks.

The function is deployed by infra/components/canary.py with these variables:
``CANARY_STACK``, ``CANARY_SOURCE_REGION`` (the writing region), ``CANARY_WRITES`` (``true`` in
the active region), ``CANARY_INTERVAL_SECONDS``, ``CANARY_WINDOW_SECONDS``, ``KAFKA_BOOTSTRAP``
and ``KAFKA_TOPIC``, ``CACHE_ENDPOINT``, ``CACHE_NAME`` (replication group id) and ``CACHE_USER``,
``S3_WRITE_BUCKET`` (active region only), ``S3_READ_BUCKET`` and ``S3_PREFIX``. A store whose
variables are absent is not measured. ``AWS_REGION`` is set by Lambda.

Kafka: kafka-python with SASL/OAUTHBEARER tokens from aws-msk-iam-sasl-signer-python (IAM access
control, "Use IAM access control with OAUTHBEARER", Amazon MSK developer guide,
https://docs.aws.amazon.com/msk/latest/developerguide/iam-access-control.html, checked 2026-12-02).
Cache: redis-py cluster client over TLS, authenticating as the IAM-enabled user with a SigV4
token ("Authenticating with IAM", https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/auth-iam.html,
checked 2026-12-02). Pins: canary/requirements.txt.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from rpo_canary.canary import Canary, CloudWatchSink, Settings
from rpo_canary.stores import CacheStore, KafkaStore, S3Store, Store


def settings_from(env: Mapping[str, str]) -> Settings:
    region = env["AWS_REGION"]
    interval = float(env.get("CANARY_INTERVAL_SECONDS", "10"))
    return Settings(
        stack=env["CANARY_STACK"],
        region=region,
        source=env.get("CANARY_SOURCE_REGION", region),
        writes=env.get("CANARY_WRITES", "false").lower() == "true",
        interval_seconds=interval,
        window_seconds=float(env.get("CANARY_WINDOW_SECONDS", str(30 * interval))),
    )


def stores_from(env: Mapping[str, str], settings: Settings, clients: Any) -> list[Store]:
    """The stores configured in ``env``; ``clients`` builds the real clients (a module, or a fake in tests)."""
    keep = int(settings.window_seconds // settings.interval_seconds) + 1
    stores: list[Store] = []
    if env.get("KAFKA_BOOTSTRAP"):
        bootstrap, region = env["KAFKA_BOOTSTRAP"], settings.region
        writer = clients.kafka_writer(bootstrap, region) if settings.writes else None
        stores.append(KafkaStore(writer, clients.kafka_tail(bootstrap, region), env["KAFKA_TOPIC"], keep))
    if env.get("CACHE_ENDPOINT"):
        client = clients.cache(env["CACHE_ENDPOINT"], env["CACHE_NAME"], env["CACHE_USER"], settings.region)
        stores.append(CacheStore(client, keep))
    if env.get("S3_READ_BUCKET"):
        bucket = env.get("S3_WRITE_BUCKET") if settings.writes else None
        stores.append(S3Store(clients.s3(settings.region), bucket, env["S3_READ_BUCKET"], env["S3_PREFIX"]))
    return stores


def handler(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    from rpo_canary import clients

    settings = settings_from(os.environ)
    canary = Canary(
        settings, stores_from(os.environ, settings, clients), CloudWatchSink(clients.cloudwatch(settings.region))
    )
    ticks = canary.run(lambda: context.get_remaining_time_in_millis() / 1000)
    return {"ticks": ticks, "stores": [store.name for store in canary.stores]}
