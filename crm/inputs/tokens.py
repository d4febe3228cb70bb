"""Secret URL tokens (a recommendation page, a calendar feed): unguessable, and kept in the
database only as a SHA-256 digest, so a copy of the database opens no link."""
import hashlib
import secrets


def new_token() -> str:
    """32 random bytes, URL-safe: not guessable, not derived from anything."""
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
