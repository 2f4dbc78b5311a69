"""Import product price periods from a CSV file into the price history."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from aftersales.catalog.prices import prices_import


class Command(BaseCommand):
    help = ("Import product price periods (PRICE Art. 16-17 checks read them) from a CSV file "
            "with the header sku,kind,price,valid_from,valid_to. kind is LIST (default) or "
            "DEAL; dates are ISO (2026-11-20 or 2026-11-20T10:00, shop time when no offset); "
            "valid_to may be empty. All or nothing: a bad line imports nothing.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="CSV file (UTF-8, a BOM is allowed), or - for stdin")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check and count, then import nothing.")

    def handle(self, *args, path: str, dry_run: bool = False, **options):
        if path == "-":
            result = prices_import(self.stdin_lines(), dry_run=dry_run)
        else:
            file = Path(path)
            if not file.is_file():
                raise CommandError(f"No such file: {path}")
            with file.open(encoding="utf-8-sig", newline="") as handle:
                result = prices_import(handle, dry_run=dry_run)
        if result.errors:
            raise CommandError("Nothing imported:\n" + "\n".join(result.errors))
        verb = "would import" if dry_run else "imported"
        self.stdout.write(f"{verb}: {result.created}, already there: {result.skipped}, "
                          f"open periods closed: {result.closed}")

    @staticmethod
    def stdin_lines():
        import sys

        return sys.stdin
