"""Sign-in, registration, the citizen's account, and administration of units and officials."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import selectinload

from participation.accounts import operations
from participation.accounts.forms import (
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    OfficialForm,
    RegisterForm,
    RoleForm,
    UnitForm,
    VerifyForm,
)
from participation.accounts.models import ROLE_LABELS, Government, Membership, Role, Unit, User
from participation.accounts.permissions import can_administer, can_see_task
from participation.catalogue.models import STAGE_LABELS
from participation.consultations.models import MODERATION_MODE_LABELS
from participation.core import audit_labels, signals
from participation.core.args import text_arg
from participation.core.audit import AuditEntry
from participation.core.forms_common import ConfirmForm
from participation.core.i18n import LOCALE_COOKIE, label
from participation.core.permissions import load_or_404, require_official
from participation.core.tasks import Task, TaskState
from participation.core.transaction import perform
from participation.core.web_helpers import paginate, safe_next
from participation.dossier.models import DISCLOSURE_LABELS, DOCUMENT_KIND_LABELS
from participation.extensions import db, limiter
from participation.opinions.models import (
    CHANNEL_LABELS,
    MODERATION_REASON_LABELS,
    MODERATION_STATE_LABELS,
)

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    """Sign-in attempts per address (loose: a town office shares one address)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_login_limit() -> str:
    """Sign-in attempts per account, whatever the address (tight)."""
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def _identifier_key() -> str:
    return "account:" + operations.identifier_key(request.form.get("identifier"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_account_login_limit, methods=["POST"], key_func=_identifier_key)
def login():
    g.private_page = True  # never stored by browsers or proxies
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        # Committed first: a busy database must not leave the visitor signed in.
        done = perform(operations.authenticate, form.identifier.data, form.password.data,
                       form=form)
        if done:
            user = done.value
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data,
                                      "accounts.show_dashboard" if user.is_official
                                      else "catalogue.show_home"))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            perform(operations.sign_out_everywhere, current_user._get_current_object())
        logout_user()
        flash(_("You have signed out."), "success")
    return redirect(url_for("catalogue.show_home"))


def _verification_limit() -> str:
    return current_app.config["VERIFICATION_RATE_LIMIT"]


def _start_registration(form: RegisterForm) -> str:
    """Start the registration; the outbox sends the code once it is saved."""
    token, _code = operations.start_registration(
        form.identifier.data, form.display_name.data, form.password.data)
    return token


def _resend_code(token: str) -> None:
    operations.resend_code(token)


@bp.route("/register", methods=["GET", "POST"])
@limiter.shared_limit(_verification_limit, scope="verification", methods=["POST"])
def register():
    g.private_page = True  # never stored by browsers or proxies
    if current_user.is_authenticated:
        return redirect(url_for("accounts.show_account"))
    form = RegisterForm()
    if form.validate_on_submit():
        done = perform(_start_registration, form, form=form)
        if done:
            session["registration_token"] = done.value
            return redirect(url_for("accounts.verify_registration"))
    return render_template("accounts/register.html", form=form)


@bp.route("/register/verify", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def verify_registration():
    g.private_page = True  # never stored by browsers or proxies
    token = session.get("registration_token")
    if not token:
        return redirect(url_for("accounts.register"))
    pending = operations.pending_registration(token)
    form = VerifyForm()
    if form.validate_on_submit():
        # A wrong code is kept as a counted attempt (keep_on_error).
        done = perform(operations.finish_registration, token, form.code.data, form=form,
                       keep_on_error=True)
        if done:
            session.pop("registration_token", None)
            login_user(done.value)
            flash(_("Welcome! Your account is ready."), "success")
            return redirect(url_for("catalogue.show_home"))
    return render_template("accounts/verify.html", form=form, pending=pending,
                           resend_seconds=current_app.config["VERIFICATION_RESEND_SECONDS"])


@bp.route("/register/resend", methods=["POST"])
@limiter.shared_limit(_verification_limit, scope="verification")
def resend_code():
    """Send a new verification code (after a wait); the previous one stops working."""
    g.private_page = True
    token = session.get("registration_token")
    if not token:
        return redirect(url_for("accounts.register"))
    if ConfirmForm().validate_on_submit():
        done = perform(_resend_code, token,
                       success=_("A new code has been sent. The previous one no longer works."))
        if not done and done.error.code == "code_expired":
            session.pop("registration_token", None)
            return redirect(url_for("accounts.register"))
    return redirect(url_for("accounts.verify_registration"))


@bp.route("/account")
@login_required
def show_account():
    g.private_page = True
    return render_template("accounts/account.html", delete_form=DeleteAccountForm(),
                           password_form=ChangePasswordForm())


@bp.route("/account/password", methods=["POST"])
@login_required
def change_password():
    g.private_page = True  # never stored by browsers or proxies
    form = ChangePasswordForm()
    if form.validate_on_submit() and perform(
            operations.change_password, current_user._get_current_object(),
            form.current_password.data, form.new_password.data, form=form):
        # The session version changed: a new cookie for this device (the proxy itself
        # must not be stored as the user, it would resolve to itself).
        login_user(current_user._get_current_object())
        flash(_("Your password has been changed. Other devices are signed out."), "success")
        return redirect(url_for("accounts.show_account"))
    return render_template("accounts/account.html", delete_form=DeleteAccountForm(),
                           password_form=form), 400


@bp.route("/account/delete", methods=["POST"])
@login_required
def delete_account():
    g.private_page = True  # never stored by browsers or proxies
    form = DeleteAccountForm()
    if form.validate_on_submit() and perform(
            operations.delete_account, current_user._get_current_object(), form.password.data,
            form=form):
        logout_user()
        flash(_("Your account has been deleted. Your opinions remain, without your "
                "name."), "success")
        return redirect(url_for("catalogue.show_home"))
    return render_template("accounts/account.html", delete_form=form,
                           password_form=ChangePasswordForm()), 400


@bp.route("/locale/<code>")
def set_locale(code: str):
    """Remember the visitor's language in a cookie (a preference of the browser: nothing
    on the server changes, so a plain link serves, and cached pages need no form)."""
    response = redirect(safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(LOCALE_COOKIE, code, max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


# -- administration -------------------------------------------------------------------


@bp.route("/admin/")
@login_required
def show_dashboard():
    require_official()
    g.private_page = True
    government_ids = sorted({m.government_id for m in current_user.memberships})
    governments = db.session.scalars(
        sa.select(Government).where(Government.id.in_(government_ids))
        .order_by(Government.id)).all()
    sections = sorted(signals.collect(signals.dashboard_sections_requested, current_user),
                      key=lambda section: section.order)
    from participation.core.timeutil import local_today
    from participation.core.workdays.operations import year_needed

    return render_template(
        "accounts/dashboard.html", governments=governments, sections=sections,
        is_admin={gov.id: current_user.is_administrator(gov.id) for gov in governments},
        missing_year=year_needed(local_today()))


TASK_STATE_LABELS = {
    TaskState.QUEUED: _l("Waiting"),
    TaskState.RUNNING: _l("Running"),
    TaskState.DONE: _l("Done"),
    TaskState.FAILED: _l("Failed"),
}


@bp.route("/admin/tasks/<int:task_id>")
@login_required
def show_task(task_id: int):
    task = load_or_404(Task, task_id, can_see_task)
    return render_template("accounts/task.html", task=task,
                           state_label=TASK_STATE_LABELS[task.state])


def _government(government_id: int) -> Government:
    return load_or_404(Government, government_id, can_administer)


def _unit_choices(government: Government, empty_label: str) -> list[tuple[int, str]]:
    units = db.session.scalars(sa.select(Unit).where(Unit.government_id == government.id)
                               .order_by(Unit.position)).all()
    return [(0, empty_label)] + [(u.id, u.name) for u in units]


def _unit(government: Government, unit_id: int | None) -> Unit | None:
    if not unit_id:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None or unit.government_id != government.id:
        abort(400)
    return unit


@bp.route("/admin/governments/<int:government_id>/units", methods=["GET", "POST"])
@login_required
def manage_units(government_id: int):
    government = _government(government_id)
    form = UnitForm()
    form.parent_id.choices = _unit_choices(government, _("(directly under the government)"))
    if form.validate_on_submit() and perform(
            operations.create_unit, government, form.name.data,
            _unit(government, form.parent_id.data), form=form,
            success=_("The unit has been created.")):
        return redirect(url_for("accounts.manage_units", government_id=government.id))
    units = db.session.scalars(sa.select(Unit).where(Unit.government_id == government.id)
                               .order_by(Unit.position)).all()
    return render_template("accounts/units.html", government=government, units=units,
                           form=form)


@bp.route("/admin/units/<int:unit_id>", methods=["GET", "POST"])
@login_required
def edit_unit(unit_id: int):
    unit = db.session.get(Unit, unit_id) or abort(404)
    government = _government(unit.government_id)
    form = UnitForm(obj=unit)
    form.parent_id.choices = _unit_choices(government, _("(directly under the government)"))
    if request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit() and perform(
            operations.update_unit, unit, form.name.data,
            _unit(government, form.parent_id.data), form=form,
            success=_("The unit has been saved.")):
        return redirect(url_for("accounts.manage_units", government_id=government.id))
    return render_template("accounts/unit_edit.html", government=government, unit=unit,
                           form=form)


def _role_choices():
    return [(role.value, str(ROLE_LABELS[role])) for role in Role]


@bp.route("/admin/governments/<int:government_id>/officials")
@login_required
def list_officials(government_id: int):
    government = _government(government_id)
    officials = db.session.scalars(
        sa.select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.government_id == government.id).distinct().order_by(User.id)
    ).all()
    return render_template("accounts/officials.html", government=government,
                           officials=officials, role_labels=ROLE_LABELS)


@bp.route("/admin/governments/<int:government_id>/officials/new", methods=["GET", "POST"])
@login_required
def create_official(government_id: int):
    government = _government(government_id)
    form = OfficialForm()
    form.role.choices = _role_choices()
    form.unit_id.choices = _unit_choices(government, _("(whole government)"))
    if form.validate_on_submit():
        done = perform(operations.create_official, government, form.email.data,
                       form.display_name.data, form.password.data, Role(form.role.data),
                       _unit(government, form.unit_id.data), form=form, field="unit_id",
                       success=_("The official has been created."))
        if done:
            return redirect(url_for("accounts.edit_official", government_id=government.id,
                                    user_id=done.value.id))
    return render_template("accounts/official_new.html", government=government, form=form)


@bp.route("/admin/governments/<int:government_id>/officials/<int:user_id>",
          methods=["GET", "POST"])
@login_required
def edit_official(government_id: int, user_id: int):
    government = _government(government_id)
    official = db.session.get(User, user_id) or abort(404)
    if not official.roles_in(government.id):
        abort(404)
    form = RoleForm()
    form.role.choices = _role_choices()
    form.unit_id.choices = _unit_choices(government, _("(whole government)"))
    if form.validate_on_submit() and perform(
            operations.grant_role, official, government, Role(form.role.data),
            _unit(government, form.unit_id.data), form=form, field="unit_id",
            success=_("The role has been granted.")):
        return redirect(url_for("accounts.edit_official", government_id=government.id,
                                user_id=official.id))
    return render_template("accounts/official_edit.html", government=government,
                           official=official, form=form, confirm_form=ConfirmForm(),
                           role_labels=ROLE_LABELS)


@bp.route("/admin/memberships/<int:membership_id>/revoke", methods=["POST"])
@login_required
def revoke_role(membership_id: int):
    membership = db.session.get(Membership, membership_id) or abort(404)
    government = _government(membership.government_id)
    user_id = membership.user_id
    if ConfirmForm().validate_on_submit():
        perform(operations.revoke_role, membership, success=_("The role has been removed."))
    if db.session.get(User, user_id).roles_in(government.id):
        return redirect(url_for("accounts.edit_official", government_id=government.id,
                                user_id=user_id))
    return redirect(url_for("accounts.list_officials", government_id=government.id))


@bp.route("/admin/governments/<int:government_id>/officials/<int:user_id>/active",
          methods=["POST"])
@login_required
def toggle_official(government_id: int, user_id: int):
    government = _government(government_id)
    official = db.session.get(User, user_id) or abort(404)
    if not official.roles_in(government.id) or official.id == current_user.id:
        abort(403)
    if ConfirmForm().validate_on_submit():
        perform(operations.set_active, official, government, not official.is_active_account,
                success=_("The account has been updated."))
    return redirect(url_for("accounts.edit_official", government_id=government.id,
                            user_id=official.id))


@bp.route("/admin/governments/<int:government_id>/audit")
@login_required
def list_audit_entries(government_id: int):
    government = _government(government_id)
    query = sa.select(AuditEntry).options(selectinload(AuditEntry.actor)).where(
        AuditEntry.government_id == government.id)
    action = text_arg("action", 64) or ""
    if action in audit_labels.ACTION_LABELS:
        query = query.where(AuditEntry.action == action)
    elif action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    page = paginate(query.order_by(AuditEntry.id.desc()), per_page=50)
    units = dict(db.session.execute(
        sa.select(Unit.id, Unit.name).where(Unit.government_id == government.id)).tuples().all())
    value_labels = _audit_value_labels({str(k): v for k, v in units.items()})
    official_ids = set(db.session.scalars(
        sa.select(Membership.user_id).where(Membership.government_id == government.id)))
    rows = [(entry, audit_labels.action_label(entry.action),
             audit_labels.readable_changes(entry.changes, value_labels, entry.object_type))
            for entry in page.items]
    return render_template("accounts/audit.html", government=government, page=page,
                           action=action, rows=rows,
                           links=audit_labels.object_links(page.items, official_ids),
                           object_labels=audit_labels.OBJECT_LABELS,
                           action_choices=audit_labels.action_choices())


def _audit_value_labels(unit_names: dict[str, str]) -> dict[str, dict[str, str]]:
    """Labels of the enum values found in audit entries, from the domains that own them."""
    def labels(mapping) -> dict[str, str]:
        return {str(key): label(text) for key, text in mapping.items()}

    return {"stage": labels(STAGE_LABELS), "channel": labels(CHANNEL_LABELS),
            "disclosure": labels(DISCLOSURE_LABELS), "document.kind": labels(DOCUMENT_KIND_LABELS),
            "role": labels(ROLE_LABELS), "unit_id": unit_names, "parent_id": unit_names,
            "moderation_state": labels(MODERATION_STATE_LABELS),
            "moderation_reason": labels(MODERATION_REASON_LABELS),
            "opinion.reason": labels(MODERATION_REASON_LABELS),
            "moderation_mode": labels(MODERATION_MODE_LABELS)}
from participation.accounts import calendar_views  # noqa: E402,F401  (routes on bp)
