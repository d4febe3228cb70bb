"""Source sites: register, edit, rotate the API key, and find a site by its keys."""
import hashlib
import secrets

from sqlalchemy import select

from crm.extensions import db
from crm.models import SourceSite

API_KEY_PREFIX = "cfk_"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _new_public_key() -> str:
    return "s" + secrets.token_urlsafe(12)


def _new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def create_site(name: str, origins: list[str], active: bool = True) -> tuple[SourceSite, str]:
    """Returns the site and its API key, which is shown once and never stored in clear."""
    api_key = _new_api_key()
    site = SourceSite(name=name, origins="\n".join(origins), active=active,
                      public_key=_new_public_key(), api_key_hash=hash_api_key(api_key),
                      api_key_hint=api_key[:8])
    db.session.add(site)
    db.session.commit()
    return site, api_key


def update_site(site: SourceSite, name: str, origins: list[str], active: bool) -> None:
    site.name, site.origins, site.active = name, "\n".join(origins), active
    db.session.commit()


def rotate_api_key(site: SourceSite) -> str:
    api_key = _new_api_key()
    site.api_key_hash, site.api_key_hint = hash_api_key(api_key), api_key[:8]
    db.session.commit()
    return api_key


def site_for_api_key(key: str | None) -> SourceSite | None:
    if not key or len(key) > 200:
        return None
    return db.session.scalars(select(SourceSite).where(
        SourceSite.api_key_hash == hash_api_key(key), SourceSite.active.is_(True))).first()


def site_for_public_key(key: str | None) -> SourceSite | None:
    if not key or len(key) > 40:
        return None
    return db.session.scalars(select(SourceSite).where(
        SourceSite.public_key == key, SourceSite.active.is_(True))).first()


def name_taken(name: str, except_id: int | None = None) -> bool:
    stmt = select(SourceSite.id).where(SourceSite.name == name)
    if except_id is not None:
        stmt = stmt.where(SourceSite.id != except_id)
    return db.session.scalars(stmt).first() is not None
