"""Simultaneous sign-in attempts: each is counted before its password is checked, so fifty at
once check at most LOGIN_FAILURE_LIMIT passwords. Real threads, real requests, PostgreSQL."""

import threading
import time

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_staff
from tests.services import postgres_in_use, require_or_skip

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ATTEMPTS = 50


class SlowCountingHasher(MD5PasswordHasher):
    """Counts every password hashed for a sign-in and takes as long as a real hasher would,
    so that the attempts really overlap."""

    hashed = 0
    _lock = threading.Lock()

    def _count(self):
        with self._lock:
            type(self).hashed += 1
        time.sleep(0.1)

    def verify(self, password, encoded):
        self._count()
        return super().verify(password, encoded)

    def salt(self):
        self._count()  # an unknown name hashes the password with a fresh salt, to take as long
        return super().salt()


@pytest.fixture
def slow_hashing(settings):
    require_or_skip(postgres_in_use(),
                    "needs PostgreSQL: SQLite's in-memory test database is not shared between "
                    "threads (set DATABASE_URL=postgres://...)")
    settings.PASSWORD_HASHERS = ["tests.security.test_signin_concurrency.SlowCountingHasher"]
    make_staff("agent1", "agent")
    SlowCountingHasher.hashed = 0
    return SlowCountingHasher


def at_once(attempts: list[tuple[str, str, str]]) -> list[int]:
    """POST each (address, name, password) to the sign-in page from its own thread, all
    released together; the status codes."""
    start = threading.Barrier(len(attempts))
    codes: list = [None] * len(attempts)

    def run(index, address, username, password):
        browser = Client(REMOTE_ADDR=address)
        try:
            start.wait(timeout=30)
            codes[index] = browser.post(reverse("login"),
                                        {"username": username, "password": password}).status_code
        except Exception as error:  # reported by the assertions
            codes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *attempt))
               for i, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return codes


@pytest.mark.parametrize("shape", ["one name, one address", "many names, one address",
                                   "one name, many addresses"])
def test_simultaneous_wrong_passwords_check_at_most_the_limit(settings, slow_hashing,
                                                             shape):
    def attempt(n):
        address = f"203.0.113.{n + 1}" if shape == "one name, many addresses" else "203.0.113.1"
        name = f"guess{n}" if shape == "many names, one address" else "agent1"
        return address, name, "wrong"

    count = ATTEMPTS if shape == "one name, one address" else 20
    codes = at_once([attempt(n) for n in range(count)])

    limit = settings.LOGIN_FAILURE_LIMIT
    assert sorted(codes) == [200] * limit + [429] * (count - limit)
    assert slow_hashing.hashed == limit


def test_after_the_race_the_right_password_is_refused(settings, slow_hashing):
    at_once([("203.0.113.1", "agent1", "wrong")] * ATTEMPTS)
    browser = Client(REMOTE_ADDR="203.0.113.99")

    refused = browser.post(reverse("login"), {"username": "agent1", "password": PASSWORD})

    assert refused.status_code == 429
    assert "_auth_user_id" not in browser.session


def test_simultaneous_right_passwords_give_their_reservations_back(settings, slow_hashing):
    """At most LIMIT attempts per name and address are checked at one time, right or wrong;
    a right one gives its place back, so nothing stays counted after the rush."""
    from axes.models import AccessAttempt
    from django.db.models import Sum

    codes = at_once([("203.0.113.1", "agent1", PASSWORD)] * (3 * settings.LOGIN_FAILURE_LIMIT))

    counted = AccessAttempt.objects.aggregate(total=Sum("failures_since_start"))["total"] or 0
    assert set(codes) <= {302, 429}
    assert codes.count(302) >= settings.LOGIN_FAILURE_LIMIT
    assert counted == 0
    assert Client(REMOTE_ADDR="203.0.113.1").post(
        reverse("login"), {"username": "agent1", "password": PASSWORD}).status_code == 302
