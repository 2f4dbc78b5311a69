import os
import shutil
import tempfile

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache

from aftersales.celery import app as celery_app
from aftersales.sla import calendar
from tests.factories import PASSWORD, DepartmentFactory, complaint_in_state, make_staff


@pytest.fixture(autouse=True)
def _isolated_media_and_cache(settings):
    media = tempfile.mkdtemp(prefix="aftersales-media-")
    settings.MEDIA_ROOT = media
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Tasks scheduled on commit run in-process here; tests of the real worker opt out.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    cache.clear()
    # Each test starts from the configuration in its own database, not a remembered version.
    calendar._version_seen["at"] = None
    yield
    celery_app.conf.task_always_eager = eager
    cache.clear()
    shutil.rmtree(media, ignore_errors=True)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests sign in many staff users; the real hasher is slow on purpose."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def quality_dept(db):
    return DepartmentFactory(code="qa", name="Quality", kind="QA")


@pytest.fixture
def other_dept(db):
    return DepartmentFactory(code="wh", name="Warehouse", kind="WH")


@pytest.fixture
def agent(db):
    return make_staff("agent1", "agent")


@pytest.fixture
def handler(quality_dept):
    return make_staff("handler1", "handler", quality_dept)


@pytest.fixture
def other_handler(other_dept):
    return make_staff("handler2", "handler", other_dept)


@pytest.fixture
def supervisor(db):
    return make_staff("super1", "supervisor")


@pytest.fixture
def admin_user(db):
    return make_staff("admin1", "admin", is_staff=True)


def pytest_report_header(config):
    return f"database: {os.environ.get('DATABASE_URL', 'sqlite (embedded default)')}"


@pytest.fixture
def no_role(db):
    """Someone with a login but no staff role (e.g. a former employee, a customer account)."""
    return get_user_model().objects.create_user(username="norole", password=PASSWORD)


@pytest.fixture
def users(no_role, other_handler, handler, agent, supervisor, admin_user):
    return {"anonymous": None, "no_role": no_role, "other_handler": other_handler,
            "handler": handler, "agent": agent, "supervisor": supervisor,
            "admin_user": admin_user}


@pytest.fixture
def build(agent, handler, supervisor, quality_dept):
    """Build a quality-department complaint in a given state through the real services."""
    def make(state: str, **options):
        return complaint_in_state(state, agent=agent, handler=handler, supervisor=supervisor,
                                  dept=quality_dept, **options)
    return make
