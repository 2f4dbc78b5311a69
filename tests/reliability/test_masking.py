"""Logs and development mail/SMS output hold no customer addresses, numbers or private links."""

import io
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.core import mail
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse

from aftersales.celery import mask_worker_logs
from aftersales.core.masking import MaskingFilter, mask
from aftersales.notifications import sms

TOKEN = "Zk3pQ9vX2mN7bR4tY8wL1cH6"

# (text, what must vanish, what the masked text shows)
CASES = [
    ("Mail to zhang.san@example.com", "zhang.san", "z***@example.com"),
    ("call 13812345678", "13812345678", "138****5678"),
    ("call +86 138-1234-5678", "1234", "138****5678"),
    ("landline 010-62345678", "6234", "***5678"),
    (f"https://service.example/c/track/{TOKEN}/", TOKEN, "/c/track/***/"),
    (f"/c/submitted/{TOKEN}/", TOKEN, "/c/submitted/***/"),
    (f"http://127.0.0.1:8000/s/{TOKEN}/", TOKEN, "/s/***/"),
    (f'"GET /files/12/?t={TOKEN}&x=1 HTTP/1.1" 200', TOKEN, "/files/12/?t=***&x=1"),
    (f"/accounts/reset/MTI/{TOKEN}/", TOKEN, "/accounts/reset/***/***/"),
]
KEPT = ["case CP-20260309-0001 on 2026-03-09 12:00 took 0.25 s", "/c/inbox/?tab=mine",
        "/c/CP-20260309-0001/act/escalate/"]


@pytest.mark.parametrize(("text", "secret", "shown"), CASES)
def test_personal_data_and_link_tokens_are_masked(text, secret, shown):
    masked = mask(text)
    assert secret not in masked
    assert shown in masked


@pytest.mark.parametrize("text", KEPT)
def test_case_numbers_times_and_ordinary_paths_are_kept(text):
    assert mask(text) == text


def customer_mail() -> EmailMessage:
    return EmailMessage(
        "Your complaint CP-20260309-0001", f"Track it at https://x.example/c/track/{TOKEN}/\n"
        "We will call you on 13812345678.", "service@aftersales.example",
        ["zhangsan@example.com"])


def test_the_development_mail_backend_masks_by_default():
    stream = io.StringIO()
    backend = get_connection("aftersales.notifications.mail.ConsoleEmailBackend", stream=stream)
    backend.send_messages([customer_mail()])

    printed = stream.getvalue()
    assert "CP-20260309-0001" in printed
    assert "z***@example.com" in printed and "/c/track/***/" in printed
    for secret in ("zhangsan@", TOKEN, "13812345678"):
        assert secret not in printed


def test_masking_can_be_turned_off_for_local_debugging(settings):
    settings.CONSOLE_MASK_PERSONAL_DATA = False
    stream = io.StringIO()
    backend = get_connection("aftersales.notifications.mail.ConsoleEmailBackend", stream=stream)
    backend.send_messages([customer_mail()])
    sms.ConsoleSmsBackend(stream=stream).send_messages([sms.SmsMessage("13812345678", "Hi")])

    assert "zhangsan@example.com" in stream.getvalue() and "13812345678" in stream.getvalue()


def test_the_development_sms_backends_mask_number_and_link(caplog):
    stream = io.StringIO()
    message = sms.SmsMessage("13812345678", f"Rate us: http://x.example/s/{TOKEN}/")
    sms.ConsoleSmsBackend(stream=stream).send_messages([message])
    with caplog.at_level(logging.INFO, logger="aftersales.notifications.sms"):
        sms.LogSmsBackend().send_messages([message])

    for output in (stream.getvalue(), caplog.text):
        assert "138****5678" in output and "/s/***/" in output
        assert "13812345678" not in output and TOKEN not in output


def test_development_defaults_to_the_masking_mail_backend_production_to_smtp():
    assert django_settings.EMAIL_BACKEND in (
        "aftersales.notifications.mail.ConsoleEmailBackend",  # the laptop default
        "django.core.mail.backends.locmem.EmailBackend",  # set by the tests' conftest
    )
    env = {**os.environ, "DJANGO_ENV": "production", "SECRET_KEY": "x" * 50,
           "FIELD_ENCRYPTION_KEY": "A" * 43 + "=", "DATABASE_URL": "sqlite:////tmp/x.sqlite3",
           "ALLOWED_HOSTS": "service.example", "DJANGO_SETTINGS_MODULE": "aftersales.settings"}
    env.pop("EMAIL_BACKEND", None)
    backends = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)"],
        env=env, capture_output=True, text=True, timeout=60, cwd=django_settings.BASE_DIR)
    assert backends.stdout.strip() == "django.core.mail.backends.smtp.EmailBackend", \
        backends.stderr


def test_compose_requires_a_mail_server_and_an_sms_backend_and_defaults_to_smtp():
    compose = yaml.safe_load(Path(django_settings.BASE_DIR, "docker-compose.yml").read_text())
    environment = compose["x-app"]["environment"]

    assert environment["EMAIL_BACKEND"] == \
        "${EMAIL_BACKEND:-django.core.mail.backends.smtp.EmailBackend}"
    assert environment["EMAIL_HOST"].startswith("${EMAIL_HOST:?")
    assert environment["SMS_BACKEND"].startswith("${SMS_BACKEND:?")
    assert "console" not in str(environment).lower()


def test_every_django_log_handler_masks(client, build):
    complaint = build("REGISTERED")
    path = reverse("complaints:track", args=[complaint.tracking_token])
    handlers = logging.getLogger().handlers + logging.getLogger("django.server").handlers
    configured = [h for h in handlers if isinstance(h, logging.StreamHandler)
                  and not type(h).__module__.startswith("_pytest")]
    assert configured, "the project's LOGGING defines stream handlers"
    assert all(any(isinstance(f, MaskingFilter) for f in h.filters) for h in configured)

    stream = io.StringIO()
    handler = logging.getLogger("django.server").handlers[0]
    previous = handler.setStream(stream)
    try:
        logging.getLogger("django.server").info(
            '"%s" %s %s', f"GET {path} HTTP/1.1", "200", "512",
            extra={"status_code": 200, "request": None})
    finally:
        handler.setStream(previous)
    assert "/c/track/***/" in stream.getvalue()
    assert complaint.tracking_token not in stream.getvalue()


def test_request_errors_are_logged_with_the_token_masked(client, caplog):
    stream = io.StringIO()
    root = next(h for h in logging.getLogger().handlers
                if any(isinstance(f, MaskingFilter) for f in h.filters))
    previous = root.setStream(stream)
    try:
        client.get(f"/c/track/{TOKEN}/")  # unknown token: 404, logged by django.request
    finally:
        root.setStream(previous)
    assert "Not Found: /c/track/***/" in stream.getvalue()
    assert TOKEN not in stream.getvalue()


def test_the_gunicorn_access_log_masks_tokens():
    from gunicorn.config import Config

    from aftersales.gunicorn_logging import MaskingLogger

    config = Config()
    config.set("accesslog", "-")
    logger = MaskingLogger(config)
    stream = io.StringIO()
    for handler in logger.access_log.handlers:
        handler.setStream(stream)

    class Response:
        status = "200 OK"
        response_length = 512
        sent = 512
        headers = ()

    class Request:
        headers = ()
        method = "GET"
        path = f"/c/track/{TOKEN}/"
        query = f"t={TOKEN}"
        version = (1, 1)

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/c/track/{TOKEN}/?t={TOKEN}",
               "PATH_INFO": f"/c/track/{TOKEN}/", "QUERY_STRING": f"t={TOKEN}",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9",
               "HTTP_REFERER": f"https://x.example/s/{TOKEN}/"}
    logger.access(Response(), Request(), environ, timedelta(seconds=0.1))

    line = stream.getvalue()
    assert "/c/track/***/" in line and TOKEN not in line


def test_the_gunicorn_configuration_uses_the_masking_logger():
    config = Path(django_settings.BASE_DIR, "gunicorn.conf.py").read_text()
    assert re.search(r'logger_class = "aftersales\.gunicorn_logging\.MaskingLogger"', config)


def test_the_worker_log_handlers_mask():
    logger = logging.getLogger("tests.reliability.worker")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        mask_worker_logs(logger=logger)  # what Celery calls once it has set up logging
        logger.warning("Task aftersales.notify_customer[outbox-1] retry: %s",
                       "SMTPRecipientsRefused({'zhangsan@example.com': (550, 'no')})")
    finally:
        logger.removeHandler(handler)
    assert "z***@example.com" in stream.getvalue()
    assert "zhangsan@" not in stream.getvalue()


def test_customer_mail_sent_in_tests_is_untouched(mailoutbox):
    """Masking is for what people read in logs; the message itself goes out whole."""
    mail.send_mail("s", f"/c/track/{TOKEN}/", "a@aftersales.example", ["zhangsan@example.com"])
    assert mailoutbox[0].to == ["zhangsan@example.com"] and TOKEN in mailoutbox[0].body
