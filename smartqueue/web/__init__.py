"""The web interface: blueprints per audience over the core."""

from flask import Flask


def register_web(app: Flask) -> None:
    from . import errors, filters, security
    from .account.views import bp as account_bp
    from .auth.views import bp as auth_bp
    from .health import bp as health_bp
    from .manage.views import bp as manage_bp
    from .public.views import bp as public_bp

    for bp in (public_bp, auth_bp, account_bp, manage_bp, health_bp):
        app.register_blueprint(bp)
    errors.register(app)
    filters.register(app)
    security.register(app)
