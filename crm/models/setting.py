from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db


class Setting(db.Model):
    """A value an admin edits in the app rather than in the deployment's environment
    (the brand, hotline and WeChat contact prospects see). See crm.branding."""
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200), default="")
