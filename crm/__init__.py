"""Changfang CRM: lead capture and inquiry CRM for industrial real estate."""
import os

from flask import Flask

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
    register_error_pages(app)
    register_commands(app)
    register_template_helpers(app)
    register_delivery(app)
    return app


def _finish_config(app: Flask) -> None:
    if app.config["CRM_ENV"] == "production":
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
    elif app.config.get("CRM_REPORTS_DATABASE_URL"):
        # The reports replica, a bind no model maps to (crm/reads.py).
        from crm.reads import BIND, bind_options
        app.config["SQLALCHEMY_BINDS"] = {
            **app.config.get("SQLALCHEMY_BINDS", {}),
            BIND: bind_options(app.config["CRM_REPORTS_DATABASE_URL"],
                               app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))}
    from crm.observability.logs import configure_logging, init_request_ids
    configure_logging(json_lines=os.environ.get("CRM_LOG_FORMAT") == "json")
    init_request_ids(app)
    # API answers carry Chinese messages: readable UTF-8, not \uXXXX escapes.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # DefaultJSONProvider's; typed as the base class


def register_delivery(app: Flask) -> None:
    from crm.web.delivery import init_delivery
    init_delivery(app)


def register_request_cleaning(app: Flask) -> None:
    from crm.web.cleaning import init_request_cleaning
    init_request_cleaning(app)


def register_extensions(app: Flask) -> None:
    from crm import models  # noqa: F401  (registers every model with the metadata)
    from crm.extensions import babel, csrf, db, login_manager
    from crm.i18n import locale_for_request
    from crm.jobs import init_celery

    db.init_app(app)
    from crm import reads
    reads.init_app(app)
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true" or app.testing:
        # Only `flask db …` and the tests migrate. Flask-Migrate brings Alembic and Mako
        # (about 15 MiB in every process): gunicorn and Celery never load them.
        from flask_migrate import Migrate
        Migrate(app, db, directory=os.path.join(app.root_path, "..", "migrations"),
                render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=locale_for_request,
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
    # An area's `bp` is defined in its package (crm/web/<area>/__init__.py); importing the
    # area's route modules here attaches their routes to it. A package never imports its own
    # route modules, so no module imports one that imports it back.
    import crm.web.admin.views
    import crm.web.agent.deals
    import crm.web.agent.pipeline
    import crm.web.agent.repeats
    import crm.web.agent.views
    import crm.web.api.views
    import crm.web.auth.views
    import crm.web.contacts.views
    import crm.web.imports.views
    import crm.web.listings.photos
    import crm.web.listings.views
    import crm.web.lost_reasons.views
    import crm.web.manage.probabilities
    import crm.web.manage.views
    import crm.web.ops.views
    import crm.web.public.views
    import crm.web.regions.views
    import crm.web.reports.views
    import crm.web.routing_admin.views
    import crm.web.share.views
    import crm.web.visits.views
    import crm.web.workcalendar.views

    web = crm.web
    for area in (web.ops, web.public, web.regions, web.auth, web.agent, web.reports,
                 web.routing_admin, web.workcalendar, web.listings, web.lost_reasons,
                 web.imports, web.admin, web.visits, web.share, web.api, web.manage, web.contacts):
        app.register_blueprint(area.bp)


def register_security(app: Flask) -> None:
    from crm.web.ratelimit import init_limiter
    from crm.web.security import init_security

    init_security(app)
    init_limiter(app)


def register_error_pages(app: Flask) -> None:
    from crm.web import errors
    errors.register(app)


def register_commands(app: Flask) -> None:
    from crm.cli import crm_cli
    app.cli.add_command(crm_cli)


def register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

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
    from crm.workdays import days

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
                "calendar_missing": lambda: days.banner_years(current_user),
                "branding": branding.current}

