"""Dispatching: skills and region are respected, a technician is never booked twice at
once (travel buffer included), and of two dispatchers booking overlapping visits for one
technician at the same moment exactly one wins; the other is told which visit is in the way.
"""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from aftersales.core.exceptions import DomainError
from aftersales.fieldservice import services as s
from aftersales.fieldservice.models import RepairJob, Visit
from tests.factories import as_shown
from tests.services import postgres_in_use, require_or_skip

from .conftest import tomorrow_at


def _dispatch(job, dispatcher, technician, start, hours=2, buffer_minutes=30):
    return s.job_dispatch(job_pk=job.pk, kind=job.kind, actor=dispatcher,
                          technician_pk=technician.pk, start=start,
                          end=start + timedelta(hours=hours),
                          travel_buffer=timedelta(minutes=buffer_minutes))


@pytest.mark.django_db
def test_a_second_overlapping_visit_is_refused_naming_the_visit_in_the_way(
        repair_in, tech, dispatcher):
    first = repair_in("DISPATCHED", technician=tech, hour=10)
    other = repair_in("TRIAGED", technician=tech)

    with pytest.raises(DomainError) as refused:
        _dispatch(other, dispatcher, tech, tomorrow_at(11))

    message = as_shown(refused.value.message)
    assert first.number in message and "10:00" in message
    assert RepairJob.objects.get(pk=other.pk).state == "TRIAGED"
    assert Visit.objects.filter(technician=tech, cancelled=False).count() == 1


@pytest.mark.django_db
def test_the_travel_buffer_keeps_the_next_visit_away(repair_in, tech, dispatcher):
    repair_in("DISPATCHED", technician=tech, hour=10)  # 10:00–12:00, blocked until 12:30
    other = repair_in("TRIAGED", technician=tech)

    with pytest.raises(DomainError):
        _dispatch(other, dispatcher, tech, tomorrow_at(12, 15))
    _dispatch(other, dispatcher, tech, tomorrow_at(12, 30))

    assert RepairJob.objects.get(pk=other.pk).state == "DISPATCHED"


@pytest.mark.django_db
def test_another_technician_may_take_the_same_time(repair_in, tech, tech2, dispatcher):
    repair_in("DISPATCHED", technician=tech, hour=10)
    other = repair_in("TRIAGED", technician=tech)

    _dispatch(other, dispatcher, tech2, tomorrow_at(10))

    assert RepairJob.objects.get(pk=other.pk).assignee == tech2.user


@pytest.mark.django_db
def test_a_technician_without_the_skill_or_in_another_region_is_refused(
        repair_in, tech, make_technician, dispatcher):
    job = repair_in("TRIAGED", technician=tech)
    phones_only = make_technician("phones", skills=["Phones"])
    beijing = make_technician("beijing", region="北京")

    for technician in (phones_only, beijing):
        with pytest.raises(DomainError):
            _dispatch(job, dispatcher, technician, tomorrow_at(10))
    assert not Visit.objects.filter(job=job).exists()


@pytest.mark.django_db
def test_a_cancelled_visit_frees_its_time(repair_in, tech, dispatcher):
    first = repair_in("DISPATCHED", technician=tech, hour=10)
    s.job_unassign(job_pk=first.pk, kind=first.kind, actor=dispatcher)
    other = repair_in("TRIAGED", technician=tech)

    _dispatch(other, dispatcher, tech, tomorrow_at(10))

    assert RepairJob.objects.get(pk=first.pk).state == "SCHEDULED"
    assert RepairJob.objects.get(pk=other.pk).state == "DISPATCHED"


@pytest.mark.django_db
def test_the_database_itself_refuses_overlapping_visits_on_postgresql(repair_in, tech):
    require_or_skip(postgres_in_use(), "the exclusion constraint exists on PostgreSQL only")
    from django.db import IntegrityError, transaction

    first = repair_in("DISPATCHED", technician=tech, hour=10)
    visit = first.visits.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(job=first, technician=tech, start=visit.start + timedelta(hours=1),
                             end=visit.end + timedelta(hours=1),
                             blocked_until=visit.end + timedelta(hours=2))


class _PostgresError(Exception):
    def __init__(self, pgcode: str):
        super().__init__(pgcode)
        self.pgcode = pgcode


def _insert_failing_once(monkeypatch, pgcode: str) -> list[str]:
    """Visit inserts fail once as PostgreSQL fails them with ``pgcode``, then go through."""
    from django.db import OperationalError

    real_save = Visit.save
    calls: list[str] = []

    def save(visit, *args, **kwargs):
        calls.append("insert")
        if len(calls) == 1:
            raise OperationalError(pgcode) from _PostgresError(pgcode)
        return real_save(visit, *args, **kwargs)

    monkeypatch.setattr(Visit, "save", save)
    return calls


@pytest.mark.django_db
def test_a_booking_aborted_to_break_a_deadlock_is_made_again(repair_in, tech, dispatcher,
                                                             monkeypatch):
    # Two clashing inserts that each wait on the other's row: PostgreSQL aborts one.
    job = repair_in("TRIAGED", technician=tech)
    calls = _insert_failing_once(monkeypatch, "40P01")

    visit = _dispatch(job, dispatcher, tech, tomorrow_at(10))

    assert calls == ["insert", "insert"]
    assert Visit.objects.get(pk=visit.pk).job_id == job.pk
    assert RepairJob.objects.get(pk=job.pk).state == "DISPATCHED"


@pytest.mark.django_db
def test_other_database_errors_are_not_retried(repair_in, tech, dispatcher, monkeypatch):
    from django.db import OperationalError

    job = repair_in("TRIAGED", technician=tech)
    calls = _insert_failing_once(monkeypatch, "57014")  # statement timeout

    with pytest.raises(OperationalError):
        _dispatch(job, dispatcher, tech, tomorrow_at(10))

    assert calls == ["insert"]
    assert RepairJob.objects.get(pk=job.pk).state == "TRIAGED"


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_the_same_moment_exactly_one_wins(repair_in, tech, dispatcher,
                                                             monkeypatch):
    require_or_skip(postgres_in_use(), "this race is decided by PostgreSQL's exclusion "
                                       "constraint (set DATABASE_URL)")
    jobs = [repair_in("TRIAGED", technician=tech), repair_in("TRIAGED", technician=tech)]
    # Both dispatchers pass the friendly pre-check before either inserts, as two requests
    # arriving together do; only the constraint can decide.
    barrier = threading.Barrier(2, timeout=10)
    real_check = s.visit_in_the_way

    def check_then_wait(*args, **kwargs):
        found = real_check(*args, **kwargs)
        if found is None and threading.current_thread().name.startswith("dispatcher"):
            barrier.wait()
        return found

    monkeypatch.setattr(s, "visit_in_the_way", check_then_wait)
    outcomes: dict[int, object] = {}

    def book(job, start):
        try:
            outcomes[job.pk] = _dispatch(job, dispatcher, tech, start)
        except DomainError as error:
            outcomes[job.pk] = as_shown(error.message)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=book, args=(jobs[0], tomorrow_at(10)),
                                name="dispatcher-a"),
               threading.Thread(target=book, args=(jobs[1], tomorrow_at(11)),
                                name="dispatcher-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    visits = [v for v in outcomes.values() if isinstance(v, Visit)]
    messages = [v for v in outcomes.values() if isinstance(v, str)]
    assert len(visits) == 1 and len(messages) == 1
    winner = RepairJob.objects.get(pk=visits[0].job_id)
    assert winner.number in messages[0]
    assert Visit.objects.filter(technician=tech, cancelled=False).count() == 1
    loser = next(j for j in jobs if j.pk != winner.pk)
    assert RepairJob.objects.get(pk=loser.pk).state == "TRIAGED"
