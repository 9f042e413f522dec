"""Type tokens of the resources the rules look at (pulumi-aws 7.51 engine names).

Where pulumi-aws still ships a deprecated alias module (``aws.alb``), both tokens are
listed so a resource cannot dodge a rule by using the alias.
"""

from __future__ import annotations

AWS_PROVIDER = "pulumi:providers:aws"
STACK_REFERENCE = "pulumi:pulumi:StackReference"

MSK_CLUSTER = "aws:msk/cluster:Cluster"
MSK_CONFIGURATION = "aws:msk/configuration:Configuration"
MSK_REPLICATOR = "aws:msk/replicator:Replicator"

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
GLOBAL_REPLICATION_GROUP = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"

EMR_CLUSTER = "aws:emr/cluster:Cluster"
EMR_SECURITY_CONFIGURATION = "aws:emr/securityConfiguration:SecurityConfiguration"

LOAD_BALANCERS = frozenset({"aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"})
LISTENERS = frozenset({"aws:lb/listener:Listener", "aws:alb/listener:Listener"})

BUCKET = "aws:s3/bucket:Bucket"
BUCKET_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
BUCKET_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"

KMS_KEY = "aws:kms/key:Key"

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"

IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE = "aws:iam/role:Role"
IAM_INLINE_POLICIES = frozenset(
    {
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)

BACKUP_VAULT = "aws:backup/vault:Vault"
BACKUP_VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
BACKUP_PLAN = "aws:backup/plan:Plan"
BACKUP_SELECTION = "aws:backup/selection:Selection"

OWN_NAME_INPUT = {
    BUCKET: "bucket",
    REPLICATION_GROUP: "replicationGroupId",
    BACKUP_VAULT: "name",
    BACKUP_PLAN: "name",
    MSK_CLUSTER: "clusterName",
}
"""The input that names a resource, which other resources may use to refer to it."""
