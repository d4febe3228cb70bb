"""Users and teams: who works here, in which team, with which role; one default team;
the password rules."""
import dataclasses
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import Role, Team, User
from crm.privacy import audit


class PeopleError(ValueError):
    """A change refused, with the form field it belongs next to."""

    def __init__(self, field: str, message):
        super().__init__(str(message))
        self.field, self.message = field, message


MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# zxcvbn's 0–4 scale; 3 is "safely unguessable" (about 10^8 guesses and up).
MIN_PASSWORD_SCORE = 3


def password_weakness(password: str, *known: str):
    """Why `password` is refused (a translatable message), or None. `known`: the user's email,
    name … which must not make the password easy to guess."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return _l("At least %(n)d characters, please.", n=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return _l("At most %(n)d characters, please.", n=MAX_PASSWORD_LENGTH)
    hints = [word for value in known if value for word in (value, *value.split("@"))]
    # zxcvbn's cost grows with length; the first 64 characters decide any real password.
    from zxcvbn import zxcvbn  # its word lists are ~10 MiB: loaded when a password is set
    if zxcvbn(password[:64], user_inputs=hints)["score"] < MIN_PASSWORD_SCORE:
        return _l("This password is easy to guess (a common word, a pattern, or your name "
                  "or email). Use a few unrelated words or a longer phrase.")
    return None


def _email_taken(email: str, user_id: int | None) -> bool:
    other = db.session.scalars(select(User).where(func.lower(User.email) == email.lower())).first()
    return other is not None and other.id != user_id


@dataclass(frozen=True, slots=True)
class UserInput:
    """A user as an admin sets them (the user form's `to_input()`). `password`: a new one
    (checked by the form with password_weakness()), None to keep the current one."""
    email: str
    name: str
    role: str = Role.AGENT
    team_id: int | None = None
    active: bool = True
    contact_phone: str = ""             # shown to prospects on recommendation pages
    contact_wechat: str = ""
    password: str | None = dataclasses.field(default=None, repr=False)   # never in a log line

    def values(self) -> dict:
        """The User columns it sets (the password aside: it is hashed)."""
        return {"email": self.email, "name": self.name, "role": self.role,
                "team_id": self.team_id, "active": self.active,
                "contact_phone": self.contact_phone, "contact_wechat": self.contact_wechat}


def save_user(user: User | None, data: UserInput, actor: User) -> User:
    """Create (user None) or edit a user; audited."""
    values, password = data.values(), data.password
    creating = user is None
    if _email_taken(values["email"], None if user is None else user.id):
        raise PeopleError("email", _l("A user with this email exists."))
    if creating and not password:
        raise PeopleError("password", _l("Please enter a password."))
    if user is not None and user.id == actor.id and (values["role"] != Role.ADMIN
                                                 or not values["active"]):
        raise PeopleError("role", _l("You cannot take away your own admin rights."))
    user = user or User()
    old, new = ({}, dict(values)) if creating else audit.diff(user, values, values)
    for name, value in values.items():
        setattr(user, name, value)
    if password:
        user.set_password(password)
        user.must_change_password = user.id != actor.id  # the admin knows it
        new["password"] = "changed"
    return _saved(user, "user", creating, actor, old, new)


def update_contact(user: User, actor: User, phone: str, wechat: str) -> None:
    """The phone and WeChat ID prospects see on the recommendation pages an agent sends."""
    values = {"contact_phone": phone.strip()[:30], "contact_wechat": wechat.strip()[:60]}
    old, new = audit.diff(user, list(values), values)
    for name, value in values.items():
        setattr(user, name, value)
    if new:
        audit.record(actor, "user_edit", "user", user.id, old, new)
    db.session.commit()


def reset_password(user: User, password: str, actor: User) -> None:
    """An admin sets a password for someone who lost theirs; they choose their own at the
    next login, so the admin does not keep knowing it."""
    user.set_password(password)  # also ends the user's sessions
    user.must_change_password = user.id != actor.id
    audit.record(actor, "password_reset", "user", user.id)
    db.session.commit()


def change_own_password(user: User, current: str, new: str) -> None:
    """Self-service change; the current password proves it is the user at the keyboard.
    Every other session of the user ends."""
    if not user.check_password(current):
        raise PeopleError("current", _l("This is not your current password."))
    if current == new:
        raise PeopleError("password", _l("Choose a password different from the current one."))
    weakness = password_weakness(new, user.email, user.name)
    if weakness:
        raise PeopleError("password", weakness)
    user.set_password(new)
    user.must_change_password = False
    audit.record(user, "password_change", "user", user.id)
    db.session.commit()


def end_sessions(user: User) -> None:
    """Log out everywhere: a copy of the old session cookie is worthless from now on."""
    user.end_sessions()
    db.session.commit()


HOURS = ("work_start", "work_end", "lunch_start", "lunch_end", "weekends_too")


def save_team(team: Team | None, name: str, is_default: bool, actor: User,
              hours: dict | None = None) -> Team:
    """Create (team None) or edit a team; at most one team is the default (routing falls back
    to it), so making this one the default takes the flag from the others. `hours`: the
    team's working hours and lunch break (see Team), all or none of start and end."""
    hours = {name: (hours or {}).get(name) for name in HOURS}
    hours["weekends_too"] = bool(hours["weekends_too"])
    if bool(hours["work_start"]) != bool(hours["work_end"]):
        raise PeopleError("work_end", _l("Give both the start and the end, or neither."))
    if hours["work_start"] and hours["work_start"] >= hours["work_end"]:
        raise PeopleError("work_end", _l("The day must end after it starts."))
    lunch = hours["lunch_start"], hours["lunch_end"]
    if any(lunch) and not (all(lunch) and hours["work_start"]
                           and hours["work_start"] < lunch[0] < lunch[1] < hours["work_end"]):
        raise PeopleError("lunch_end", _l("The lunch break lies inside the working day, "
                                          "start before end."))
    clash = db.session.scalars(select(Team).where(Team.name == name)).first()
    if clash is not None and (team is None or clash.id != team.id):
        raise PeopleError("name", _l("A team with this name exists."))
    creating = team is None
    team = team or Team()
    values = {"name": name, "is_default": is_default, **hours}
    old, new = ({}, values) if creating else audit.diff(team, values, values)
    if is_default:
        for other in db.session.scalars(select(Team).where(Team.is_default.is_(True))):
            other.is_default = False
    for field, value in values.items():
        setattr(team, field, value)
    return _saved(team, "team", creating, actor, old, new)


def _saved(row, kind: str, creating: bool, actor: User, old: dict, new: dict):
    """Insert a new row, audit what changed (user_create, team_edit …), commit."""
    if creating:
        db.session.add(row)
        db.session.flush()
    if new:
        audit.record(actor, f"{kind}_create" if creating else f"{kind}_edit", kind, row.id,
                     old or None, new)
    db.session.commit()
    return row
