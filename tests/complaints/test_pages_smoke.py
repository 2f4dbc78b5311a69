import pytest
from django.urls import reverse

from complaints import services as s
from tests.factories import PASSWORD, intake


@pytest.mark.django_db
def test_pages_render(client, agent):
    c = s.complaint_register(intake=intake(), actor=None)
    assert client.get(reverse("complaints:public_new")).status_code == 200
    r = client.get(reverse("complaints:track", args=[c.tracking_token]))
    assert r.status_code == 200, r.content[:500]
    client.login(username="agent1", password=PASSWORD)
    r = client.get(reverse("aftersales:inbox"))
    assert r.status_code == 200
    assert c.number in r.content.decode()
    r = client.get(reverse("complaints:detail", args=[c.number]))
    assert r.status_code == 200
    assert "action-accept" in r.content.decode()
    r = client.get(reverse("complaints:register"))
    assert r.status_code == 200
