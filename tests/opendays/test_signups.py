"""Signups, the waitlist and the one promotion rule, at the level of the operations:
what is stored, what the counter says, who is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from participation.core.audit import AuditEntry
from participation.core.database import utcnow
from participation.core.outbox import OutboxMessage
from participation.extensions import db
from participation.open_days import operations
from participation.open_days.models import CODE_ALPHABET, OpenDay, Signup, SignupState
from participation.open_days.operations import OpenDayError
from tests.opendays.factories import make_open_day, sign_up


def _states(open_day: OpenDay) -> list[tuple[str, str]]:
    return [
        (s.name, s.state.value)
        for s in db.session.scalars(
            sa.select(Signup).where(Signup.open_day_id == open_day.id).order_by(Signup.position)
        )
    ]


def _messages_to(mobile: str) -> list[str]:
    return list(
        db.session.scalars(sa.select(OutboxMessage.body).where(OutboxMessage.recipient == mobile))
    )


def _check_counters(open_day: OpenDay) -> None:
    db.session.expire_all()
    signups = db.session.scalars(sa.select(Signup).where(Signup.open_day_id == open_day.id)).all()
    confirmed = sum(s.places for s in signups if s.state == SignupState.CONFIRMED)
    waiting = sum(1 for s in signups if s.state == SignupState.WAITLISTED)
    assert (open_day.confirmed_count, open_day.waitlisted_count) == (confirmed, waiting)
    assert open_day.confirmed_count <= open_day.capacity


def test_signups_are_confirmed_while_places_remain_then_waitlisted(world):
    open_day = make_open_day(world, capacity=3)
    first = sign_up(open_day, 1, companions=1)
    second = sign_up(open_day, 2, companions=1)  # needs 2, 1 left: waits
    third = sign_up(open_day, 3)  # fits, but must queue behind the second
    assert [first.state, second.state, third.state] == [
        SignupState.CONFIRMED,
        SignupState.WAITLISTED,
        SignupState.WAITLISTED,
    ]
    assert first.position < second.position < third.position
    assert open_day.places_left == 1
    assert open_day.is_full
    assert set(first.code) <= set(CODE_ALPHABET)
    assert len(first.code) == 6
    assert not set(first.code) & set("01OI")
    assert "签到码" in _messages_to(first.mobile)[0]
    assert "候补" in _messages_to(second.mobile)[0]
    _check_counters(open_day)


def test_one_active_signup_per_person(world):
    open_day = make_open_day(world)
    sign_up(open_day, 1)
    with pytest.raises(OpenDayError) as refused:
        sign_up(open_day, 1)
    assert refused.value.code == "already_signed_up"


def test_companions_beyond_the_allowance_are_refused(world):
    open_day = make_open_day(world, companions_allowed=1)
    with pytest.raises(OpenDayError) as refused:
        sign_up(open_day, 1, companions=2)
    assert refused.value.code == "too_many_companions"


def test_signups_outside_the_window_are_refused(world):
    now = utcnow()
    open_day = make_open_day(
        world, signup_opens_at=now + timedelta(days=1), signup_closes_at=now + timedelta(days=2)
    )
    with pytest.raises(OpenDayError) as refused:
        sign_up(open_day, 1)
    assert refused.value.code == "not_open"
    draft = make_open_day(world, publish=False)
    with pytest.raises(OpenDayError):
        sign_up(draft, 2)


def test_a_cancellation_promotes_the_head_of_the_waitlist_and_tells_them(world):
    open_day = make_open_day(world, capacity=2)
    first = sign_up(open_day, 1)
    sign_up(open_day, 2)
    waiting = sign_up(open_day, 3)
    later = sign_up(open_day, 4)
    operations.cancel_signup(first)
    db.session.expire_all()
    assert waiting.state == SignupState.CONFIRMED
    assert waiting.promoted_at is not None
    assert later.state == SignupState.WAITLISTED
    assert first.state == SignupState.CANCELLED
    promoted = [m for m in _messages_to(waiting.mobile) if "有名额空出" in m]
    assert promoted
    assert waiting.token in promoted[0]
    _check_counters(open_day)


def test_an_organizers_cancellation_promotes_too(world):
    open_day = make_open_day(world, capacity=1)
    first = sign_up(open_day, 1)
    waiting = sign_up(open_day, 2)
    operations.cancel_signup(first, actor=world.editor)
    db.session.expire_all()
    assert waiting.state == SignupState.CONFIRMED
    assert first.cancelled_by_id == world.editor.id
    _check_counters(open_day)


def test_a_capacity_increase_promotes_in_order(world):
    open_day = make_open_day(world, capacity=1)
    sign_up(open_day, 1)
    second = sign_up(open_day, 2, companions=1)
    third = sign_up(open_day, 3)
    operations.change_capacity(open_day, 3, actor=world.editor)
    db.session.expire_all()
    assert second.state == SignupState.CONFIRMED
    assert third.state == SignupState.WAITLISTED  # 3 places: 1 + 2 taken
    operations.change_capacity(open_day, 4, actor=world.editor)
    db.session.expire_all()
    assert third.state == SignupState.CONFIRMED
    _check_counters(open_day)


def test_the_capacity_cannot_drop_below_the_confirmed_places(world):
    open_day = make_open_day(world, capacity=3)
    sign_up(open_day, 1, companions=2)
    with pytest.raises(OpenDayError) as refused:
        operations.change_capacity(open_day, 2)
    assert refused.value.code == "capacity_below_confirmed"


def test_fewer_companions_free_places_for_the_waitlist(world):
    open_day = make_open_day(world, capacity=3)
    first = sign_up(open_day, 1, companions=2)
    waiting = sign_up(open_day, 2)
    operations.change_companions(first, 1)
    db.session.expire_all()
    assert waiting.state == SignupState.CONFIRMED
    with pytest.raises(OpenDayError) as refused:
        operations.change_companions(first, 2)
    assert refused.value.code == "no_places_for_companions"
    _check_counters(open_day)


def test_a_promoted_person_can_decline_and_the_next_one_moves_up(world):
    open_day = make_open_day(world, capacity=1)
    first = sign_up(open_day, 1)
    second = sign_up(open_day, 2)
    third = sign_up(open_day, 3)
    with pytest.raises(OpenDayError):
        operations.decline_promotion(first)  # never promoted
    operations.cancel_signup(first)
    operations.decline_promotion(second)
    db.session.expire_all()
    assert second.state == SignupState.DECLINED
    assert third.state == SignupState.CONFIRMED
    _check_counters(open_day)


def test_promotion_stops_before_the_event(world):
    now = utcnow()
    open_day = make_open_day(
        world,
        capacity=1,
        starts_at=now + timedelta(hours=10),
        ends_at=now + timedelta(hours=12),
        signup_closes_at=now + timedelta(hours=9),
        promotion_stop_hours=12,
    )
    first = sign_up(open_day, 1)
    waiting = sign_up(open_day, 2)
    operations.cancel_signup(first)
    db.session.expire_all()
    assert waiting.state == SignupState.WAITLISTED
    assert open_day.places_left == 1


def test_check_in_by_code_is_harmless_when_repeated(world):
    open_day = make_open_day(world, capacity=1)
    signup = sign_up(open_day, 1)
    waiting = sign_up(open_day, 2)
    checked, first = operations.check_in(open_day, signup.code.lower(), actor=world.moderator)
    assert first
    assert checked.checked_in_at is not None
    at = checked.checked_in_at
    again, first_again = operations.check_in(open_day, signup.code, actor=world.editor)
    assert not first_again
    assert again.checked_in_at == at
    assert again.checked_in_by_id == world.moderator.id
    with pytest.raises(OpenDayError) as refused:
        operations.check_in(open_day, waiting.code)
    assert refused.value.code == "not_confirmed"
    with pytest.raises(OpenDayError) as unknown:
        operations.check_in(open_day, "ZZZZZZ")
    assert unknown.value.code == "unknown_code"
    entries = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "open_day.checked_in")
    )
    assert entries == 1


def test_releasing_no_shows_frees_their_places(world):
    now = utcnow()
    open_day = make_open_day(world, capacity=3, promotion_stop_hours=0)
    came = sign_up(open_day, 1)
    absent = sign_up(open_day, 2, companions=1)
    with pytest.raises(OpenDayError):
        operations.release_no_shows(open_day, now=now)
    operations.check_in(open_day, came.code)
    start = open_day.starts_at
    waiting = sign_up(open_day, 3, companions=1)
    released = operations.release_no_shows(open_day, now=start + timedelta(minutes=1))
    db.session.expire_all()
    assert released == 1
    assert absent.state == SignupState.NO_SHOW
    # Promotion stopped at the start (0 hours before): the place is left for walk-ins.
    assert waiting.state == SignupState.WAITLISTED
    _check_counters(open_day)


def test_mobile_signup_needs_the_code_sent_to_the_number(world):
    open_day = make_open_day(world)
    token, code = operations.start_mobile_signup(
        open_day, name="赵大爷", mobile="139 0000 8888", companions=1, answers={"q1": "退休"}
    )
    assert any(code in body for body in _messages_to("13900008888"))
    with pytest.raises(OpenDayError) as wrong:
        operations.confirm_mobile_signup(
            open_day, token, "000000" if code != "000000" else "111111"
        )
    assert wrong.value.code == "code_wrong"
    signup = operations.confirm_mobile_signup(open_day, token, code)
    assert signup.state == SignupState.CONFIRMED
    assert signup.mobile == "13900008888"
    assert signup.companions == 1
    assert signup.user_id is None
    # The same code again leads to the same signup.
    assert operations.confirm_mobile_signup(open_day, token, code).id == signup.id
    with pytest.raises(OpenDayError) as again:
        operations.start_mobile_signup(
            open_day, name="赵大爷", mobile="13900008888", answers={"q1": "退休"}
        )
    assert again.value.code == "already_signed_up"


def test_required_questions_need_an_answer(world):
    open_day = make_open_day(world)
    with pytest.raises(OpenDayError) as refused:
        operations.sign_up(open_day, name="张三", mobile="13900001111", answers={})
    assert refused.value.code == "answer_required"


def test_the_database_refuses_a_counter_beyond_the_capacity(world):
    open_day = make_open_day(world, capacity=1)
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.update(OpenDay).where(OpenDay.id == open_day.id).values(confirmed_count=2)
        )


def test_a_deleted_account_frees_its_place_and_leaves_no_trace(world):
    from participation.core import signals

    open_day = make_open_day(world, capacity=1)
    mine = operations.sign_up(
        open_day, name=world.citizen.display_name, user=world.citizen, answers={"q1": "x"}
    )
    waiting = sign_up(open_day, 2)
    signals.account_deleted.send(world.citizen)
    db.session.expire_all()
    assert mine.state == SignupState.CANCELLED
    assert mine.user_id is None
    assert mine.mobile is None
    assert mine.name == ""
    assert world.citizen.mobile not in mine.person_key
    assert waiting.state == SignupState.CONFIRMED


def test_used_and_expired_verifications_are_purged(world):
    from participation.open_days.models import SignupVerification

    open_day = make_open_day(world)
    token, code = operations.start_mobile_signup(
        open_day, name="赵", mobile="13900005555", answers={"q1": "x"}
    )
    operations.confirm_mobile_signup(open_day, token, code)
    operations.start_mobile_signup(open_day, name="钱", mobile="13900005556", answers={"q1": "x"})
    assert operations.purge_verifications() == 1
    assert db.session.scalar(sa.select(sa.func.count(SignupVerification.id))) == 1


def test_a_check_in_code_drawn_twice_is_drawn_again_by_perform(world, monkeypatch):
    """Once in millions a new code equals one the event already has: the insert fails,
    perform() rolls back and runs the signup again with a new code; the person sees
    nothing of it and the counters stay right."""
    from participation.core.transaction import perform

    open_day = make_open_day(world, capacity=5)
    first = sign_up(open_day, 1)
    db.session.commit()
    codes = iter([first.code, first.code, "ZZZZZZ"])
    monkeypatch.setattr(operations, "new_code", lambda: next(codes))
    done = perform(sign_up, open_day, 2)
    assert done.ok
    assert done.value.code == "ZZZZZZ"
    assert done.value.state == SignupState.CONFIRMED
    assert len(_states(open_day)) == 2
    _check_counters(open_day)


def test_a_second_signup_of_the_same_person_is_refused_without_taking_places(app, world):
    from participation.core.transaction import perform

    open_day = make_open_day(world, capacity=5)
    sign_up(open_day, 1)
    db.session.commit()
    with app.test_request_context("/", method="POST"):
        refused = perform(sign_up, open_day, 1)
    assert not refused.ok
    assert refused.error.code == "already_signed_up"
    db.session.expire_all()
    assert open_day.confirmed_count == 1
    _check_counters(open_day)


def test_a_code_confirmed_after_the_number_signed_up_otherwise_is_refused(app, world):
    """The number signed up by another way between asking for the code and typing it:
    the unique index refuses the second signup, the visitor is told, nothing breaks."""
    from participation.core.transaction import perform

    open_day = make_open_day(world, capacity=5)
    token, code = operations.start_mobile_signup(
        open_day, name="赵大爷", mobile="13900008888", answers={"q1": "退休"}
    )
    db.session.commit()
    operations.sign_up(open_day, name="赵大爷", mobile="13900008888", answers={"q1": "退休"})
    db.session.commit()
    with app.test_request_context("/", method="POST"):
        refused = perform(
            operations.confirm_mobile_signup, open_day, token, code, keep_on_error=True
        )
    assert not refused.ok
    assert refused.error.code == "already_signed_up"
    _check_counters(open_day)
