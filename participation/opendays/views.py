from flask import Blueprint

bp = Blueprint("opendays", __name__)
