"""Governments, units (承办单位), user accounts and the roles officials hold per unit."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.core.database import TimestampMixin, enum_column
from participation.extensions import db


class Government(TimestampMixin, db.Model):
    """The deciding authority (政府 / 决策机关): a town, county or city government."""

    __tablename__ = "government"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True,
                                      comment="short name used in URLs")
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, comment="e.g. 青禾镇人民政府")
    short_name: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    postal_address: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="",
                                                comment="where letters with opinions go")
    email: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="",
                                       comment="mailbox that receives opinions")
    hotline: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="12345")
    office_phone: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="")
    feedback_working_days: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=10, server_default="10",
        comment="the feedback report is due this many working days after the decision "
                "document is issued")

    units = relationship("Unit", back_populates="government", order_by="Unit.position")

    def __repr__(self) -> str:
        return f"<Government {self.slug}>"


class Unit(TimestampMixin, db.Model):
    """A responsible unit (承办单位/科室); units nest under a government and each other."""

    __tablename__ = "unit"
    __table_args__ = (
        sa.UniqueConstraint("government_id", "name"),
        sa.Index("ix_unit_parent_id", "parent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="CASCADE"), nullable=False, index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("unit.id", ondelete="RESTRICT"), nullable=True,
        comment="enclosing unit; null for a unit directly under the government",
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                          comment="display order among siblings")

    government = relationship("Government", back_populates="units")
    parent = relationship("Unit", remote_side=[id], back_populates="children")
    children = relationship("Unit", back_populates="parent", order_by="Unit.position")

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"

    def ancestors_and_self(self) -> list[Unit]:
        """This unit and every enclosing one, innermost first (a role on a parent applies)."""
        chain: list[Unit] = []
        unit: Unit | None = self
        while unit is not None and unit not in chain:
            chain.append(unit)
            unit = unit.parent
        return chain


class Role(enum.StrEnum):
    """What an official may do, per unit (administrator: the whole government)."""

    ADMINISTRATOR = "administrator"
    EDITOR = "editor"
    APPROVER = "approver"
    MODERATOR = "moderator"


class User(UserMixin, TimestampMixin, db.Model):
    """An account: a citizen (self-registered) or an official (created by an administrator)."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(100), nullable=False,
                                              comment="shown on opinions when not anonymous")
    email: Mapped[str | None] = mapped_column(sa.String(200), nullable=True, unique=True,
                                              comment="lower-case; private")
    mobile: Mapped[str | None] = mapped_column(sa.String(20), nullable=True, unique=True,
                                               comment="11-digit mainland mobile; private")
    password_hash: Mapped[str | None] = mapped_column(sa.String(255), nullable=True,
                                                      comment="werkzeug hash; null when deleted")
    locale: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    is_active_account: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    deleted_at: Mapped[datetime | None] = mapped_column(
        sa.DateTime, nullable=True, comment="set when the person deleted the account"
    )
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)
    session_version: Mapped[int] = mapped_column(
        sa.Integer, nullable=False, default=1,
        comment="bumped on password change or deletion; invalidates other sessions",
    )

    memberships = relationship("Membership", back_populates="user",
                               cascade="all, delete-orphan", foreign_keys="Membership.user_id")

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name}>"

    # Flask-Login
    @property
    def is_active(self) -> bool:
        return self.is_active_account and self.deleted_at is None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_official(self) -> bool:
        return bool(self.memberships)

    def roles_in(self, government_id: int) -> list[Membership]:
        return [m for m in self.memberships if m.government_id == government_id]

    def has_role(self, roles: set[Role], unit: Unit | None = None,
                 government_id: int | None = None) -> bool:
        """True when the user holds one of ``roles`` on ``unit`` (or an enclosing unit),
        or is an administrator of the unit's government."""
        gov_id = unit.government_id if unit is not None else government_id
        if gov_id is None:
            return False
        unit_ids = {u.id for u in unit.ancestors_and_self()} if unit is not None else set()
        for membership in self.memberships:
            if membership.government_id != gov_id:
                continue
            if membership.role == Role.ADMINISTRATOR:
                return True
            if membership.role in roles and (
                unit is None or membership.unit_id in unit_ids
            ):
                return True
        return False

    def is_administrator(self, government_id: int) -> bool:
        return any(m.role == Role.ADMINISTRATOR and m.government_id == government_id
                   for m in self.memberships)


class Membership(TimestampMixin, db.Model):
    """A role an official holds in a unit (or in the whole government, for administrators)."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "government_id", "unit_id", "role"),
        # A NULL unit defeats the constraint above: one administrator role per government.
        sa.Index("uq_membership_administrator", "user_id", "government_id", unique=True,
                 sqlite_where=sa.text("role = 'administrator'"),
                 postgresql_where=sa.text("role = 'administrator'")),
        sa.Index("ix_membership_unit_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    government_id: Mapped[int] = mapped_column(
        sa.ForeignKey("government.id", ondelete="CASCADE"), nullable=False, index=True
    )
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("unit.id", ondelete="CASCADE"), nullable=True,
        comment="null for administrators (whole government)",
    )
    role: Mapped[Role] = mapped_column(enum_column(Role), nullable=False)

    user = relationship("User", back_populates="memberships", foreign_keys=[user_id])
    government = relationship("Government")
    unit = relationship("Unit")

    def __repr__(self) -> str:
        return f"<Membership {self.user_id} {self.role} unit={self.unit_id}>"


class VerificationPurpose(enum.StrEnum):
    REGISTER = "register"


class VerificationCode(TimestampMixin, db.Model):
    """A one-time code sent to a mobile number or e-mail address to prove it is the person's."""

    __tablename__ = "verification_code"
    __table_args__ = (sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True,
                                       comment="random handle kept in the visitor's session")
    purpose: Mapped[VerificationPurpose] = mapped_column(enum_column(VerificationPurpose),
                                                         nullable=False)
    destination: Mapped[str] = mapped_column(sa.String(200), nullable=False, index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    payload: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict,
                                          comment="pending registration (name, password hash)")
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime, nullable=True)

    def __repr__(self) -> str:
        return f"<VerificationCode {self.purpose} {self.id}>"


ROLE_LABELS = {
    Role.ADMINISTRATOR: _l("Administrator"),
    Role.EDITOR: _l("Editor"),
    Role.APPROVER: _l("Approver"),
    Role.MODERATOR: _l("Moderator"),
}
