"""Load the demo town (青禾镇) through the same operations officials use.

Dates are placed relative to today so the demo looks current whenever it is loaded: the
catalogue was published about nine months ago, one consultation is open now and one closed
months ago with 300+ opinions from every channel.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from participation.accounts import operations as accounts
from participation.accounts.models import Government, Role, Unit, User
from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Catalogue, CatalogueChange, ChangeKind, Decision, Stage
from participation.consultations import operations as consultation_ops
from participation.consultations.models import Consultation, DraftNode, SourceKind
from participation.core.database import utcnow
from participation.core.timeutil import local_today
from participation.demo import content
from participation.demo.meetings import load_meetings
from participation.dossier import operations as dossier_ops
from participation.extensions import db
from participation.open_days.demo import load_demo_open_days
from participation.opinions import counters as opinion_counters
from participation.opinions import operations as opinion_ops
from participation.opinions.models import Channel

DEMO_PASSWORD = "demo-password"  # noqa: S105 - printed by `make run`, demo data only
GOVERNMENT_SLUG = "qinghe"
CLOSED_OPINIONS = 340
OPEN_OPINIONS = 48


def is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count(Government.id))) == 0


def existing_demo_accounts() -> dict[str, str]:
    """The demo accounts still present in the database, with their roles."""
    listed: dict[str, str] = {}
    for spec in content.OFFICIALS:
        user = db.session.scalar(sa.select(User).where(User.email == spec["email"]))
        if user is not None and user.is_active:
            listed[spec["email"]] = ", ".join(sorted({m.role.value for m in user.memberships}))
    citizen = content.CITIZENS[0]["mobile"]
    if db.session.scalar(sa.select(User.id).where(User.mobile == citizen)):
        listed[citizen] = "citizen"
    return listed


def load_demo() -> dict[str, str]:
    """Create the demo government and its year; return ``{login: role description}``."""
    today = local_today()
    government = accounts.create_government(GOVERNMENT_SLUG, content.GOVERNMENT["name"],
                                            short_name=content.GOVERNMENT["short_name"],
                                            postal_address=content.GOVERNMENT["postal_address"],
                                            email=content.GOVERNMENT["email"],
                                            hotline=content.GOVERNMENT["hotline"],
                                            office_phone=content.GOVERNMENT["office_phone"])
    units = _load_units(government)
    accounts_list = _load_people(government, units)
    catalogue = catalogue_ops.create_catalogue(government, content.CATALOGUE_YEAR)
    published_on = min(date(content.CATALOGUE_YEAR, 2, 20), today - timedelta(days=270))
    decisions: dict[str, Decision] = {}
    specs = {spec["key"]: spec for spec in content.DECISIONS}
    admin = db.session.scalar(sa.select(User).where(User.email == content.OFFICIALS[0]["email"]))
    for spec in content.DECISIONS:
        if spec.get("catalogue_change", {}).get("kind") == "added":
            continue
        values = _decision_values(spec, units)
        if spec.get("catalogue_change", {}).get("kind") == "adjusted":
            values["planned_completion"] = values["planned_completion"] - timedelta(days=61)
        decisions[spec["key"]] = catalogue_ops.add_decision(catalogue, values, actor=admin)
    for decision in decisions.values():
        decision.stage_changes[0].occurred_on = published_on - timedelta(days=20)
    catalogue_ops.publish_catalogue(catalogue, published_on)
    for spec in content.DECISIONS:
        change = spec.get("catalogue_change")
        if change and change["kind"] == "added":
            decisions[spec["key"]] = catalogue_ops.add_decision(
                catalogue, _decision_values(spec, units), change["reason"], actor=admin)
        elif change and change["kind"] == "adjusted":
            catalogue_ops.adjust_decision(decisions[spec["key"]],
                                          _decision_values(spec, units), change["reason"],
                                          actor=admin)
        if spec.get("withdrawn"):
            catalogue_ops.withdraw_decision(decisions[spec["key"]], spec["withdrawn"],
                                            actor=admin)
    _date_catalogue_changes(catalogue, published_on, today)
    _load_consultations(decisions, admin, today)
    for key, spec in specs.items():
        decision = decisions[key]
        if spec.get("withdrawn"):
            continue
        _advance(decision, Stage(spec["stage"]), published_on, today, admin)
        for kind, document in spec.get("documents", {}).items():
            created = dossier_ops.create_document(decision, {
                "kind": kind, "title": document["title"], "body_html": document["body"],
                "disclosure": "proactive"}, actor=admin)
            dossier_ops.publish_document(created, actor=admin)
    load_meetings(decisions, admin)
    load_demo_open_days(government, units["economy_office"], actor=admin)
    db.session.flush()
    return accounts_list


def _load_units(government: Government) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for spec in content.UNITS:
        units[spec["key"]] = accounts.create_unit(government, spec["name"],
                                                  units.get(spec["parent"]))
    return units


def _load_people(government: Government, units: dict[str, Unit]) -> dict[str, str]:
    listed: dict[str, str] = {}
    top_units = [unit for unit in units.values() if unit.parent is None]
    for spec in content.OFFICIALS:
        user = accounts.create_official(government, spec["email"], spec["name"], DEMO_PASSWORD)
        role = Role(spec["role"])
        if role in (Role.APPROVER, Role.MODERATOR):
            # The demo's approver and moderator serve every unit of the town.
            for unit in top_units:
                accounts.grant_role(user, government, role, unit)
            where = "all units"
        else:
            unit = units.get(spec["unit"]) if spec["unit"] else None
            accounts.grant_role(user, government, role, unit)
            where = unit.name if unit else "whole government"
        listed[spec["email"]] = f"{role.value} ({where})"
    for spec in content.CITIZENS:
        db.session.add(User(display_name=spec["name"], mobile=spec["mobile"],
                            email=spec["email"],
                            password_hash=accounts.hash_password(DEMO_PASSWORD)))
    listed[content.CITIZENS[0]["mobile"]] = "citizen"
    db.session.flush()
    return listed


def _decision_values(spec: dict, units: dict[str, Unit]) -> dict:
    return {
        "title": spec["title"], "unit_id": units[spec["unit"]].id,
        "legal_basis": spec["legal_basis"], "summary": spec["summary"],
        "category": spec["category"],
        "planned_completion": date.fromisoformat(spec["planned_completion"]),
        "confidential": spec["confidential"],
    }


def _date_catalogue_changes(catalogue: Catalogue, published_on: date, today: date) -> None:
    """Spread the public history over the year, as it happens: the operations date every
    change today, the demo dates them between the publication and a few weeks ago, in the
    order they were made; an entry added later began its drafting on the day it was added."""
    changes = db.session.scalars(sa.select(CatalogueChange).where(
        CatalogueChange.catalogue_id == catalogue.id).order_by(CatalogueChange.id)).all()
    span = max(len(changes) + 1, ((today - timedelta(days=30)) - published_on).days)
    for index, change in enumerate(changes, start=1):
        change.occurred_on = published_on + timedelta(days=span * index // (len(changes) + 1))
        if change.kind == ChangeKind.ADDED:
            change.decision.stage_changes[0].occurred_on = change.occurred_on
    db.session.flush()


def _advance(decision: Decision, target: Stage, start: date, today: date, actor) -> None:
    """Walk ``decision`` forward to ``target`` through the stages its documents show."""
    path = [s for s in Stage if decision.stage.order < s.order <= target.order]
    if not path:
        return
    moment = max(start, decision.stage_changes[-1].occurred_on)
    step = max(1, ((today - timedelta(days=5)) - moment).days // (len(path) + 1))
    for stage in path:
        moment = min(moment + timedelta(days=step), today)
        catalogue_ops.move_to_stage(decision, stage, moment, actor=actor)


def _load_consultations(decisions: dict[str, Decision], actor, today: date) -> None:
    now = utcnow()
    # The closed one: version 1, then a revised version 2, then the period lies in the past.
    closed_decision = decisions[content.CLOSED_DRAFT["decision"]]
    closed = consultation_ops.open_consultation(closed_decision, {
        "title": content.CLOSED_DRAFT["title"], "text": content.CLOSED_DRAFT["text"],
        "source_kind": SourceKind.PASTED, "opens_at": now, "closes_at": now + timedelta(days=35),
        "other_channels": "征求意见期间在镇政府三楼会议室召开座谈会，"
                          "邀请商户、居民和出租车司机代表参加。",
    }, actor=actor)
    first_version = closed.draft_version
    consultation_ops.publish_revision(
        closed, content.CLOSED_DRAFT["revised_text"], SourceKind.PASTED,
        "根据第一轮意见修改了五条，删除原第八条，新增一条。", actor=actor)
    closed.draft_version = first_version
    closed.draft_version_id = first_version.id
    closes = datetime.combine(today - timedelta(days=150), datetime.min.time()) + timedelta(hours=8)
    closed.opens_at = closes - timedelta(days=35)
    closed.closes_at = closes
    closed_decision.stage_changes[-1].occurred_on = closed.opens_at.date()
    db.session.flush()
    _add_opinions(closed, "closed", CLOSED_OPINIONS, seed=20260401)
    # Show the revised version as current, as after the mid-consultation revision.
    closed.draft_version_id = closed.draft.versions[-1].id
    db.session.flush()

    open_decision = decisions[content.OPEN_DRAFT["decision"]]
    opens = now - timedelta(days=12)
    consultation = consultation_ops.open_consultation(open_decision, {
        "title": content.OPEN_DRAFT["title"], "text": content.OPEN_DRAFT["text"],
        "source_kind": SourceKind.PASTED, "opens_at": opens,
        "closes_at": opens + timedelta(days=40),
        "other_channels": "各村（社区）设置意见箱；镇政府将于征求意见期间召开座谈会。",
    }, actor=actor)
    open_decision.stage_changes[-1].occurred_on = opens.date()
    _add_opinions(consultation, "open", OPEN_OPINIONS, seed=20261101, max_days=11)


def _add_opinions(consultation: Consultation, key: str, count: int, seed: int,
                  max_days: int | None = None) -> None:
    nodes = db.session.scalars(sa.select(DraftNode).where(
        DraftNode.version_id == consultation.draft_version_id, DraftNode.kind == "article")).all()
    by_ordinal = {node.ordinal: node for node in nodes}
    rng = random.Random(seed)
    # Who spoke at the symposiums: enterprises and a trade association beside residents
    # (a separate stream, so the rest of the demo stays as it was).
    kinds = random.Random(seed + 1)
    for spec in content.generate_opinions(key, sorted(by_ordinal), count, seed):
        days = spec["day_offset"] if max_days is None else min(spec["day_offset"], max_days)
        received = consultation.opens_at + timedelta(days=days, hours=rng.randint(1, 10),
                                                     minutes=rng.randint(0, 59))
        received = min(received, utcnow() - timedelta(minutes=5))
        node = by_ordinal.get(spec["article_ordinal"])
        channel = Channel(spec["channel"])
        if channel == Channel.ONLINE:
            opinion = opinion_ops._new_opinion(
                consultation, node, channel=channel, received_at=received, body=spec["body"],
                display_name=spec["name"], contact=spec["contact"],
                consent_to_publish=spec["consent_to_publish"])
            db.session.add(opinion)
            db.session.flush()
            opinion_counters.count(consultation, opinion.node_id, public=int(opinion.is_public))
        else:
            draw = kinds.random() if channel == Channel.SYMPOSIUM else 1.0
            opinion_ops.record_offline(consultation, {
                "channel": channel, "reference": spec["reference"], "received_at": received,
                "node_id": node.id if node else None, "body": spec["body"],
                "display_name": spec["name"], "contact": spec["contact"],
                "consent_to_publish": spec["consent_to_publish"],
                "submitter_kind": "enterprise" if draw < 0.35
                else "trade_association" if draw < 0.45 else "person"})
    db.session.expire(consultation, ["opinion_count"])
