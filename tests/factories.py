"""factory_boy factories bound to the test session."""
from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from crm.extensions import db
from crm.models import Lead, NotificationChannel, RoutingRule, Team, User
from crm.models.types import utcnow


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class TeamFactory(Base):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"招商{n}组")
    is_default = True


class UserFactory(Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"agent{n}@example.com")
    name = factory.Sequence(lambda n: f"顾问{n}")
    role = "agent"
    team = factory.SubFactory(TeamFactory)
    password_hash = ""

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or "secret-pass")
        if create:
            db.session.commit()


class LeadFactory(Base):
    class Meta:
        model = Lead

    reference = factory.Sequence(lambda n: f"CF261123-T{n:04d}")
    created_at = factory.LazyFunction(utcnow)
    contact_name = "刘先生"
    mobile_e164 = factory.Sequence(lambda n: f"+86133{n:08d}")
    mobile_display = factory.LazyAttribute(lambda o: o.mobile_e164[3:])
    company = "湖州新能源汽车零部件有限公司"
    property_type = "factory"
    deal_type = "rent"
    investment_wan = Decimal("5000")
    consent = True
    consent_version = "2026-11"


class RuleFactory(Base):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"规则{n}")
    position = factory.Sequence(lambda n: n * 10)
    team = factory.SubFactory(TeamFactory, is_default=False)


class ChannelFactory(Base):
    class Meta:
        model = NotificationChannel

    kind = "webhook"
    target = "http://127.0.0.1:9/hook"
def make_site(name="浙江站", origins=("https://zj.example.cn",), active=True):
    """A source site and its API key (the key exists in clear only here)."""
    from crm.intake.sites import create_site
    site, api_key = create_site(name, list(origins), active)
    return site, api_key


def known_lead(**values) -> Lead:
    """A lead whose person is a contact, as capture makes it (LeadFactory alone leaves
    contact_id NULL, as rows from before contacts): matching finds this one."""
    from crm.inputs.text import compact_key
    from crm.models import Contact
    lead = LeadFactory.build(**values)
    contact = db.session.scalars(db.select(Contact).where(
        Contact.mobile_e164 == lead.mobile_e164)).first() if lead.mobile_e164 else None
    if contact is None:
        contact = Contact(name=lead.contact_name, name_key=compact_key(lead.contact_name),
                          mobile_e164=lead.mobile_e164, mobile_display=lead.mobile_display or "",
                          wechat_id=lead.wechat_id or None, created_at=lead.created_at)
        db.session.add(contact)
        db.session.flush()
    lead.contact_id, lead.contact_seq = contact.id, 1
    db.session.add(lead)
    db.session.commit()
    return lead
