"""Section 35: the Competitive Integrated Employment Task Force.

- 35(a), its four purposes: (i) guidance and recommendations, (ii) review of progress,
  (iii) systemwide and systematic barriers to transition, (iv) support of the continued
  use of 14(c) certificates until a clear and concise consensus emerges: :class:`Purpose`.
- 35(b), its members: 7 categories, 11 seats, each filled by one appointing authority:
  :class:`Seat`, :class:`Appointment` and the roster validator :func:`check_roster`,
  whose every problem cites ``35(b)``.
- 35(c), its meetings "at the call of the Director" and its recommendations:
  :class:`Meeting` and :class:`Recommendation`, held in a :class:`TaskForceRecord`
  that the progress report (:mod:`~choice_workflow.reports.progress`) reads.

Members are named by ids or role descriptions ("member-1", "Senator (majority)"); the
library never needs a person's name.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from choice_workflow.errors import InvalidInput, Problem

ROSTER = "35(b)"
PURPOSES = "35(a)"
MEETINGS = "35(c)"


class Purpose(enum.Enum):
    """35(a): what the Task Force is created to do; the value is the clause."""

    GUIDANCE = "35(a)(i)"
    PROGRESS = "35(a)(ii)"
    BARRIERS = "35(a)(iii)"
    CONTINUED_USE = "35(a)(iv)"

    @property
    def title(self) -> str:
        """The purpose in the Act's words."""
        return _PURPOSE_TITLES[self]


_PURPOSE_TITLES = {
    Purpose.GUIDANCE: "provide guidance and recommendations",
    Purpose.PROGRESS: "review progress made throughout the process",
    Purpose.BARRIERS: "address systemwide and systematic barriers to transition",
    Purpose.CONTINUED_USE: (
        "support the continued use of 14(c) certificates until a clear and concise "
        "consensus emerges from all parties in the Task Force on actions, including "
        "additional statutory, regulatory, or policy measures"
    ),
}


class Authority(enum.Enum):
    """35(b): who appoints a member."""

    PRESIDENT_OF_THE_SENATE = "the President of the Senate"
    SENATE_MINORITY_LEADER = "the Minority Leader of the Senate"
    SPEAKER_OF_THE_HOUSE = "the Speaker of the House of Representatives"
    HOUSE_MINORITY_LEADER = "the Minority Leader of the House of Representatives"
    SECRETARY_OF_HUMAN_SERVICES = "the Secretary of Human Services"
    DIRECTOR_OF_HEALTHCARE_AND_FAMILY_SERVICES = "the Director of Healthcare and Family Services"
    """35(b)(6): the Director serves, or names a designee."""
    DIRECTOR_OF_LABOR = "the Director of Labor"


class Seat(enum.Enum):
    """35(b): the 11 seats of the Task Force; the value is the clause."""

    SENATE_BY_PRESIDENT = "35(b)(1)"
    SENATE_BY_MINORITY_LEADER = "35(b)(2)"
    HOUSE_BY_SPEAKER = "35(b)(3)"
    HOUSE_BY_MINORITY_LEADER = "35(b)(4)"
    HUMAN_SERVICES_EMPLOYEE = "35(b)(5)"
    HEALTHCARE_AND_FAMILY_SERVICES = "35(b)(6)"
    COMMUNITY_AGENCY = "35(b)(7)(A)"
    SUBMINIMUM_WAGE_EXPERIENCE = "35(b)(7)(B)"
    EMPLOYER = "35(b)(7)(C)"
    ADVOCACY_ORGANIZATION = "35(b)(7)(D)"
    COMPETITIVE_EMPLOYMENT_EXPERIENCE = "35(b)(7)(E)"

    @property
    def category(self) -> int:
        """The category of 35(b), 1 to 7."""
        return int(self.value[6])

    @property
    def description(self) -> str:
        """Who holds the seat, in the Act's words."""
        return _SEATS[self][0]

    @property
    def authority(self) -> Authority:
        """Who appoints to the seat."""
        return _SEATS[self][1]


_SEATS: dict[Seat, tuple[str, Authority]] = {
    Seat.SENATE_BY_PRESIDENT: ("one member of the Senate", Authority.PRESIDENT_OF_THE_SENATE),
    Seat.SENATE_BY_MINORITY_LEADER: (
        "one member of the Senate",
        Authority.SENATE_MINORITY_LEADER,
    ),
    Seat.HOUSE_BY_SPEAKER: (
        "one member of the House of Representatives",
        Authority.SPEAKER_OF_THE_HOUSE,
    ),
    Seat.HOUSE_BY_MINORITY_LEADER: (
        "one member of the House of Representatives",
        Authority.HOUSE_MINORITY_LEADER,
    ),
    Seat.HUMAN_SERVICES_EMPLOYEE: (
        "one employee of the Division of Developmental Disabilities or the Division of "
        "Rehabilitation Services",
        Authority.SECRETARY_OF_HUMAN_SERVICES,
    ),
    Seat.HEALTHCARE_AND_FAMILY_SERVICES: (
        "the Director of Healthcare and Family Services, or a designee",
        Authority.DIRECTOR_OF_HEALTHCARE_AND_FAMILY_SERVICES,
    ),
    Seat.COMMUNITY_AGENCY: (
        "a representative of a community agency that is a 14(c) certificate holder",
        Authority.DIRECTOR_OF_LABOR,
    ),
    Seat.SUBMINIMUM_WAGE_EXPERIENCE: (
        "an individual with a disability who has been or is engaged in subminimum wage activities",
        Authority.DIRECTOR_OF_LABOR,
    ),
    Seat.EMPLOYER: (
        "an employer who owns a business that employs individuals making the subminimum wage",
        Authority.DIRECTOR_OF_LABOR,
    ),
    Seat.ADVOCACY_ORGANIZATION: (
        "a representative of an advocacy organization working to end the issuance of "
        "14(c) certificates",
        Authority.DIRECTOR_OF_LABOR,
    ),
    Seat.COMPETITIVE_EMPLOYMENT_EXPERIENCE: (
        "an individual with a disability who has been or is engaged in competitive "
        "integrated employment",
        Authority.DIRECTOR_OF_LABOR,
    ),
}


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _date_problems(value: object) -> list[Problem]:
    """35(c): the problem of a meeting's or a recommendation's date, if any."""
    if _is_date(value):
        return []
    return [Problem((MEETINGS,), f"date must be a date, got {value!r}", "Pass a date.", "date")]


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise InvalidInput(problems=problems)


@attrs.frozen(kw_only=True)
class Appointment:
    """35(b): ``member`` (an id or a role description) holds ``seat``, appointed by
    ``appointed_by``, from ``start`` until ``end`` (exclusive; ``None``: still
    serving). ``designee`` marks the designee of the Director of Healthcare and Family
    Services (35(b)(6)). The types are checked when built; whether the roster is
    complete and rightly appointed is :func:`check_roster`'s question."""

    member: str
    seat: Seat
    appointed_by: Authority
    start: dt.date
    end: dt.date | None = None
    designee: bool = False

    def __attrs_post_init__(self) -> None:
        problems = []

        def bad(field: str, reason: str, hint: str) -> None:
            problems.append(Problem((ROSTER,), reason, hint, field))

        if not _text(self.member):
            bad("member", "a member needs an id", "Name the member by an id or a role.")
        if not isinstance(self.seat, Seat):
            bad("seat", f"{self.seat!r} is not a seat of 35(b)", "Use a Seat, e.g. Seat.EMPLOYER.")
        if not isinstance(self.appointed_by, Authority):
            bad(
                "appointed_by",
                f"{self.appointed_by!r} is not an appointing authority of 35(b)",
                "Use an Authority.",
            )
        if not _is_date(self.start):
            bad("start", f"start must be a date, got {self.start!r}", "Pass a datetime.date.")
        if self.end is not None and not _is_date(self.end):
            bad("end", f"end must be a date or None, got {self.end!r}", "Pass a datetime.date.")
        elif _is_date(self.start) and self.end is not None and self.end <= self.start:
            bad("end", f"the appointment ends on {self.end} before it starts", "Check the dates.")
        if not isinstance(self.designee, bool):
            bad("designee", "designee must be True or False", "Pass a bool.")
        _raise(problems)

    def serves_on(self, day: dt.date) -> bool:
        """True when the appointment is in force on ``day``."""
        return self.start <= day and (self.end is None or day < self.end)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (enums by value, dates in ISO form)."""
        return {
            "member": self.member,
            "seat": self.seat.value,
            "appointed_by": self.appointed_by.value,
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "designee": self.designee,
        }


def check_roster(appointments: Iterable[Appointment], *, on: dt.date) -> tuple[Problem, ...]:
    """35(b): every problem of the roster in force on ``on``, each citing ``35(b)``, in
    the order of the seats: a seat vacant, filled more than once, or filled by the
    wrong appointing authority; a designee anywhere but 35(b)(6); one member in two
    seats (the Task Force has 11 members). Empty when the roster is complete."""
    serving = [a for a in appointments if a.serves_on(on)]
    problems: list[Problem] = []
    for seat in Seat:
        holders = [a for a in serving if a.seat is seat]
        where = f"{seat.value} {seat.description}"
        if not holders:
            problems.append(
                Problem(
                    (ROSTER,),
                    f"{where}: the seat is vacant on {on.isoformat()}",
                    f"{seat.authority.value[0].upper()}{seat.authority.value[1:]} appoints to it.",
                    seat.value,
                )
            )
        elif len(holders) > 1:
            problems.append(
                Problem(
                    (ROSTER,),
                    f"{where}: the seat is held {len(holders)} times "
                    f"({', '.join(a.member for a in holders)})",
                    "Each seat is filled once: end the other appointments.",
                    seat.value,
                )
            )
        for a in holders:
            if a.appointed_by is not seat.authority:
                problems.append(
                    Problem(
                        (ROSTER,),
                        f"{where}: {a.member} was appointed by {a.appointed_by.value}, "
                        f"not {seat.authority.value}",
                        f"Only {seat.authority.value} appoints to {seat.value}.",
                        seat.value,
                    )
                )
            if a.designee and seat is not Seat.HEALTHCARE_AND_FAMILY_SERVICES:
                problems.append(
                    Problem(
                        (ROSTER,),
                        f"{where}: {a.member} is marked as a designee",
                        "Only the 35(b)(6) seat may be held by a designee.",
                        seat.value,
                    )
                )
    seats_of: dict[str, list[Seat]] = {}
    for a in serving:
        seats_of.setdefault(a.member, []).append(a.seat)
    for member, seats in seats_of.items():
        if len(set(seats)) > 1:
            problems.append(
                Problem(
                    (ROSTER,),
                    f"{member} holds {len(set(seats))} seats "
                    f"({', '.join(sorted({s.value for s in seats}))}); the Task Force has 11 members",
                    "Appoint a different member to each seat.",
                    "member",
                )
            )
    return tuple(problems)


def _purposes(value: Iterable[Purpose]) -> frozenset[Purpose]:
    return frozenset(value) if isinstance(value, Iterable) else frozenset({value})


def _members(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@attrs.frozen(kw_only=True)
class Meeting:
    """35(c): a meeting of the Task Force (it meets "at the call of the Director"):
    its date, the members present (ids), the purposes of 35(a) it addressed, and an
    optional summary."""

    date: dt.date
    attendees: tuple[str, ...] = attrs.field(converter=_members)
    purposes: frozenset[Purpose] = attrs.field(converter=_purposes)
    summary: str = ""

    def __attrs_post_init__(self) -> None:
        problems = _date_problems(self.date)
        if not all(_text(m) for m in self.attendees):
            problems.append(
                Problem(
                    (MEETINGS,), "every attendee needs an id", "Name members by ids.", "attendees"
                )
            )
        if not self.purposes or not all(isinstance(p, Purpose) for p in self.purposes):
            problems.append(
                Problem(
                    (PURPOSES,),
                    f"a meeting addresses one or more purposes of 35(a), got {sorted(map(str, self.purposes))}",
                    "Use Purpose.GUIDANCE, PROGRESS, BARRIERS or CONTINUED_USE.",
                    "purposes",
                )
            )
        if not isinstance(self.summary, str):
            problems.append(Problem((MEETINGS,), "summary must be text", "Pass a str.", "summary"))
        _raise(problems)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "date": self.date.isoformat(),
            "attendees": list(self.attendees),
            "purposes": sorted(p.value for p in self.purposes),
            "summary": self.summary,
        }


@attrs.frozen(kw_only=True)
class Recommendation:
    """35(a)(i), 35(c): a recommendation the Task Force made on ``date``, under one
    purpose of 35(a)."""

    date: dt.date
    purpose: Purpose
    text: str

    def __attrs_post_init__(self) -> None:
        problems = _date_problems(self.date)
        if not isinstance(self.purpose, Purpose):
            problems.append(
                Problem(
                    (PURPOSES,),
                    f"{self.purpose!r} is not a purpose of 35(a)",
                    "Use a Purpose.",
                    "purpose",
                )
            )
        if not _text(self.text):
            problems.append(
                Problem((MEETINGS,), "a recommendation needs its text", "Write it.", "text")
            )
        _raise(problems)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {"date": self.date.isoformat(), "purpose": self.purpose.value, "text": self.text}


def _appointments(value: Iterable[Appointment]) -> tuple[Appointment, ...]:
    return tuple(value)


def _meetings(value: Iterable[Meeting]) -> tuple[Meeting, ...]:
    return tuple(value)


def _recommendations(value: Iterable[Recommendation]) -> tuple[Recommendation, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class TaskForceRecord:
    """What the Department records of the Task Force: appointments (35(b)), meetings
    and recommendations (35(a), 35(c))."""

    appointments: tuple[Appointment, ...] = attrs.field(default=(), converter=_appointments)
    meetings: tuple[Meeting, ...] = attrs.field(default=(), converter=_meetings)
    recommendations: tuple[Recommendation, ...] = attrs.field(
        default=(), converter=_recommendations
    )

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data: the form :meth:`from_data` reads (``--task-force FILE``)."""
        return {
            "appointments": [a.to_data() for a in self.appointments],
            "meetings": [m.to_data() for m in self.meetings],
            "recommendations": [r.to_data() for r in self.recommendations],
        }

    @classmethod
    def from_data(cls, data: object) -> TaskForceRecord:
        """The record :meth:`to_data` wrote; anything else is
        :class:`~choice_workflow.errors.InvalidInput` naming what is wrong."""
        try:
            if not isinstance(data, Mapping):
                raise TypeError("the record is a JSON object")
            return cls(
                appointments=[_appointment(a) for a in _list(data, "appointments")],
                meetings=[_meeting(m) for m in _list(data, "meetings")],
                recommendations=[_recommendation(r) for r in _list(data, "recommendations")],
            )
        except InvalidInput:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(
                problems=[
                    Problem(
                        (MEETINGS, ROSTER),
                        f"the Task Force record cannot be read: {exc}",
                        "Write it as TaskForceRecord.to_data() does (docs/reports.md).",
                    )
                ]
            ) from None


def _list(data: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise TypeError(f"{key} must be a list of objects")
    return value


def _day(value: object) -> dt.date:
    return dt.date.fromisoformat(str(value))


def _appointment(d: Mapping[str, Any]) -> Appointment:
    end = d.get("end")
    return Appointment(
        member=str(d["member"]),
        seat=Seat(d["seat"]),
        appointed_by=Authority(d["appointed_by"]),
        start=_day(d["start"]),
        end=None if end is None else _day(end),
        designee=bool(d.get("designee", False)),
    )


def _meeting(d: Mapping[str, Any]) -> Meeting:
    return Meeting(
        date=_day(d["date"]),
        attendees=tuple(str(m) for m in d.get("attendees", [])),
        purposes=frozenset(Purpose(p) for p in d["purposes"]),
        summary=str(d.get("summary", "")),
    )


def _recommendation(d: Mapping[str, Any]) -> Recommendation:
    return Recommendation(date=_day(d["date"]), purpose=Purpose(d["purpose"]), text=str(d["text"]))
