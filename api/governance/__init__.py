"""The governance service: applications, delegation, reviews, lifecycle, evidence, accounts."""

from api.governance.errors import GovernanceError, GovernanceForbidden, NotFound
from api.governance.records import Application, Campaign, ReviewItem
from api.governance.service import Governance
from api.governance.views import (
    AccountView,
    EvidenceAnswer,
    EvidenceRequest,
    GrantView,
    LifecycleAction,
    ReviewDue,
    SourceUsage,
)

__all__ = [
    "AccountView",
    "Application",
    "Campaign",
    "EvidenceAnswer",
    "EvidenceRequest",
    "Governance",
    "GovernanceError",
    "GovernanceForbidden",
    "GrantView",
    "LifecycleAction",
    "NotFound",
    "ReviewDue",
    "ReviewItem",
    "SourceUsage",
]
