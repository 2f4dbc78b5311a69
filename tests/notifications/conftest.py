import pytest

from aftersales.notifications import sms


@pytest.fixture(autouse=True)
def _sms_outbox(settings):
    settings.SMS_BACKEND = "aftersales.notifications.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()
