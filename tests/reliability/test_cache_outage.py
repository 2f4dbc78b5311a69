"""With the cache (Redis) down, customers can still file and staff can still sign in: no page
answers 500, and the log says the cache failed."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from aftersales.cases.services import form_token_new
from aftersales.web import ratelimit
from complaints.models import Complaint
from tests.factories import PASSWORD

from .conftest import DEAD_REDIS

pytestmark = pytest.mark.django_db

PUBLIC_FORM = reverse("complaints:public_new")


def public_form(**overrides) -> dict:
    """The public form as a browser posts it, with the one-time token the page carries."""
    values = {"name": "孙七", "phone": "13512345678", "email": "sunqi@example.com",
              "order_number": "", "product": "Electric kettle K1", "category_hint": "QUAL",
              "description": "The kettle switches itself off after ten seconds.",
              "customer_request": "Please exchange it.", "website": "",
              "form_token": form_token_new()}
    values.update(overrides)
    return values


@pytest.fixture
def redis_down(settings):
    """The cache as production configures it (REDIS_URL), with nothing listening."""
    settings.CACHES = {"default": {
        "BACKEND": "aftersales.core.cache.ResilientRedisCache", "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }}


@pytest.fixture
def cache_raising(settings, monkeypatch):
    """A cache that raises on every call, and no per-process counts left from other tests."""
    settings.CACHES = {"default": {"BACKEND": "tests.reliability.backends.BrokenCache"}}
    monkeypatch.setattr(ratelimit, "_local", {})


def test_the_configured_redis_cache_answers_while_redis_is_down():
    env = {**os.environ, "REDIS_URL": DEAD_REDIS, "DJANGO_SETTINGS_MODULE": "aftersales.settings"}
    script = ("import django; django.setup()\n"
              "from django.core.cache import cache\n"
              "cache.add('attempts', 0, 60); print(cache.incr('attempts'), cache.get('attempts'))")
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=60, cwd=django_settings.BASE_DIR)

    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", "1"]
    assert "Redis does not answer" in run.stderr


def test_a_customer_files_a_complaint_while_the_cache_is_down(client, redis_down, caplog):
    response = client.post(PUBLIC_FORM, public_form())

    assert response.status_code == 302
    assert Complaint.objects.count() == 1
    assert "Redis does not answer" in caplog.text


def test_the_public_form_still_limits_per_process_when_the_cache_fails(client, cache_raising,
                                                                     caplog):
    for _ in range(django_settings.PUBLIC_FORM_RATE_LIMIT):
        assert client.post(PUBLIC_FORM, public_form(description="short")).status_code == 400
    refused = client.post(PUBLIC_FORM, public_form())

    assert refused.status_code == 429
    assert Complaint.objects.count() == 0
    assert "Rate limit public-complaint: the cache failed (ConnectionError)" in caplog.text
    assert any(r.levelname == "WARNING" for r in caplog.records)


def test_a_customer_files_even_when_every_cache_call_raises(client, cache_raising):
    response = client.post(PUBLIC_FORM, public_form())

    assert response.status_code == 302
    assert Complaint.objects.count() == 1


def test_staff_sign_in_while_the_cache_is_down(client, redis_down, agent):
    wrong = client.post(reverse("login"), {"username": agent.username, "password": "nope"})
    right = client.post(reverse("login"), {"username": agent.username, "password": PASSWORD})

    assert wrong.status_code == 200
    assert right.status_code == 302
    assert client.get(reverse("aftersales:inbox")).status_code == 200


def test_no_page_fails_while_the_cache_is_down(client, redis_down, build, agent):
    complaint = build("IN_PROGRESS")
    anonymous = [reverse("home"), reverse("login"), PUBLIC_FORM,
                 reverse("complaints:track", args=[complaint.tracking_token])]
    staff = [reverse("aftersales:inbox"), reverse("complaints:detail", args=[complaint.number]),
             reverse("aftersales:notifications")]

    statuses = {url: client.get(url).status_code for url in anonymous}
    client.login(username=agent.username, password=PASSWORD)
    statuses |= {url: client.get(url).status_code for url in staff}

    assert {url: code for url, code in statuses.items() if code >= 500} == {}
    assert set(statuses.values()) == {200}


def test_the_cache_serves_locally_during_an_outage_and_shares_again_after(
        private_redis, settings, monkeypatch, caplog):
    from django.core.cache import cache

    from aftersales.core.cache import ResilientRedisCache

    monkeypatch.setattr(ResilientRedisCache, "RETRY_SECONDS", 0.0)
    settings.CACHES = {"default": {
        "BACKEND": "aftersales.core.cache.ResilientRedisCache", "LOCATION": private_redis.url(1),
    }}
    cache.set("shared", "before")

    private_redis.stop()
    assert cache.get("shared") is None  # Redis's data is out of reach, not an error
    cache.set("during", 1)
    assert cache.get("during") == 1

    private_redis.start()
    cache.set("shared", "after")
    assert private_redis.client(1).exists(cache.make_key("shared"))
    assert cache.get("during") is None
    assert "Redis does not answer" in caplog.text and "Redis answers again" in caplog.text


def test_a_counter_on_redis_counts_each_hit_and_starts_again_after_its_window(settings):
    import time

    from django.core.cache import cache

    from aftersales.core.cache import counter_hit
    from tests.services import require_redis

    settings.CACHES = {"default": {
        "BACKEND": "aftersales.core.cache.ResilientRedisCache", "LOCATION": require_redis(),
    }}
    key = f"test-counter:{form_token_new()}"

    assert [counter_hit(cache, key, 1) for _ in range(3)] == [1, 2, 3]
    assert cache.get(key) == 3  # the counter reads like any cached number
    time.sleep(1.2)
    assert counter_hit(cache, key, 1) == 1


def test_a_counter_counts_in_this_process_while_redis_is_down(redis_down):
    from django.core.cache import cache

    from aftersales.core.cache import counter_hit

    key = f"test-counter:{form_token_new()}"

    assert [counter_hit(cache, key, 60) for _ in range(3)] == [1, 2, 3]
