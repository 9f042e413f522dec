"""Real clients for the Lambda: kafka-python with MSK IAM tokens, redis-py with ElastiCache IAM tokens, boto3.

Imported only inside the function (the pinned libraries of canary/requirements.txt are packaged
with it); the tests build the stores from fakes, a real redis-server and botocore stubs instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import boto3
import botocore.session
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest

TOKEN_SECONDS = 900  # ElastiCache IAM tokens: at most 15 minutes


def cache_token(cache_name: str, user: str, region: str) -> str:
    """The password of an IAM-enabled ElastiCache user: a presigned ``connect`` URL without its scheme."""
    credentials = botocore.session.get_session().get_credentials().get_frozen_credentials()
    request = AWSRequest(method="GET", url=f"http://{cache_name.lower()}/", params={"Action": "connect", "User": user})
    SigV4QueryAuth(credentials, "elasticache", region, expires=TOKEN_SECONDS).add_auth(request)
    return str(request.url).removeprefix("http://")


def cache(endpoint: str, cache_name: str, user: str, region: str) -> Any:
    from redis.cluster import RedisCluster
    from redis.credentials import CredentialProvider

    class IamCredentials(CredentialProvider):
        def get_credentials(self) -> tuple[str, str]:
            return user, cache_token(cache_name, user, region)

    return RedisCluster(host=endpoint, port=6379, ssl=True, credential_provider=IamCredentials())


def _kafka_auth(region: str) -> dict[str, Any]:
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
    from kafka.sasl.oauth import AbstractTokenProvider

    class MskToken(AbstractTokenProvider):
        def token(self) -> str:
            token, _expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
            return str(token)

    return {"security_protocol": "SASL_SSL", "sasl_mechanism": "OAUTHBEARER", "sasl_oauth_token_provider": MskToken()}


class KafkaWriter:
    def __init__(self, bootstrap: str, region: str) -> None:
        from kafka import KafkaProducer

        self._producer = KafkaProducer(bootstrap_servers=bootstrap.split(","), acks="all", **_kafka_auth(region))

    def produce(self, topic: str, key: bytes, value: bytes) -> None:
        self._producer.send(topic, key=key, value=value).get(timeout=10)


class KafkaTail:
    def __init__(self, bootstrap: str, region: str) -> None:
        from kafka import KafkaConsumer

        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap.split(","), enable_auto_commit=False, **_kafka_auth(region)
        )

    def tail(self, topic: str, count: int) -> Sequence[bytes]:
        from kafka import TopicPartition

        consumer = self._consumer
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        ends = consumer.end_offsets(partitions)
        for partition in partitions:
            consumer.seek(partition, max(0, ends[partition] - count))
        values: list[bytes] = []
        while any(consumer.position(p) < ends[p] for p in partitions):
            batch = consumer.poll(timeout_ms=2000)
            if not batch:
                break
            values += [message.value for messages in batch.values() for message in messages]
        return values


def kafka_writer(bootstrap: str, region: str) -> KafkaWriter:
    return KafkaWriter(bootstrap, region)


def kafka_tail(bootstrap: str, region: str) -> KafkaTail:
    return KafkaTail(bootstrap, region)


def s3(region: str) -> Any:
    return boto3.client("s3", region_name=region)


def cloudwatch(region: str) -> Any:
    return boto3.client("cloudwatch", region_name=region)
