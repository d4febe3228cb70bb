"""Source sites: register, edit, rotate the API key, and find a site by its keys."""
import hashlib
import secrets
import time

from flask import current_app
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
    _key_cache().clear()


def rotate_api_key(site: SourceSite) -> str:
    api_key = _new_api_key()
    site.api_key_hash, site.api_key_hint = hash_api_key(api_key), api_key[:8]
    db.session.commit()
    _key_cache().clear()
    return api_key


def _key_cache() -> dict[str, tuple[int, float]]:
    """API key digest → (site id, when it was read), per web process."""
    return current_app.extensions.setdefault("crm_api_key_cache", {})


def site_id_for_api_key(key: str | None) -> int | None:
    """The active site this API key belongs to.

    A partner posts every inquiry with the same key, so the answer is kept for
    CRM_API_KEY_CACHE_SECONDS: one statement less per inquiry. A key rotated or a site
    switched off here is refused at once by this process, and by the other web processes
    within that time. Unknown keys are never cached: each one is looked up.
    """
    if not key or len(key) > 200:
        return None
    digest = hash_api_key(key)
    cache, ttl = _key_cache(), current_app.config["CRM_API_KEY_CACHE_SECONDS"]
    hit = cache.get(digest)
    if hit is not None and time.monotonic() - hit[1] < ttl:
        return hit[0]
    site_id = db.session.scalar(select(SourceSite.id).where(
        SourceSite.api_key_hash == digest, SourceSite.active.is_(True)))
    if site_id is None:
        cache.pop(digest, None)
    elif ttl > 0:
        if len(cache) > 1000:  # a handful of partners; never let it grow without bound
            cache.clear()
        cache[digest] = (site_id, time.monotonic())
    return site_id


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
