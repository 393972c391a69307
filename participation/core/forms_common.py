"""Forms shared by every domain."""

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """An empty form for POST buttons: it carries only the CSRF token."""
