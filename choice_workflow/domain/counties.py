"""Counties: where an employer is, for the equitable distribution of 15(d).

The Director distributes grant funds "equitably among geographic areas of the State"
and takes "into account rural and urban diversity" (15(d)). An employer's county gives
both: its geographic area (an economic development region) and whether it is rural.

The default table (package data ``illinois-counties.csv``, sources in
``illinois-counties.md``) has all 102 counties. ``rural`` is complete: a county is rural
unless it lies in a metropolitan statistical area (OMB, July 21, 2023). ``region`` is
not: 42 counties have no sourced region, and each of them falls in the area
:data:`UNASSIGNED_AREA`, which a selection names in its explanation. An agency with a
complete table loads it with :meth:`CountyTable.from_csv`.
"""

from __future__ import annotations

import csv
import difflib
import enum
import functools
import importlib.resources
import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

import attrs

from choice_workflow.errors import InvalidInput, Problem

UNASSIGNED_AREA = "unassigned"
"""15(d): the geographic area of a county whose table row has no region."""

COLUMNS = ("fips", "county", "cbsa_type", "cbsa_name", "rural", "region")
"""The columns of a county table, in the order of the default table."""

Setting = Literal["rural", "urban"]
"""15(d): "rural and urban diversity"."""

_CITES = ("15(d)",)
_FIPS = re.compile(r"\d{5}")


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


def area(county: County) -> str:
    """15(d): the geographic area of ``county``: its region, or :data:`UNASSIGNED_AREA`
    when the table gives none."""
    return county.region or UNASSIGNED_AREA


def geography(county: County) -> tuple[str, Setting]:
    """15(d): ``(area, "rural" | "urban")`` of ``county``, the geographic part of a
    selection stratum."""
    return area(county), "rural" if county.rural else "urban"


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

    def __init__(self, counties: Iterable[County], *, source: str = "") -> None:
        self.counties: tuple[County, ...] = tuple(counties)
        """Every county, in the table's order."""
        self.source = source
        """Where the table came from (a path, or the package data)."""
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
        return _illinois()

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> CountyTable:
        """An agency's table from a CSV file with the columns :data:`COLUMNS`."""
        text = Path(path).read_text(encoding="utf-8")
        return cls.from_csv_text(text, source=str(path))

    @classmethod
    def from_csv_text(cls, text: str, *, source: str = "<text>") -> CountyTable:
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
        return cls(counties, source=source)

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
        """15(d): the table's geographic areas, sorted (with :data:`UNASSIGNED_AREA`
        where a county has no region)."""
        return tuple(sorted({area(c) for c in self.counties}))

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
def _illinois() -> CountyTable:
    resource = importlib.resources.files("choice_workflow") / "data" / "illinois-counties.csv"
    return CountyTable.from_csv_text(
        resource.read_text(encoding="utf-8"), source="illinois-counties.csv"
    )
