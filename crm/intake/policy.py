"""The intake rules (管理 → 线索规则) live in crm.routing.policy: routing reads the client
protection period (a new need of a protected contact goes to its agent), and routing sits
below intake. This name stays for the intake code, the admin pages and the tests."""
from crm.routing.policy import (
    MAX_PROTECTION_DAYS,
    IntakePolicy,
    current,
    forget,
    save,
)

__all__ = ["MAX_PROTECTION_DAYS", "IntakePolicy", "current", "forget", "save"]
