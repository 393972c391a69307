from flask import Blueprint

bp = Blueprint("opendays_admin", __name__)
