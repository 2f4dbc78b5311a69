"""``manage.py import_prices``: price periods from CSV into the history, all or nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from aftersales.models import ProductPrice
from tests.factories import ProductFactory


def run(tmp_path, text: str, *args) -> str:
    path = tmp_path / "prices.csv"
    path.write_text(text, encoding="utf-8-sig")
    out = StringIO()
    call_command("import_prices", str(path), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def kettle(db):
    return ProductFactory(sku="K-1")


@pytest.mark.django_db
def test_rows_are_imported_and_an_open_list_price_is_closed_by_the_next(tmp_path, kettle):
    out = run(tmp_path, "sku,kind,price,valid_from,valid_to\n"
                        "K-1,LIST,100.00,2026-10-01,\n"
                        "K-1,LIST,120.00,2026-11-10T09:00,\n"
                        "K-1,DEAL,80.00,2026-11-11T10:00,2026-11-14\n")

    rows = list(ProductPrice.objects.filter(product=kettle).order_by("valid_from"))
    assert [(r.kind, r.price) for r in rows] == [("LIST", Decimal("100.00")),
                                                 ("LIST", Decimal("120.00")),
                                                 ("DEAL", Decimal("80.00"))]
    assert rows[0].valid_to == rows[1].valid_from
    assert rows[1].valid_to is None
    assert "imported: 3" in out


@pytest.mark.django_db
def test_importing_the_same_file_again_adds_nothing(tmp_path, kettle):
    text = "sku,price,valid_from\nK-1,100.00,2026-10-01\n"
    run(tmp_path, text)

    out = run(tmp_path, text)

    assert ProductPrice.objects.count() == 1
    assert "already there: 1" in out


@pytest.mark.django_db
def test_a_bad_line_imports_nothing_and_every_error_is_listed(tmp_path, kettle):
    with pytest.raises(CommandError) as refused:
        run(tmp_path, "sku,kind,price,valid_from,valid_to\n"
                      "K-1,LIST,100.00,2026-10-01,\n"
                      "NOPE,LIST,100.00,2026-10-01,\n"
                      "K-1,LIST,abc,2026-10-01,\n"
                      "K-1,DEAL,90.00,2026-11-02,2026-11-01\n"
                      "K-1,SALE,90.00,2026-11-02,\n"
                      "K-1,LIST,9.999,2026-11-02,\n")

    message = str(refused.value)
    assert "line 3: unknown SKU 'NOPE'" in message
    assert "line 4: price or date not understood" in message
    assert "line 5: valid_to must be after valid_from" in message
    assert "line 6: kind must be LIST or DEAL" in message
    assert "line 7: price must be yuan" in message
    assert not ProductPrice.objects.exists()


@pytest.mark.django_db
def test_a_dry_run_counts_and_imports_nothing(tmp_path, kettle):
    out = run(tmp_path, "sku,price,valid_from\nK-1,100.00,2026-10-01\n", "--dry-run")

    assert "would import: 1" in out
    assert not ProductPrice.objects.exists()


@pytest.mark.django_db
def test_a_file_without_the_needed_columns_is_refused(tmp_path, kettle):
    with pytest.raises(CommandError, match="missing columns: price"):
        run(tmp_path, "sku,valid_from\nK-1,2026-10-01\n")
