"""Print the KPIs of domain.md §9 for a date range, read from the rollups."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from analytics.kpis.selectors import Filters, kpi_json, kpi_summary


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}") from error


class Command(BaseCommand):
    help = "KPIs for a period: numerator, denominator and value of each (value null when the " \
           "denominator is 0)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
        parser.add_argument("--kind", default="", help="kind of case, e.g. complaint")
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument("--details", action="store_true",
                            help="add the survey response rate, unit volume bases and the "
                                 "response and cycle times")

    def handle(self, *args, **options):
        date_from, date_to = _day(options["date_from"]), _day(options["date_to"])
        if date_to < date_from:
            raise CommandError("--to is before --from")
        filters = Filters(kind=options["kind"].upper())
        data = kpi_json(kpi_summary(filters, date_from, date_to), details=options["details"])
        if options["json"]:
            self.stdout.write(json.dumps(data, ensure_ascii=False, sort_keys=True))
            return
        for key, value in data.items():
            if key == "complaint_rate_by_unit":
                for code, rate in value.items():
                    self.stdout.write(f"complaint_rate[{code}]: {rate['numerator']} / "
                                      f"{rate['denominator']} × 1000 = {rate['value']}")
            elif "numerator" in value:
                self.stdout.write(f"{key}: {value['numerator']} / {value['denominator']} = "
                                  f"{value['value']}")
            else:
                self.stdout.write(f"{key}: {value}")
