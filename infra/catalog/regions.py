"""The AWS regions a stack and its DR peer may use: the foundation and DR rules both check them."""

from __future__ import annotations

# Regions the blueprint is tested for. infra/data/prices.yaml prices only us-east-1, us-west-2
# and eu-west-1: a stack elsewhere plans normally, its resources listed as not priced.
SUPPORTED_REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1")
