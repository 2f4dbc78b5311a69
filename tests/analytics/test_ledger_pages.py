"""The ledger page: keyset pages, who may see what, query budget, saved views, phone search."""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from analytics.ledger.filters import LedgerFilters
from analytics.ledger.selectors import COUNT_CAP, PAGE_SIZE, Cursor, ledger_page
from analytics.models import SavedLedgerView
from tests.access import LOGIN, WHO, assert_outcome, matrix, request_as
from tests.analytics.ledger_support import BASE, add_plan, add_rating, make_complaint
from tests.factories import CustomerFactory, OrderFactory, ProductFactory, make_staff
from tests.queries import queries

pytestmark = pytest.mark.django_db
LEDGER = "/ledger/"


# --- keyset pagination --------------------------------------------------------------------

def walk(user, filters: LedgerFilters, per_page: int) -> tuple[list[str], list[list[str]]]:
    """Follow "next" to the end, then "previous" back to the start; numbers seen each way."""
    forward, pages = [], []
    page = ledger_page(user=user, filters=filters, per_page=per_page)
    while True:
        numbers = [row.number for row in page.rows]
        forward += numbers
        pages.append(numbers)
        if not page.has_next:
            break
        page = ledger_page(user=user, filters=filters, per_page=per_page,
                           after=page.next_cursor)
    backward = []
    while page.has_previous:
        page = ledger_page(user=user, filters=filters, per_page=per_page,
                           before=page.previous_cursor)
        backward.append([row.number for row in page.rows])
    return forward, [*backward[::-1], pages[-1]] if backward else pages


@pytest.fixture
def tied(db):
    """23 complaints, many sharing a received time, some replied (with ties), some not."""
    made = []
    for i in range(23):
        replied = BASE - timedelta(hours=i // 4) if i % 3 else None
        made.append(make_complaint(received_at=BASE - timedelta(hours=i // 3),
                                   replied_at=replied))
    return made


def expected(made, field: str, descending: bool) -> list[str]:
    """By date then id; an empty date counts as later than any date."""
    def key(c):
        value = getattr(c, field)
        return (value is None, value or BASE, c.pk)
    return [c.number for c in sorted(made, key=key, reverse=descending)]


@pytest.mark.parametrize("sort,field", [("received", "received_at"), ("replied", "replied_at")])
@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("per_page", [1, 4, 5, 23, 50])
def test_keyset_pages_lose_and_repeat_no_row(supervisor, tied, sort, field, descending,
                                             per_page):
    filters = LedgerFilters(sort=sort, descending=descending)
    forward, pages = walk(supervisor, filters, per_page)
    assert forward == expected(tied, field, descending)
    # Walking back gives the same pages as walking forward.
    assert [n for page in pages for n in page] == forward
    assert all(len(page) == per_page for page in pages[:-1])


def test_rows_registered_meanwhile_do_not_shift_the_next_page(supervisor):
    for i in range(6):
        make_complaint(received_at=BASE - timedelta(hours=i))
    filters = LedgerFilters()
    first = ledger_page(user=supervisor, filters=filters, per_page=3)
    make_complaint(received_at=BASE + timedelta(hours=1))
    second = ledger_page(user=supervisor, filters=filters, per_page=3, after=first.next_cursor)
    assert [r.received_at for r in second.rows] == [
        BASE - timedelta(hours=i) for i in (3, 4, 5)]


@pytest.mark.parametrize("token", ["", "garbage", "e30", Cursor(None, 1).encode()[:-3] + "!!"])
def test_a_broken_cursor_shows_the_first_page(supervisor, token):
    make_complaint()
    page = ledger_page(user=supervisor, filters=LedgerFilters(), after=token)
    assert len(page.rows) == 1


def test_the_page_links_walk_the_whole_ledger(client, supervisor):
    made = [make_complaint(received_at=BASE - timedelta(minutes=i // 2))
            for i in range(PAGE_SIZE + 7)]
    client.force_login(supervisor)
    seen, url = [], LEDGER + "?channel=HOTLINE"
    while url:
        html = client.get(url).content.decode()
        seen += re.findall(r'<a href="/c/([^/"]+)/">', html)
        nxt = re.search(r'href="([^"]+)" rel="next"', html)
        url = LEDGER + unescape(nxt.group(1)) if nxt else None
        if url:
            assert parse_qs(urlparse(url).query)["channel"] == ["HOTLINE"]
    assert seen == expected(made, "received_at", True)


def test_sort_links_toggle_the_direction(client, supervisor):
    make_complaint()
    client.force_login(supervisor)
    html = client.get(LEDGER + "?sort=closed&dir=desc").content.decode()
    assert "sort=closed&amp;dir=asc" in html
    assert "sort=received&amp;dir=desc" in html


# --- the count ------------------------------------------------------------------------------

def test_count_is_exact_below_the_cap_and_capped_above(client, supervisor, settings):
    for _ in range(3):
        make_complaint()
    client.force_login(supervisor)
    response = client.get(LEDGER, HTTP_ACCEPT_LANGUAGE="en")
    assert "3 cases" in response.content.decode()
    assert response.context["count"] == 3 and not response.context["count_capped"]


def test_count_stops_after_the_cap(supervisor):
    from analytics.ledger import selectors

    for _ in range(4):
        make_complaint()
    assert selectors.ledger_count(user=supervisor, filters=LedgerFilters(), cap=2) == 3
    assert selectors.ledger_count(user=supervisor, filters=LedgerFilters(), cap=None) == 4
    assert COUNT_CAP == 1000


# --- who may see what -----------------------------------------------------------------------

def test_ledger_permission_matrix(client, users):
    for who, outcome in zip(WHO, (LOGIN, 403, 200, 200, 200, 200, 200), strict=True):
        client.logout()
        response = request_as(client, users[who], "get", LEDGER)
        assert_outcome(response, LEDGER, outcome)


WRITE_VIEWS = {
    "analytics:ledger_phone_search": (LOGIN, 403, 302, 302, 302, 302, 302),
    "analytics:ledger_view_save": (LOGIN, 403, 302, 302, 302, 302, 302),
    "analytics:ledger_export": (LOGIN, 403, 200, 200, 200, 200, 200),
}


@pytest.mark.parametrize("view,who,outcome", matrix(WRITE_VIEWS))
def test_post_views_permission_matrix(client, users, view, who, outcome):
    path = reverse(view)
    data = {"query": "", "phone": "13900001111", "name": "mine", "format": "csv"}
    response = request_as(client, users[who], "post", path, data)
    assert_outcome(response, path, outcome)


def test_department_handler_sees_only_their_departments_rows(
        client, handler, other_handler, quality_dept, other_dept):
    mine = make_complaint(department=quality_dept)
    theirs = make_complaint(department=other_dept)
    unassigned = make_complaint()
    client.force_login(handler)
    html = client.get(LEDGER).content.decode()
    assert mine.number in html
    assert theirs.number not in html and unassigned.number not in html
    # Asking for another department's rows shows nothing, not an error.
    response = client.get(LEDGER, {"department": other_dept.pk})
    assert response.status_code == 200 and theirs.number not in response.content.decode()


def test_agents_and_supervisors_see_every_department(client, agent, supervisor, quality_dept,
                                                    other_dept):
    rows = [make_complaint(department=quality_dept), make_complaint(department=other_dept),
            make_complaint()]
    for user in (agent, supervisor):
        client.force_login(user)
        html = client.get(LEDGER).content.decode()
        assert all(row.number in html for row in rows)


def test_the_nav_shows_the_ledger_to_those_who_may_see_it(client, agent, no_role):
    client.force_login(agent)
    assert 'href="/ledger/"' in client.get(reverse("aftersales:inbox")).content.decode()
    assert not no_role.has_perm("analytics.view_ledger")


def test_names_and_phones_are_masked_unless_granted(client, supervisor):
    make_complaint(customer=CustomerFactory(name="王小明", contact__phone="13912345678"))
    client.force_login(supervisor)
    html = client.get(LEDGER).content.decode()
    assert "王**" in html and "139****5678" in html
    assert "王小明" not in html and "13912345678" not in html
    supervisor.user_permissions.add(Permission.objects.get(codename="view_ledger_personal_data"))
    supervisor = type(supervisor).objects.get(pk=supervisor.pk)
    client.force_login(supervisor)
    html = client.get(LEDGER).content.decode()
    assert "王小明" in html and "13912345678" in html


# --- query budget ---------------------------------------------------------------------------

# Measured: 17 queries for a supervisor, 18 for a department handler (its staff profile):
# session, user, permissions (2), roles for the nav, unread notifications, the filter
# choices (departments, people), the page's rows, one query per related model on the page
# (orders, products, departments, people, repeated cases), the capped count, saved views
# and exports. The budgets leave one query of room.
LEDGER_BUDGET = {"supervisor": 18, "handler": 19}


def add_rows(count, quality_dept, handler):
    for _ in range(count):
        complaint = make_complaint(department=quality_dept, assignee=handler,
                                   product=ProductFactory(), order=OrderFactory(),
                                   replied_at=timezone.now())
        add_plan(complaint, department=quality_dept, person=handler)
        add_rating(complaint, 4)
        make_complaint(repeat_of=complaint, department=quality_dept)


@pytest.mark.parametrize("who", ["supervisor", "handler"])
def test_same_number_of_queries_for_n_and_2n_rows(client, users, quality_dept, handler, who):
    client.force_login(users[who])
    add_rows(5, quality_dept, handler)
    small, response = queries(client, LEDGER)
    assert len(response.context["rows"]) == 10
    add_rows(5, quality_dept, handler)
    large, response = queries(client, LEDGER)
    assert len(response.context["rows"]) == 20
    assert small == large
    assert large <= LEDGER_BUDGET[who], large


# --- saved views and the phone search -------------------------------------------------------

def test_a_supervisor_saves_lists_and_deletes_own_views(client, supervisor, agent):
    client.force_login(supervisor)
    token_query = "channel=REGULATOR&severity=S1&pt=opaque&after=xyz"
    response = client.post(reverse("analytics:ledger_view_save"),
                           {"name": "Regulator S1", "query": token_query})
    view = SavedLedgerView.objects.get(owner=supervisor)
    assert view.query == "channel=REGULATOR&severity=S1"
    assert response.url == f"{LEDGER}?channel=REGULATOR&severity=S1"
    html = client.get(LEDGER).content.decode()
    assert "Regulator S1" in html and "?channel=REGULATOR&amp;severity=S1" in html
    # Saving again under the same name replaces the filters.
    client.post(reverse("analytics:ledger_view_save"), {"name": "Regulator S1",
                                                        "query": "channel=REGULATOR"})
    assert SavedLedgerView.objects.get(owner=supervisor).query == "channel=REGULATOR"
    # Someone else can neither see nor delete it.
    client.force_login(agent)
    assert client.get(LEDGER).context["saved_views"] == []
    delete = reverse("analytics:ledger_view_delete", args=[view.pk])
    assert client.post(delete).status_code == 404
    client.force_login(supervisor)
    assert client.post(delete).status_code == 302
    assert not SavedLedgerView.objects.exists()


def test_a_view_needs_a_name(client, supervisor):
    client.force_login(supervisor)
    client.post(reverse("analytics:ledger_view_save"), {"name": "  ", "query": "channel=EMAIL"})
    assert not SavedLedgerView.objects.exists()


def test_the_phone_number_never_reaches_a_url(client, supervisor):
    customer = CustomerFactory(contact__phone="13900001111")
    mine = make_complaint(customer=customer)
    other = make_complaint()
    client.force_login(supervisor)
    response = client.post(reverse("analytics:ledger_phone_search"),
                           {"phone": "139 0000 1111", "query": "channel=HOTLINE&after=abc"})
    assert response.status_code == 302
    assert "1111" not in response.url and "139" not in response.url
    params = parse_qs(urlparse(response.url).query)
    assert params["channel"] == ["HOTLINE"] and "after" not in params and params["pt"]
    html = client.get(response.url).content.decode()
    assert mine.number in html and other.number not in html
    assert "13900001111" not in html


def test_an_expired_phone_search_says_so_and_shows_nothing(client, supervisor, settings):
    mine = make_complaint(customer=CustomerFactory(contact__phone="13900001111"))
    client.force_login(supervisor)
    url = client.post(reverse("analytics:ledger_phone_search"), {"phone": "13900001111"}).url
    settings.LEDGER_PHONE_SEARCH_MAX_AGE_SECONDS = -1
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert mine.number not in html
    assert response.context["form"].errors["pt"]


def test_a_handler_without_a_department_sees_an_empty_ledger(client, quality_dept):
    lonely = make_staff("lonely", "handler")
    client.force_login(lonely)
    make_complaint(department=quality_dept)
    response = client.get(LEDGER)
    assert response.status_code == 200 and response.context["rows"] == []


def test_a_phone_search_without_digits_is_refused(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("analytics:ledger_phone_search"),
                           {"phone": "abc", "query": "channel=EMAIL"})
    assert response.url == f"{LEDGER}?channel=EMAIL"


def test_cells_and_filter_values_are_escaped(client, supervisor):
    make_complaint(product_given='<script>alert("x")</script>',
                   order_number_given="<b>SO-1</b>")
    client.force_login(supervisor)
    html = client.get(LEDGER, {"product": '"><script>1</script>'}).content.decode()
    assert "<script>1</script>" not in html and "&quot;&gt;&lt;script&gt;1" in html
    html = client.get(LEDGER).content.decode()
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "&lt;b&gt;SO-1&lt;/b&gt;" in html
