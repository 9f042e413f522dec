"""One naming scheme and one tag set for every resource of a stack.

Names are deterministic (no random suffix) where another stack must find the resource
by name: the DR pair derives its peer's bucket and cluster names from the peer's stack
name, region and account instead of importing them, which keeps the pair free of cycles.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.config.schema import StackConfig

SHORT_PROJECT = "sp"
PROJECT_TAG = "streaming-platform"


@dataclass(frozen=True)
class Naming:
    stack: str
    region: str

    def __call__(self, *parts: str) -> str:
        """``sp-<stack>-<part>-...``: short enough for ALB and target-group names (32 chars)."""
        return "-".join((SHORT_PROJECT, self.stack, *parts))

    def bucket(self, role: str, account_id: str) -> str:
        """Globally unique bucket name; the account and region make it so without a suffix."""
        return bucket_name(self.stack, role, account_id, self.region)

    def log_group(self, *parts: str) -> str:
        return "/" + "/".join((SHORT_PROJECT, self.stack, *parts))


def bucket_name(stack: str, role: str, account_id: str, region: str) -> str:
    return f"{SHORT_PROJECT}-{stack}-{role}-{account_id}-{region}"


def stack_tags(config: StackConfig) -> dict[str, str]:
    """Tags every taggable resource carries (through the provider's default tags)."""
    return {
        "project": PROJECT_TAG,
        "stack": config.stack,
        "environment": config.tier,
        "owner": config.owner,
        "cost-center": config.cost_center,
        "managed-by": "pulumi",
    }
