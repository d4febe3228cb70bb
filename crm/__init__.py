"""Changfang CRM: lead capture and inquiry CRM for industrial real estate."""
import os

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import OperationalError as DBOperationalError

from config import DEV_SECRET, Config


def create_app(config: Config | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    app.config.from_object(config or Config())
    _finish_config(app)
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_security(app)
    register_request_cleaning(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def _finish_config(app: Flask) -> None:
    if app.config["ENV_NAME"] == "production":
        key = app.config["SECRET_KEY"] or ""
        # Sessions and signed links are only as strong as this key: 32 characters at least
        # (e.g. `python -c "import secrets; print(secrets.token_urlsafe(48))"`).
        placeholder = any(word in key.lower() for word in ("change", "example", "secret"))
        if key == DEV_SECRET or placeholder or len(key) < 32 or len(set(key)) < 8:
            raise RuntimeError("SECRET_KEY must be set to a random value of 32 characters or "
                               "more when CRM_ENV=production")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            "sqlite:///" + os.path.join(app.instance_path, "changfang.sqlite3"))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # pool_pre_ping is pointless for a file and SQLite wants a longer lock wait.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 15},
                                                   "hide_parameters": True}
    from crm.observability.logs import configure_logging, init_request_ids
    configure_logging(json_lines=os.environ.get("CRM_LOG_FORMAT") == "json")
    init_request_ids(app)
    # API answers carry Chinese messages: readable UTF-8, not \uXXXX escapes.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # DefaultJSONProvider's; typed as the base class


def register_request_cleaning(app: Flask) -> None:
    from crm.web.cleaning import init_request_cleaning
    init_request_cleaning(app)


def register_extensions(app: Flask) -> None:
    from crm import models  # noqa: F401  (registers every model with the metadata)
    from crm.extensions import babel, csrf, db, login_manager
    from crm.jobs import init_celery

    db.init_app(app)
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true" or app.testing:
        # Only `flask db …` and the tests migrate. Flask-Migrate brings Alembic and Mako
        # (about 15 MiB in every process): gunicorn and Celery never load them.
        from flask_migrate import Migrate
        Migrate(app, db, directory=os.path.join(app.root_path, "..", "migrations"),
                render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_selected_locale,
                   default_translation_directories="translations")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    from flask_babel import lazy_gettext as _l
    login_manager.login_message = _l("Please log in to open this page.")
    init_celery(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        from crm.sqlite import enable_sqlite_pragmas
        with app.app_context():
            enable_sqlite_pragmas(db.engine)


def _selected_locale():
    # A parsed Locale, made once per language: Flask-Babel would parse the code on every request.
    from crm.i18n import parsed_locale
    return parsed_locale(_select_locale())


def _select_locale() -> str:
    from flask import has_request_context
    if not has_request_context():  # Celery tasks, CLI: the default language
        return "zh_CN"
    wanted = request.args.get("lang")
    supported = ["zh_CN", "en"]
    if wanted in supported:
        return wanted
    from flask import session
    if session.get("lang") in supported:
        return session["lang"]
    # Chinese is the default: only a browser that prefers English gets English.
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    return "en" if best == "en" else "zh_CN"


def register_url_converters(app: Flask) -> None:
    from werkzeug.routing import IntegerConverter

    from crm.inputs.fields import MAX_DB_ID

    class DatabaseId(IntegerConverter):
        """<int:…> in a URL: an id a database integer can hold; a bigger one is a 404,
        not an overflow deep in a query."""
        def __init__(self, map, fixed_digits=0, min=None, max=MAX_DB_ID, signed=False):
            super().__init__(map, fixed_digits, min, max, signed)

    app.url_map.converters["int"] = DatabaseId


def register_blueprints(app: Flask) -> None:
    from crm.web.admin.views import bp as admin_bp
    from crm.web.agent.views import bp as agent_bp
    from crm.web.api.views import bp as api_bp
    from crm.web.auth.views import bp as auth_bp
    from crm.web.calendar.views import bp as calendar_bp
    from crm.web.imports.views import bp as imports_bp
    from crm.web.listings.views import bp as listings_bp
    from crm.web.lost_reasons.views import bp as lost_reasons_bp
    from crm.web.manage.views import bp as manage_bp
    from crm.web.ops.views import bp as ops_bp
    from crm.web.public.views import bp as public_bp
    from crm.web.regions.views import bp as regions_bp
    from crm.web.reports.views import bp as reports_bp
    from crm.web.routing_admin.views import bp as routing_admin_bp
    from crm.web.visits.views import bp as visits_bp
    from crm.web.visits.views import share as share_bp

    app.register_blueprint(ops_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(regions_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(agent_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(routing_admin_bp)
    app.register_blueprint(calendar_bp)
    for workspace_bp in (listings_bp, lost_reasons_bp, imports_bp, admin_bp, visits_bp, share_bp):
        app.register_blueprint(workspace_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(manage_bp)


def register_security(app: Flask) -> None:
    from crm.web.ratelimit import init_limiter
    from crm.web.security import init_security

    init_security(app)
    init_limiter(app)


def register_errorhandlers(app: Flask) -> None:
    from flask_babel import gettext as _

    def render_error(error):
        code = getattr(error, "code", 500) or 500
        # Keep what the exception says about itself (Allow on a 405, Retry-After on a 429).
        headers = {k: v for k, v in getattr(error, "get_headers", lambda: [])()
                   if k in ("Allow", "Retry-After")}
        if request.path.startswith("/api/"):
            # API clients get JSON, never an HTML page.
            messages = {401: _("A valid X-Api-Key header is required."),
                        404: _("This page does not exist."),
                        405: _("This address accepts only: %(methods)s.",
                               methods=headers.get("Allow", "")),
                        413: _("What you sent is too large."),
                        429: _("Too many requests. Please wait a moment and try again."),
                        503: _("The service is briefly unavailable. Please try again in a minute.")}
            response = jsonify({"error": messages.get(
                code, _("Something went wrong on our side. Please try again."))})
            return response, code, headers
        return render_template("error.html", code=code), code, headers

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, render_error)

    @app.errorhandler(DBOperationalError)
    def database_unavailable(error):
        app.logger.error("database unavailable: %s", error)
        if request.path.startswith("/api/"):
            from flask_babel import gettext as _
            return jsonify({"error": _("The service is briefly unavailable. "
                                       "Please try again in a minute.")}), 503
        return render_template("error.html", code=503), 503


def register_commands(app: Flask) -> None:
    from crm.cli import crm_cli
    app.cli.add_command(crm_cli)


def register_template_helpers(app: Flask) -> None:
    from crm import branding, choices, regions
    from crm.formatting import (
        area,
        area_range,
        days_overdue,
        local_time,
        megabytes,
        wan,
        whole_sqm,
    )
    from crm.i18n import in_ui_language, ui_language

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["wan"] = wan
    app.jinja_env.filters["area"] = area
    app.jinja_env.filters["whole_sqm"] = whole_sqm
    app.jinja_env.globals["area_range"] = area_range
    app.jinja_env.globals["megabytes"] = megabytes
    app.jinja_env.globals["days_overdue"] = days_overdue
    app.jinja_env.filters["in_ui_language"] = in_ui_language
    from crm.intake.spam import describe as spam_reasons
    app.jinja_env.filters["spam_reasons"] = spam_reasons
    from crm.access import mask_text
    app.jinja_env.filters["mask_text"] = mask_text

    @app.context_processor
    def inject():
        locale = ui_language()
        return {"choices": choices, "current_locale": locale,
                "region_name": lambda code: regions.full_name(code, locale),
                "place_name": lambda code, words="": regions.label(code, words, locale),
                "calendar_missing": _calendar_missing, "branding": branding.current}


def _calendar_missing() -> list[int]:
    """Years whose holidays an admin must enter (banner on every page, admins only)."""
    from flask_login import current_user
    from sqlalchemy.exc import SQLAlchemyError

    from crm.extensions import db
    from crm.formatting import today_local
    from crm.models import Role
    from crm.workdays import days
    try:
        if not current_user.is_authenticated or current_user.role != Role.ADMIN:
            return []
        return days.missing_years(today_local())
    except SQLAlchemyError:  # the database is away: the 503 page needs no banner
        db.session.rollback()
        return []
