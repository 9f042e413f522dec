"""Entry point Pulumi runs for `pulumi preview --policy-pack policies`.

The tier is resolved from the stack's environment before the pack starts (see
streaming_policies/tier.py); stdout belongs to the engine handshake, so nothing is printed.
"""

import os

from pulumi_policy import EnforcementLevel, PolicyPack
from streaming_policies.adapter import PACK_NAME, build_policies
from streaming_policies.tier import resolve_tier

resolution = resolve_tier(os.environ)

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(resolution.tier, resolution.stack),
    enforcement_level=EnforcementLevel.MANDATORY,
    description=(
        "Streaming platform guardrails (MSK, ElastiCache, EMR, ELB, S3, KMS, VPC, IAM, tags, DR); "
        f"tier {resolution.tier} from {resolution.source}."
    ),
)
