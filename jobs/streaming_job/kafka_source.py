"""Options of Spark's Kafka source for Amazon MSK with IAM access control.

Pure (no pyspark) so the exact option set is unit-tested without a broker. The four
SASL settings are the ones the aws-msk-iam-auth library documents (README
"Configuring a Kafka client to use AWS IAM", github.com/aws/aws-msk-iam-auth, checked
2026-11-26); Spark passes every "kafka."-prefixed option to its consumers and admin
client unchanged. Credentials come from the default AWS chain, i.e. the EMR instance
profile, which needs kafka-cluster:Connect, DescribeTopic, ReadData (and DescribeGroup/
AlterGroup on groups named <group-id-prefix>*).
"""

from __future__ import annotations

from .config import JobConfig

MSK_IAM_OPTIONS: dict[str, str] = {
    "kafka.security.protocol": "SASL_SSL",
    "kafka.sasl.mechanism": "AWS_MSK_IAM",
    "kafka.sasl.jaas.config": "software.amazon.msk.auth.iam.IAMLoginModule required;",
    "kafka.sasl.client.callback.handler.class": "software.amazon.msk.auth.iam.IAMClientCallbackHandler",
}


def kafka_source_options(config: JobConfig) -> dict[str, str]:
    """Every option of ``spark.readStream.format("kafka")`` for this job.

    - startingTimestamp (a DR rewind) or startingOffsets; Spark reads them only when the
      checkpoint is new. With a timestamp, a partition that has no record at or after it
      starts at its latest offset instead of failing the query
      (startingOffsetsByTimestampStrategy=latest, Spark >= 3.3).
    - failOnDataLoss stays true unless the operator opts out: offsets that aged out of
      retention mean lost events, which must stop the job loudly rather than be skipped.
      A new checkpoint resolves its offsets fresh, so a DR restart does not trip it.
    - groupIdPrefix makes Spark's generated consumer groups nameable in IAM policies.
    """
    options = dict(MSK_IAM_OPTIONS)
    options.update(
        {
            "kafka.bootstrap.servers": config.bootstrap_servers,
            "subscribe": config.topic,
            "failOnDataLoss": "true" if config.fail_on_data_loss else "false",
            "groupIdPrefix": config.group_id_prefix,
        }
    )
    if config.starting.timestamp_ms is not None:
        options["startingTimestamp"] = str(config.starting.timestamp_ms)
        options["startingOffsetsByTimestampStrategy"] = "latest"
    else:
        options["startingOffsets"] = str(config.starting.offsets)
    if config.max_offsets_per_trigger is not None:
        options["maxOffsetsPerTrigger"] = str(config.max_offsets_per_trigger)
    return options
