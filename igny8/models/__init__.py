"""All models, one module per aggregate; importing this registers every table."""

from igny8.models.accounts import Account, ApiToken, IntegrationSettings, Site, User
from igny8.models.automation import AutomationConfig, AutomationRun, RunLogLine
from igny8.models.billing import CreditTransaction
from igny8.models.planner import Cluster, ContentIdea, Keyword
from igny8.models.writer import Content, Image, Task

__all__ = [
    "Account", "ApiToken", "AutomationConfig", "AutomationRun", "Cluster", "Content",
    "ContentIdea", "CreditTransaction", "Image", "IntegrationSettings", "Keyword",
    "RunLogLine", "Site", "Task", "User",
]
