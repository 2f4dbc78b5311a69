import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
application = get_wsgi_application()

# Refuse to boot with a field key that cannot decrypt the stored data (aftersales/keycheck.py).
from aftersales.people.keycheck import verify_field_key  # noqa: E402

verify_field_key()
