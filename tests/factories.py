"""Test data built through the same operations officials use (so it passes validation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count

from werkzeug.security import generate_password_hash

from participation.accounts import operations as accounts
from participation.accounts.models import Government, Role, Unit, User
from participation.catalogue import operations as catalogue_ops
from participation.catalogue.models import Catalogue, Decision
from participation.consultations import operations as consultation_ops
from participation.consultations.models import Consultation
from participation.core.database import utcnow
from participation.extensions import db
from tests.conftest import PASSWORD

_sequence = count(1)

LEGAL_DRAFT = """青禾镇测试管理办法（征求意见稿）
第一章　总则
第一条　为了规范测试工作，制定本办法。
第二条　本办法适用于本镇行政区域内的测试活动。
镇人民政府负责组织实施本办法。
第二章　管理
第三条　测试单位应当遵守下列规定：
（一）如实记录；
（二）按时报告。
第四条　违反本办法第三条规定的，由镇人民政府责令改正。
第五条　本办法自发布之日起施行。
"""


@dataclass
class World:
    government: Government
    unit: Unit
    sub_unit: Unit
    other_unit: Unit
    admin: User
    editor: User
    approver: User
    moderator: User
    other_approver: User
    citizen: User


def make_government(**kwargs) -> Government:
    n = next(_sequence)
    return accounts.create_government(kwargs.pop("slug", f"gov{n}"),
                                      kwargs.pop("name", f"测试镇{n}人民政府"),
                                      postal_address="测试路1号", email="gov@example.gov.cn",
                                      **kwargs)


def make_official(government: Government, role: Role, unit: Unit | None = None,
                  name: str | None = None) -> User:
    n = next(_sequence)
    user = accounts.create_official(government, f"official{n}@example.gov.cn",
                                    name or f"官员{n}", PASSWORD)
    accounts.grant_role(user, government, role, unit)
    return user


def make_citizen(name: str = "王秀兰") -> User:
    n = next(_sequence)
    user = User(display_name=name, mobile=f"139{n:08d}",
                password_hash=generate_password_hash(PASSWORD, "pbkdf2:sha256:1000"))
    db.session.add(user)
    db.session.flush()
    return user


def make_world() -> World:
    government = make_government()
    unit = accounts.create_unit(government, "农业农村办公室")
    sub_unit = accounts.create_unit(government, "农业技术组", parent=unit)
    other_unit = accounts.create_unit(government, "经济发展办公室")
    world = World(
        government=government, unit=unit, sub_unit=sub_unit, other_unit=other_unit,
        admin=make_official(government, Role.ADMINISTRATOR),
        editor=make_official(government, Role.EDITOR, unit),
        approver=make_official(government, Role.APPROVER, unit),
        moderator=make_official(government, Role.MODERATOR, unit),
        other_approver=make_official(government, Role.APPROVER, other_unit),
        citizen=make_citizen(),
    )
    db.session.commit()
    return world


def make_catalogue(government: Government, year: int = 2026, published: bool = True
                   ) -> Catalogue:
    catalogue = catalogue_ops.create_catalogue(government, year)
    if published:
        catalogue_ops.add_decision(catalogue, decision_values(government.units[0]))
        catalogue_ops.publish_catalogue(catalogue, date(year, 2, 1))
    db.session.flush()
    return catalogue


def decision_values(unit: Unit, **overrides) -> dict:
    values = {"title": f"测试决策事项{next(_sequence)}", "unit_id": unit.id,
              "legal_basis": "《重大行政决策程序暂行条例》", "summary": "摘要",
              "category": "农业农村", "planned_completion": date(2026, 12, 31),
              "confidential": False}
    values.update(overrides)
    return values


def make_decision(catalogue: Catalogue, unit: Unit, reason: str | None = "测试增列",
                  **overrides) -> Decision:
    decision = catalogue_ops.add_decision(catalogue, decision_values(unit, **overrides),
                                          reason if catalogue.is_published else None)
    db.session.flush()
    return decision


def make_consultation(decision: Decision, *, text: str = LEGAL_DRAFT, opens_delta_days=-1,
                      days: int = 30, reason: str = "", **values) -> Consultation:
    opens = utcnow() + timedelta(days=opens_delta_days)
    consultation = consultation_ops.open_consultation(decision, {
        "title": values.pop("title", "测试管理办法（征求意见稿）"), "text": text,
        "opens_at": opens, "closes_at": opens + timedelta(days=days),
        "short_period_reason": reason, **values})
    db.session.commit()
    return consultation


def close(consultation: Consultation) -> None:
    """Put the consultation's period in the past (as time passing would)."""
    consultation.opens_at = utcnow() - timedelta(days=40)
    consultation.closes_at = utcnow() - timedelta(days=5)
    db.session.commit()


def assert_counters_agree() -> None:
    """Every denormalised opinion counter equals the COUNT(*) of its opinions; call it
    after each operation that changes them."""
    from participation.opinions.counters import counter_mismatches

    db.session.flush()
    assert counter_mismatches() == []


def last_code() -> tuple[str, str]:
    """(destination, code) of the last verification code the console outbox wrote."""
    import re

    from participation.core.outbox import CONSOLE_SENT

    recipient, _subject, body = CONSOLE_SENT[-1]
    return recipient, re.search(r"\d{6}", body).group()


def upload_import(client, consultation, data: bytes, name: str = "opinions.csv"):
    """Upload a file on the import page (the response: a redirect to its progress page)."""
    import io

    return client.post(f"/admin/consultations/{consultation.id}/opinions/import",
                       data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def import_through_page(client, consultation, data: bytes, name: str = "opinions.csv"):
    """Upload a file, let the worker run its import task, and return the import's page
    (its ``record`` attribute: the :class:`OpinionImport`)."""
    from participation.core.tasks import run_one
    from participation.opinions.models import OpinionImport

    response = upload_import(client, consultation, data, name)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    assert "/opinions/imports/" in location
    assert run_one() is True
    db.session.expire_all()
    page = client.get(location)
    page.record = db.session.get(OpinionImport, int(location.rstrip("/").rsplit("/", 1)[1]))
    return page


def docx_text(data: bytes) -> str:
    """Every paragraph and table cell of a Word document, one per line."""
    import io

    from docx import Document

    document = Document(io.BytesIO(data))
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        lines.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(lines)


def import_file(consultation: Consultation, data: bytes, name: str = "hotline.csv"):
    """Import a file's rows as the command line does (the same code as the web task);
    the import's result."""
    import hashlib
    import tempfile
    from pathlib import Path

    from participation.opinions.imports.running import new_import, run_import

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        record = new_import(consultation, path.name, hashlib.sha256(data).hexdigest())
        return run_import(record, path)
