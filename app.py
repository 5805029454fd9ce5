"""Entry point for ``flask --app app`` and ``gunicorn app:app``."""

from igny8 import create_app

app = create_app()
