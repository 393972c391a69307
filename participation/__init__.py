"""Participation: public participation and decision consultation for local governments."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints and CLI commands.

    ``config`` overrides the defaults and the environment (tests pass their database URL).
    """
    # Building the app imports every domain: some 170,000 objects, nearly all kept. The
    # cyclic collector's passes over them (about 0.1 s of start-up, freeing almost
    # nothing) wait until it is built.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build_app(config)
    finally:
        if collecting:
            gc.enable()


def _build_app(config: dict[str, Any] | None) -> Flask:
    # Imported here: a process that only computes (the grouping's worker) needs no Flask.
    from flask import Flask

    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from participation.config import (
        default_config,
        engine_options,
        load_secret_key,
        normalise_database_url,
    )

    app.config.update(default_config(Path(app.instance_path)))
    if config:
        app.config.update(config)
        if "SQLALCHEMY_DATABASE_URI" in config:
            app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
                config["SQLALCHEMY_DATABASE_URI"])
        if "SQLALCHEMY_DATABASE_URI" in config and "SQLALCHEMY_ENGINE_OPTIONS" not in config:
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
                config["SQLALCHEMY_DATABASE_URI"]
            )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(Path(app.instance_path))

    from participation.core.args import IdConverter

    # Every <int:…> in a route matches only numbers a row id can have; larger ones 404.
    app.url_map.converters["int"] = IdConverter
    _init_extensions(app)
    _connect_receivers()
    _register_blueprints(app)
    _register_cli(app)

    from participation.core import errors, web

    errors.register_error_handlers(app)
    web.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from participation.core import database, i18n, migrate, ratelimit, web
    from participation.extensions import babel, csrf, db, limiter, login_manager

    db.init_app(app)
    database.configure_engine_events()
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    web.init_upload_limits(app)  # before CSRF protection reads the form
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    ratelimit.init_app(app, limiter)

    from participation.accounts import auth

    auth.init_login_manager(login_manager)


def _connect_receivers() -> None:
    """Import each domain's signal receivers (connected at import, once per process)."""
    import participation.catalogue.receivers
    import participation.consultations.receivers
    import participation.dossier.receivers
    import participation.feedback.clock
    import participation.feedback.notify
    import participation.feedback.receivers
    import participation.meetings.receivers
    import participation.meetings.retention
    import participation.open_days.receivers
    import participation.opinions.receivers  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from participation.accounts.views import bp as accounts_bp
    from participation.api.views import bp as api_bp
    from participation.catalogue.views import bp as catalogue_bp
    from participation.consultations.views import bp as consultations_bp
    from participation.dossier.views import bp as dossier_bp
    from participation.feedback.views import bp as feedback_bp
    from participation.meetings.views import bp as meetings_bp
    from participation.open_days.admin_views import bp as opendays_admin_bp
    from participation.open_days.views import bp as opendays_bp
    from participation.opinions.views import bp as opinions_bp

    for blueprint in (
        catalogue_bp,
        dossier_bp,
        consultations_bp,
        opinions_bp,
        feedback_bp,
        meetings_bp,
        opendays_bp,
        opendays_admin_bp,
        accounts_bp,
        api_bp,
    ):
        app.register_blueprint(blueprint)


def _register_cli(app: Flask) -> None:
    from participation.accounts.cli import users_cli
    from participation.consultations.cli import drafts_cli
    from participation.core import outbox, tasks  # noqa: F401 - register their work
    from participation.core.jobs import jobs_cli
    from participation.core.maintenance import maintenance_cli
    from participation.core.workdays.cli import workdays_cli
    from participation.demo.cli import demo_cli
    from participation.meetings.cli import meetings_cli
    from participation.opinions.cli import opinions_cli

    for group in (users_cli, drafts_cli, opinions_cli, demo_cli, maintenance_cli,
                  jobs_cli, workdays_cli, meetings_cli):
        app.cli.add_command(group)
