"""Opinion counters per source and per article agree with COUNT(*); `flask opinions recount`."""

from __future__ import annotations

import sqlalchemy as sa

from participation.consultations.models import Consultation, DraftNode
from participation.core.audit import AuditEntry
from participation.extensions import db
from participation.opinions import counters as opinion_counters
from participation.opinions.models import SOURCE_COLUMNS, one_source_check
from tests import factories
from tests.opinions.test_opinion_flow import _article, _submit, consultation  # noqa: F401


def test_recount_corrects_every_counter_and_says_what_it_changed(runner, client,
                                                                 consultation):  # noqa: F811
    article = _article(consultation, 2)
    _submit(client, consultation, node_id=str(article.id), submission_key="a")
    _submit(client, consultation, submission_key="b", consent_to_publish="")
    factories.assert_counters_agree()
    db.session.execute(sa.update(Consultation).where(Consultation.id == consultation.id)
                       .values(opinion_count=7, public_opinion_count=0))
    db.session.execute(sa.update(DraftNode).where(DraftNode.id == article.id)
                       .values(opinion_count=0))
    db.session.commit()
    result = runner.invoke(args=["opinions", "recount"])
    assert result.exit_code == 0, result.output
    assert f"consultation {consultation.id} opinion_count: 7 -> 2" in result.output
    assert f"consultation {consultation.id} public_opinion_count: 0 -> 1" in result.output
    assert f"draft_node {article.id} opinion_count: 0 -> 1" in result.output
    assert "3 counter(s) corrected." in result.output
    db.session.expire_all()
    assert db.session.get(Consultation, consultation.id).opinion_count == 2
    assert db.session.get(Consultation, consultation.id).public_opinion_count == 1
    assert db.session.get(DraftNode, article.id).opinion_count == 1
    factories.assert_counters_agree()
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "opinion.counter_corrected")) == 3
    again = runner.invoke(args=["opinions", "recount"])
    assert "Every counter agrees with the opinions." in again.output


def test_counters_are_kept_per_source(consultation):  # noqa: F811
    counters = opinion_counters.source_counters(consultation)
    assert counters.model is Consultation
    assert counters.opinion_column in SOURCE_COLUMNS
    assert [column for column, _condition in counters.columns()] == [
        "opinion_count", "public_opinion_count"]
    # A second kind of source extends the one-source CHECK without rewriting it.
    extended = one_source_check((*SOURCE_COLUMNS, "another_source_id"))
    assert extended.count("IS NOT NULL") == len(SOURCE_COLUMNS) + 1
