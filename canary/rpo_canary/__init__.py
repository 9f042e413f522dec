"""RPO canary: sequence-numbered, timestamped records through every data store, measured where they recover.

A Lambda function in each region of a DR pair. In the active region it writes one record per
tick to the canary Kafka topic, the canary cache key and the canary S3 prefix, then reads each
store back; in the standby region it reads what arrived through the MSK Replicator, the Global
Datastore and S3 Cross-Region Replication. Every tick publishes CloudWatch metrics
(``records.NAMESPACE``): WriteSuccess, ReplicatedAgeSeconds and SequenceGaps per store.
"""
