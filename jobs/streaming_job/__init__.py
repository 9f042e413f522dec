"""Reference Spark Structured Streaming job: MSK ingest topic -> dead letters, lake, cache.

Submitted as an EMR step (see jobs/README.md for the argument list and the DR restart).
Modules: config (arguments), kafka_source (MSK IAM options), schema/transforms (pure
DataFrame logic), batch (foreachBatch sinks), cache_sink/cache_auth (Valkey), app (wiring).
"""
