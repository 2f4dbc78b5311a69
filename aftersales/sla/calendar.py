"""Business calendar: working hours, Chinese public holidays and adjusted working days (调休).

Which days are off comes from, in this order:

1. the admins' calendar days (``CalendarDay``): company days off, or the official
   schedule entered by hand for a year no package knows yet;
2. ``chinesecalendar``, which carries the State Council's schedule including 调休 for the
   years it was released with;
3. ``holidays``, which knows the statutory days of far more years; for a year whose
   schedule it has not recorded yet its substitute days are estimates;
4. weekday rules (the configured working hours per weekday).

A missing year in one source only moves the lookup to the next one: the calendar never
raises because a package lacks data. When a year is answered by an estimate, the admin
pages ask an administrator to confirm it (``CalendarYear``).

Working time is counted in the configured time zone (Asia/Shanghai by default).
"""

from __future__ import annotations

import logging
import time as monotonic_time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

CONFIG_VERSION_KEY = "aftersales:sla-config-version"
# A process rebuilds its copy at least this often even if no change was announced
# (e.g. a local-memory cache that other processes cannot see).
CONFIG_TTL_SECONDS = 300
# More consecutive days without working time than this means the hours are misconfigured;
# counting then falls back to calendar time instead of searching for ever.
MAX_DAYS_WITHOUT_WORK = 120

DEFAULT_HOURS: dict[int, tuple[tuple[time, time], ...]] = {
    weekday: ((time(9, 0), time(18, 0)),) for weekday in range(5)
}

Period = tuple[time, time]


class DayKind:
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    ADJUSTED_WORKDAY = "adjusted_workday"
    COMPANY_DAY_OFF = "company_day_off"
    COMPANY_WORKDAY = "company_workday"


DAY_KIND_LABELS = {
    DayKind.WORKDAY: _("Working day"),
    DayKind.WEEKEND: _("Weekend"),
    DayKind.HOLIDAY: _("Public holiday"),
    DayKind.ADJUSTED_WORKDAY: _("Adjusted working day (调休)"),
    DayKind.COMPANY_DAY_OFF: _("Company day off"),
    DayKind.COMPANY_WORKDAY: _("Company working day"),
}


class Source:
    OVERRIDE = "override"
    CHINESECALENDAR = "chinesecalendar"
    HOLIDAYS = "holidays"
    WEEKDAY = "weekday"


@dataclass(frozen=True)
class Official:
    """What a holiday source says about a date."""

    status: str  # "holiday", "workday" (a weekend day made a working day) or "normal"
    name: str
    source: str
    estimated: bool


@dataclass(frozen=True)
class DayInfo:
    day: date
    kind: str
    periods: tuple[Period, ...]
    name: str
    source: str
    estimated: bool

    @property
    def working(self) -> bool:
        return bool(self.periods)

    @property
    def label(self) -> str:
        return str(DAY_KIND_LABELS[self.kind])


# --- holiday sources ---------------------------------------------------------------------

def _from_chinesecalendar(day: date) -> Official:
    import chinese_calendar

    on_holiday, name = chinese_calendar.get_holiday_detail(day)  # raises for unknown years
    weekend = day.weekday() >= 5
    if not weekend and on_holiday:
        return Official("holiday", name or "", Source.CHINESECALENDAR, False)
    if weekend and not on_holiday:
        return Official("workday", name or "", Source.CHINESECALENDAR, False)
    return Official("normal", name or "", Source.CHINESECALENDAR, False)


@lru_cache(maxsize=64)
def _holidays_year(year: int):
    import holidays

    table = holidays.country_holidays("CN", years=year)
    published = year in getattr(table, "special_public_holidays", {})
    workdays = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year)
    return table, workdays, not published


def _from_holidays(day: date) -> Official:
    table, workdays, estimated = _holidays_year(day.year)
    if day in workdays:
        return Official("workday", "", Source.HOLIDAYS, estimated)
    name = table.get(day)
    if name:
        return Official("holiday", str(name), Source.HOLIDAYS, estimated)
    return Official("normal", "", Source.HOLIDAYS, estimated)


SOURCES = [_from_chinesecalendar, _from_holidays]
_warned_years: set[tuple[str, int]] = set()


def _note_fallback(source_name: str, year: int, error: Exception) -> None:
    if (source_name, year) not in _warned_years:
        _warned_years.add((source_name, year))
        logger.warning("Holiday source %s has no data for %s (%s); using the next source.",
                       source_name, year, error)


@lru_cache(maxsize=4096)
def official_day(day: date) -> Official:
    """The first holiday source that knows the date, or the weekday rules."""
    for source in SOURCES:
        try:
            return source(day)
        except Exception as error:  # a source missing a year must never break a request
            _note_fallback(source.__name__, day.year, error)
    return Official("normal", "", Source.WEEKDAY, True)


def year_status(year: int) -> Official:
    """How the year is known: the source that answers it and whether that is an estimate."""
    # Mid-year is a date every source covers if it covers the year at all.
    return official_day(date(year, 7, 1))


def is_statutory_holiday(day: date) -> bool:
    """Whether ``day`` lies in an official public-holiday break (法定节假日放假).

    True for the statutory days, the bridged days off around them and the weekend days
    inside the break; false for an ordinary weekend and for an adjusted working day (调休).
    Only the package data is consulted (chinesecalendar, then holidays), never the admins'
    calendar days, so this needs no database and the eligibility engine can stay pure.
    """
    official = official_day(day)
    if official.status != "normal" or day.weekday() < 5:
        return official.status == "holiday"
    if official.source == Source.CHINESECALENDAR:
        # chinesecalendar names the weekend days of a break and leaves other weekends unnamed.
        return bool(official.name)
    # The holidays package names only the statutory and substituted days, so a weekend day
    # belongs to a break when a holiday reaches it across the weekend from either side.
    return _break_reaches(day, -1) or _break_reaches(day, 1)


def _break_reaches(day: date, step: int) -> bool:
    cursor = day
    for _hop in range(3):
        cursor += timedelta(days=step)
        official = official_day(cursor)
        if official.status == "holiday":
            return True
        if official.status == "workday" or cursor.weekday() < 5:
            return False
    return False


# --- the calendar ------------------------------------------------------------------------

@dataclass
class BusinessCalendar:
    """Working time in one time zone, from weekday hours, holiday sources and overrides."""

    weekday_hours: dict[int, tuple[Period, ...]] = field(
        default_factory=lambda: dict(DEFAULT_HOURS)
    )
    overrides: dict[date, tuple[str, tuple[Period, ...], str]] = field(default_factory=dict)
    confirmed_years: frozenset[int] = frozenset()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.SLA_TIME_ZONE))
    _days: dict[date, DayInfo] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not any(self.weekday_hours.get(d) for d in range(7)):
            logger.warning("No working hours are configured; using Monday to Friday 09:00-18:00.")
            self.weekday_hours = dict(DEFAULT_HOURS)

    @property
    def standard_hours(self) -> tuple[Period, ...]:
        """The hours of an adjusted working day: those of the first weekday with any."""
        for weekday in range(7):
            if self.weekday_hours.get(weekday):
                return self.weekday_hours[weekday]
        return DEFAULT_HOURS[0]

    # -- days --
    def day(self, day: date) -> DayInfo:
        info = self._days.get(day)
        if info is None:
            info = self._days[day] = self._compute_day(day)
        return info

    def _compute_day(self, day: date) -> DayInfo:
        weekday_periods = self.weekday_hours.get(day.weekday(), ())
        override = self.overrides.get(day)
        if override is not None:
            kind, periods, name = override
            if kind == "off":
                return DayInfo(day, DayKind.COMPANY_DAY_OFF, (), name, Source.OVERRIDE, False)
            periods = periods or weekday_periods or self.standard_hours
            return DayInfo(day, DayKind.COMPANY_WORKDAY, periods, name, Source.OVERRIDE, False)
        official = official_day(day)
        estimated = official.estimated and day.year not in self.confirmed_years
        if official.status == "holiday":
            return DayInfo(day, DayKind.HOLIDAY, (), official.name, official.source, estimated)
        if official.status == "workday":
            return DayInfo(day, DayKind.ADJUSTED_WORKDAY, weekday_periods or self.standard_hours,
                           official.name, official.source, estimated)
        kind = DayKind.WORKDAY if weekday_periods else DayKind.WEEKEND
        return DayInfo(day, kind, weekday_periods, official.name, official.source, estimated)

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """Working periods of a local date as aware UTC datetimes."""
        result = []
        for start, end in self.day(day).periods:
            result.append((
                datetime.combine(day, start, self.tz).astimezone(UTC),
                datetime.combine(day, end, self.tz).astimezone(UTC),
            ))
        return result

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def is_working_day(self, day: date) -> bool:
        return self.day(day).working

    def is_working_time(self, moment: datetime) -> bool:
        return any(start <= moment < end for start, end in self.periods(self.local_date(moment)))

    # -- arithmetic --
    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment when ``duration`` of working time has passed after ``start``.

        A positive duration that ends exactly at the end of a working period returns that
        end (not the next morning), so adding in two steps equals adding the sum.
        """
        if duration <= timedelta(0):
            return start
        remaining = duration
        cursor = start.astimezone(UTC)
        day = self.local_date(cursor)
        idle_days = 0
        while idle_days <= MAX_DAYS_WITHOUT_WORK:
            worked = False
            for period_start, period_end in self.periods(day):
                if period_end <= cursor:
                    continue
                worked = True
                begin = max(period_start, cursor)
                available = period_end - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(self.tz)
                remaining -= available
                cursor = period_end
            idle_days = 0 if worked else idle_days + 1
            day += timedelta(days=1)
        logger.warning("No working time found within %s days; counting calendar time.",
                       MAX_DAYS_WITHOUT_WORK)
        return (cursor + remaining).astimezone(self.tz)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two moments (zero when ``end`` is not after ``start``)."""
        if end <= start:
            return timedelta(0)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        day = self.local_date(start)
        last = self.local_date(end)
        while day <= last:
            for period_start, period_end in self.periods(day):
                overlap = min(period_end, end) - max(period_start, start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def next_working_day(self, day: date) -> date:
        """The first working day on or after ``day``."""
        for _step in range(MAX_DAYS_WITHOUT_WORK):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        return day

    def roll_to_working_day(self, moment: datetime) -> datetime:
        """Move a moment on a day off to the same local time on the next working day."""
        local = moment.astimezone(self.tz)
        target = self.next_working_day(local.date())
        if target == local.date():
            return local
        return datetime.combine(target, local.time().replace(tzinfo=None), self.tz)

    def due(self, start: datetime, duration: timedelta, *, business: bool,
            roll: bool = False) -> datetime:
        """Due time of a target counted in business hours or in calendar hours."""
        if business:
            return self.add(start, duration)
        moment = (start + duration).astimezone(self.tz)
        return self.roll_to_working_day(moment) if roll else moment

    def elapsed(self, start: datetime, end: datetime, *, business: bool) -> timedelta:
        if business:
            return self.between(start, end)
        return max(timedelta(0), end - start)


# --- the configured calendar, shared by a process -----------------------------------------

_state: dict = {"version": None, "loaded": 0.0, "calendar": None}
# Caches above this module (the policies in ``clocks``) register here to be dropped too.
_change_listeners: list = []


def on_configuration_change(listener) -> None:
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def _configuration_saved(**kwargs) -> None:
    configuration_changed()


def watch_configuration() -> None:
    """Any save or delete of hours, days, years or policies announces a change."""
    from django.db.models.signals import post_delete, post_save

    from aftersales.sla.models import CalendarDay, CalendarYear, SlaPolicy, WorkingPeriod

    for model in (SlaPolicy, WorkingPeriod, CalendarDay, CalendarYear):
        post_save.connect(_configuration_saved, sender=model,
                          dispatch_uid=f"sla-config-save-{model.__name__}")
        post_delete.connect(_configuration_saved, sender=model,
                            dispatch_uid=f"sla-config-delete-{model.__name__}")


def configuration_changed() -> None:
    """Announce an admin change of hours, days or policies to every process."""
    _state["calendar"] = None
    _version_seen["at"] = None
    try:
        cache.set(CONFIG_VERSION_KEY, uuid.uuid4().hex, None)
    except Exception:  # a cache outage must not block an admin's save
        logger.exception("Could not announce the SLA configuration change")
    for listener in _change_listeners:
        listener()


# Other processes' changes are read from the cache at most once a second: a request that
# starts several clocks asks once, not once per clock.
VERSION_CHECK_SECONDS = 1.0
_version_seen: dict = {"at": None, "value": None}


def config_version() -> str | None:
    now = monotonic_time.monotonic()
    seen = _version_seen["at"]
    if seen is not None and now - seen < VERSION_CHECK_SECONDS:
        return _version_seen["value"]
    try:
        value = cache.get(CONFIG_VERSION_KEY)
    except Exception:
        logger.exception("Could not read the SLA configuration version")
        return None
    _version_seen.update(at=now, value=value)
    return value


def _load_calendar() -> BusinessCalendar:
    from aftersales.sla.models import CalendarDay, CalendarYear, WorkingPeriod

    hours: dict[int, list[Period]] = {}
    for weekday, start, end in WorkingPeriod.objects.values_list("weekday", "start", "end"):
        hours.setdefault(weekday, []).append((start, end))
    overrides = {}
    for row in CalendarDay.objects.values("date", "kind", "start", "end", "name"):
        periods = ((row["start"], row["end"]),) if row["start"] and row["end"] else ()
        overrides[row["date"]] = (row["kind"], periods, row["name"])
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    return BusinessCalendar(
        weekday_hours={d: tuple(sorted(p)) for d, p in hours.items()} or dict(DEFAULT_HOURS),
        overrides=overrides,
        confirmed_years=years,
    )


def get_calendar() -> BusinessCalendar:
    """The calendar as the admins configured it, rebuilt when they change it."""
    version = config_version()
    fresh = monotonic_time.monotonic() - _state["loaded"] < CONFIG_TTL_SECONDS
    if _state["calendar"] is not None and _state["version"] == version and fresh:
        return _state["calendar"]
    try:
        calendar = _load_calendar()
    except Exception:  # e.g. tables not migrated yet: keep counting with the defaults
        logger.exception("Could not load the business calendar; using the defaults")
        calendar = BusinessCalendar()
    _state.update(calendar=calendar, version=version, loaded=monotonic_time.monotonic())
    return calendar


@dataclass(frozen=True)
class YearWarning:
    year: int
    source: str
    message: str


def unconfirmed_years(today: date | None = None) -> list[YearWarning]:
    """This year and next, where the calendar relies on an estimate nobody confirmed."""
    from django.utils import timezone

    today = today or timezone.localdate()
    calendar = get_calendar()
    warnings = []
    for year in (today.year, today.year + 1):
        status = year_status(year)
        if not status.estimated or year in calendar.confirmed_years:
            continue
        if status.source == Source.HOLIDAYS:
            message = _(
                "The official holidays and adjusted working days (调休) for %(year)s are not "
                "in chinesecalendar yet. The calendar uses the statutory holidays from the "
                "holidays package, with estimated substitute days and no adjusted working "
                "days. Enter the State Council's schedule as calendar days, then confirm "
                "the year."
            )
        else:
            message = _(
                "No holiday data is available for %(year)s; only weekdays and working hours "
                "count. Enter the public holidays and adjusted working days (调休) as "
                "calendar days, then confirm the year."
            )
        warnings.append(YearWarning(year, status.source, str(message) % {"year": year}))
    return warnings
