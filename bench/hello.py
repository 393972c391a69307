"""The baseline: a minimal Flask app, served by gunicorn exactly like the real one."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
