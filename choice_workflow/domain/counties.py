"""Counties: where an employer is, for the equitable distribution of 15(d).

The Director distributes grant funds "equitably among geographic areas of the State"
and takes "into account rural and urban diversity" (15(d)). An employer's county gives
both: its geographic area (an economic development region) and whether it is rural.

The default table (package data ``illinois-counties.csv``, sources in
``illinois-counties.md``) has all 102 counties. ``rural`` is complete: a county is rural
unless it lies in a metropolitan statistical area (OMB, July 21, 2023). ``region`` is
not: 14 counties (those expected in the Southeastern region) have no sourced region,
and they fall in one area, :data:`UNSOURCED_AREA`, which a selection and the reports
name and explain. An agency with a complete table loads it with
:meth:`CountyTable.from_csv`.

A table is known by its :attr:`CountyTable.digest`; the Rules record the digest of the
table in force (``Rules.county_table``), so that verify and the reports use the table
the Program used. Logs that record none ran with the table of earlier versions (60
sourced regions, the rest in the area :data:`UNASSIGNED_AREA`), which ships too
(:func:`shipped_table`).
"""

from __future__ import annotations

import csv
import difflib
import enum
import functools
import hashlib
import importlib.resources
import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

import attrs
import rfc8785

from choice_workflow.errors import InvalidInput, Problem, RulesMismatch

UNSOURCED_AREA = "region not sourced"
"""15(d): the geographic area of the default table's counties without a sourced region
(an agency with a complete table loads its own)."""
UNASSIGNED_AREA = "unassigned"
"""15(d): the same area in the county table of logs that record none (and the area of
an employer whose county such a log did not know)."""
UNSOURCED_AREAS = frozenset({UNSOURCED_AREA, UNASSIGNED_AREA})
"""The names an area without a sourced region has had."""

COLUMNS = ("fips", "county", "cbsa_type", "cbsa_name", "rural", "region")
"""The columns of a county table, in the order of the default table."""

Setting = Literal["rural", "urban"]
"""15(d): "rural and urban diversity"."""

_CITES = ("15(d)",)
_FIPS = re.compile(r"\d{5}")


class RegionNotSourced(UserWarning):
    """15(d): an employer's county has no sourced region in the county table in force;
    it counts in the table's area without one (the message says which, and what to do)."""


class CbsaType(enum.Enum):
    """The kind of core-based statistical area a county lies in (OMB Bulletin 23-01)."""

    METROPOLITAN = "metropolitan"
    MICROPOLITAN = "micropolitan"
    NONE = "none"
    """In no core-based statistical area."""


@attrs.frozen(kw_only=True)
class County:
    """One county: its 5-digit FIPS code, its name without " County", its core-based
    statistical area, whether it is rural (15(d)) and its region (None where no source
    gives one)."""

    fips: str
    name: str
    cbsa_type: CbsaType
    cbsa_name: str | None
    rural: bool
    region: str | None


def area(county: County, unsourced: str = UNSOURCED_AREA) -> str:
    """15(d): the geographic area of ``county``: its region, or ``unsourced`` (the
    table's :attr:`CountyTable.unsourced_area`) when the table gives none."""
    return county.region or unsourced


def geography(county: County, unsourced: str = UNSOURCED_AREA) -> tuple[str, Setting]:
    """15(d): ``(area, "rural" | "urban")`` of ``county``, the geographic part of a
    selection stratum."""
    return area(county, unsourced), "rural" if county.rural else "urban"


def _key(name: str) -> str:
    # "St. Clair", "st clair", "Saint Clair County" and "DeWitt" all find their county.
    key = name.casefold().strip()
    key = key.removesuffix(" county")
    key = re.sub(r"^saint\b", "st", key)
    return re.sub(r"[^0-9a-z]", "", key)


class CountyTable:
    """The counties of the State, looked up by name (case-insensitive) or FIPS code.

    Build it with :meth:`illinois` (the default table) or :meth:`from_csv`; building
    from counties directly refuses duplicate codes or names.
    """

    def __init__(
        self, counties: Iterable[County], *, source: str = "", unsourced_area: str = UNSOURCED_AREA
    ) -> None:
        self.counties: tuple[County, ...] = tuple(counties)
        """Every county, in the table's order."""
        self.source = source
        """Where the table came from (a path, or the package data)."""
        self.unsourced_area = unsourced_area
        """15(d): the area of the counties without a region."""
        self._by_fips: dict[str, County] = {}
        self._by_key: dict[str, County] = {}
        problems: list[Problem] = []
        for county in self.counties:
            for index, key, what in (
                (self._by_fips, county.fips, "FIPS code"),
                (self._by_key, _key(county.name), "name"),
            ):
                if key in index:
                    problems.append(
                        Problem(
                            _CITES,
                            f"duplicate county {what} {key!r}",
                            "Give each county once.",
                            county.name,
                        )
                    )
                index[key] = county
        if not self.counties:
            problems.append(
                Problem(_CITES, "the county table is empty", "Give at least one county.")
            )
        if problems:
            raise InvalidInput(problems=problems)

    @classmethod
    def illinois(cls) -> CountyTable:
        """The default table of the 102 Illinois counties (package data, read once)."""
        return _shipped("illinois-counties.csv", UNSOURCED_AREA)

    @functools.cached_property
    def digest(self) -> str:
        """sha256 (hex) of the table's content: RFC 8785 JSON of its rows sorted by FIPS
        code (fips, name, cbsa_type, cbsa_name, rural, region) and the name of its area
        without a region. Equal tables have one digest, wherever they were read from."""
        rows = [
            [c.fips, c.name, c.cbsa_type.value, c.cbsa_name, c.rural, c.region]
            for c in sorted(self.counties, key=lambda c: c.fips)
        ]
        data = {"counties": rows, "unsourced_area": self.unsourced_area}
        return hashlib.sha256(rfc8785.dumps(data)).hexdigest()

    def is_sourced(self, county: County) -> bool:
        """15(d): whether the table gives ``county`` a region."""
        return county.region is not None

    @classmethod
    def from_csv(
        cls, path: str | os.PathLike[str], *, unsourced_area: str = UNSOURCED_AREA
    ) -> CountyTable:
        """An agency's table from a CSV file with the columns :data:`COLUMNS`."""
        text = Path(path).read_text(encoding="utf-8")
        return cls.from_csv_text(text, source=str(path), unsourced_area=unsourced_area)

    @classmethod
    def from_csv_text(
        cls, text: str, *, source: str = "<text>", unsourced_area: str = UNSOURCED_AREA
    ) -> CountyTable:
        """A table from CSV text with the columns :data:`COLUMNS` (a header row first).

        Every bad row is reported at once in :class:`~choice_workflow.errors.InvalidInput`,
        each problem naming its line: a FIPS code that is not 5 digits, an empty name, an
        unknown ``cbsa_type``, a ``cbsa_name`` that is missing (or present for ``none``),
        a ``rural`` that is not true or false, a duplicate code or name.
        """
        reader = csv.DictReader(io.StringIO(text))
        header = tuple(reader.fieldnames or ())
        if sorted(header) != sorted(COLUMNS):
            raise InvalidInput(
                problems=[
                    Problem(
                        _CITES,
                        f"{source} line 1: the columns are {', '.join(header) or 'missing'}",
                        f"Use exactly the columns {', '.join(COLUMNS)}.",
                        "line 1",
                    )
                ]
            )
        counties: list[County] = []
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            county, row_problems = _parse_row(row, f"line {line}", source)
            problems.extend(row_problems)
            if county is None:
                continue
            for key in (county.fips, _key(county.name)):
                if key in seen:
                    problems.append(
                        Problem(
                            _CITES,
                            f"{source} line {line}: {key!r} repeats line {seen[key]}",
                            "Give each county once.",
                            f"line {line}",
                        )
                    )
                seen.setdefault(key, line)
            counties.append(county)
        if not counties and not problems:
            problems.append(
                Problem(_CITES, f"{source}: no counties", "Add a row per county.", "line 2")
            )
        if problems:
            raise InvalidInput(problems=problems)
        return cls(counties, source=source, unsourced_area=unsourced_area)

    def lookup(self, name_or_fips: str) -> County:
        """The county named ``name_or_fips`` (any case, with or without " County") or
        with that 5-digit FIPS code.

        An unknown county raises :class:`~choice_workflow.errors.InvalidInput` (cite
        15(d)) whose hint lists the closest names.
        """
        if isinstance(name_or_fips, str):
            wanted = name_or_fips.strip()
            found = (
                self._by_fips.get(wanted)
                if _FIPS.fullmatch(wanted)
                else self._by_key.get(_key(wanted))
            )
            if found is not None:
                return found
        names = [c.name for c in self.counties]
        close = difflib.get_close_matches(str(name_or_fips).strip().title(), names, n=3, cutoff=0.6)
        hint = f"Did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise InvalidInput(
            problems=[
                Problem(
                    _CITES,
                    f"unknown county {name_or_fips!r}",
                    f"{hint}Give a county name as in the table (e.g. {names[0]!r}) or its 5-digit FIPS code.",
                    "county",
                )
            ]
        )

    def areas(self) -> tuple[str, ...]:
        """15(d): the table's geographic areas, sorted (with :attr:`unsourced_area`
        where a county has no region)."""
        return tuple(sorted({area(c, self.unsourced_area) for c in self.counties}))

    def geography(self, county: County) -> tuple[str, Setting]:
        """15(d): ``(area, "rural" | "urban")`` of one of the table's counties."""
        return geography(county, self.unsourced_area)

    def __iter__(self) -> Iterator[County]:
        return iter(self.counties)

    def __len__(self) -> int:
        return len(self.counties)

    def __repr__(self) -> str:
        return f"CountyTable({len(self)} counties from {self.source or 'memory'})"


def _parse_row(
    row: dict[str | None, str | None], where: str, source: str
) -> tuple[County | None, list[Problem]]:
    problems: list[Problem] = []

    def bad(column: str, reason: str, hint: str) -> None:
        problems.append(Problem(_CITES, f"{source} {where}: {reason}", hint, f"{where}.{column}"))

    if None in row or any(row.get(c) is None for c in COLUMNS):
        bad("fips", f"the row has not {len(COLUMNS)} fields", f"Give {', '.join(COLUMNS)}.")
        return None, problems
    value = {c: (row[c] or "").strip() for c in COLUMNS}
    if not _FIPS.fullmatch(value["fips"]):
        bad(
            "fips",
            f"FIPS code {value['fips']!r} is not 5 digits",
            "Use the state and county code, e.g. 17031.",
        )
    if not value["county"]:
        bad("county", "the county name is empty", "Give the name without ' County'.")
    try:
        cbsa_type = CbsaType(value["cbsa_type"].lower())
    except ValueError:
        choices = ", ".join(t.value for t in CbsaType)
        bad("cbsa_type", f"unknown cbsa_type {value['cbsa_type']!r}", f"Use one of {choices}.")
        cbsa_type = None
    if cbsa_type is CbsaType.NONE and value["cbsa_name"]:
        bad("cbsa_name", "a county in no CBSA has a cbsa_name", "Leave cbsa_name empty for 'none'.")
    elif cbsa_type not in (None, CbsaType.NONE) and not value["cbsa_name"]:
        bad(
            "cbsa_name",
            "the cbsa_name is empty",
            "Name the CBSA, e.g. 'Chicago-Naperville-Elgin, IL-IN'.",
        )
    rural = {"true": True, "false": False}.get(value["rural"].lower())
    if rural is None:
        bad("rural", f"rural is {value['rural']!r}", "Use true or false.")
    if problems or cbsa_type is None or rural is None:
        return None, problems
    county = County(
        fips=value["fips"],
        name=value["county"],
        cbsa_type=cbsa_type,
        cbsa_name=value["cbsa_name"] or None,
        rural=rural,
        region=value["region"] or None,
    )
    return county, problems


@functools.cache
def _shipped(name: str, unsourced_area: str) -> CountyTable:
    resource = importlib.resources.files("choice_workflow") / "data" / name
    return CountyTable.from_csv_text(
        resource.read_text(encoding="utf-8"), source=name, unsourced_area=unsourced_area
    )


_SHIPPED = (
    ("illinois-counties.csv", UNSOURCED_AREA),
    ("illinois-counties-v1.csv", UNASSIGNED_AREA),
)


def shipped_table(digest: str) -> CountyTable | None:
    """15(d): the shipped county table with ``digest`` (the default one, or that of logs
    that record none); None for any other (an agency's own table, which its caller
    passes)."""
    for name, unsourced in _SHIPPED:
        table = _shipped(name, unsourced)
        if table.digest == digest:
            return table
    return None


def table_for(digest: str, given: CountyTable | None = None) -> CountyTable:
    """15(d): the county table whose digest the Rules record: ``given`` when it is that
    table, else the shipped one. Any other is a
    :class:`~choice_workflow.errors.RulesMismatch` that says what to pass."""
    if given is not None and given.digest == digest:
        return given
    shipped = shipped_table(digest)
    if shipped is not None and given is None:
        return shipped
    what = (
        "no table was given" if given is None else f"the table given has digest {given.digest[:12]}"
    )
    raise RulesMismatch(
        reason=f"the Rules name county table {digest[:12]}, and {what}",
        cites=_CITES,
        hint="Pass the county table the program ran with (counties=, or --counties FILE), "
        "or Rules with county_table=table.digest for a new program.",
    )
