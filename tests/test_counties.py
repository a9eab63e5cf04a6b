"""Counties, 15(d): geographic areas of the State, rural and urban."""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from choice_workflow.domain import (
    UNASSIGNED_AREA,
    UNSOURCED_AREA,
    CbsaType,
    County,
    CountyTable,
    area,
    geography,
)
from choice_workflow.domain.counties import shipped_table
from choice_workflow.errors import InvalidInput
from choice_workflow.rules import ILLINOIS_COUNTIES, ILLINOIS_COUNTIES_V1, Rules
from tests.strategies import valid_employer

HEADER = "fips,county,cbsa_type,cbsa_name,rural,region\n"


@pytest.fixture(name="table")
def fixture_table() -> CountyTable:
    """The default table of the 102 Illinois counties."""
    return CountyTable.illinois()


@pytest.mark.cite("15(d)")
def test_the_default_table_has_every_illinois_county_once(table: CountyTable) -> None:
    expected = [f"17{code:03d}" for code in range(1, 204, 2)]
    assert expected == sorted(c.fips for c in table)
    assert 102 == len({c.name for c in table})


@pytest.mark.cite("15(d)")
def test_a_county_is_urban_exactly_when_it_is_metropolitan(table: CountyTable) -> None:
    assert {"urban": 37, "rural": 65} == Counter(geography(c)[1] for c in table)
    assert all(c.rural == (c.cbsa_type is not CbsaType.METROPOLITAN) for c in table)


REGIONS = {
    "Central": "Cass Christian Greene Logan Macon Macoupin Menard Montgomery Morgan Sangamon "
    "Scott Shelby",
    "East Central": "Champaign Ford Iroquois Piatt Vermilion",
    "North Central": "De_Witt Fulton Livingston McLean Marshall Mason Peoria Stark Tazewell "
    "Woodford",
    "Northeast": "Cook DeKalb DuPage Grundy Kane Kankakee Kendall Lake McHenry Will",
    "Northern Stateline": "Boone Ogle Stephenson Winnebago",
    "Northwest": "Bureau Carroll Henry Jo_Daviess LaSalle Lee Mercer Putnam Rock_Island Whiteside",
    "Southern": "Alexander Edwards Franklin Gallatin Hamilton Hardin Jackson Jefferson Johnson "
    "Massac Perry Pope Pulaski Saline Union Wabash Wayne White Williamson",
    "Southwest": "Bond Calhoun Clinton Jersey Madison Monroe Randolph St._Clair Washington",
    "West Central": "Adams Brown Hancock Henderson Knox McDonough Pike Schuyler Warren",
}
"""The 88 counties with a sourced region (illinois-counties.md names the source of each
list), "_" for a space in a name."""
UNSOURCED = [
    "Clark",
    "Clay",
    "Coles",
    "Crawford",
    "Cumberland",
    "Douglas",
    "Edgar",
    "Effingham",
    "Fayette",
    "Jasper",
    "Lawrence",
    "Marion",
    "Moultrie",
    "Richland",
]
"""The 14 counties (expected in the Southeastern region) that no source lists."""


@pytest.mark.cite("15(d)")
def test_the_88_sourced_counties_each_have_their_region(table: CountyTable) -> None:
    expected = {
        name.replace("_", " "): region
        for region, names in REGIONS.items()
        for name in names.split()
    }
    assert 88 == len(expected)
    assert expected == {c.name: c.region for c in table if c.region is not None}


@pytest.mark.cite("15(d)")
def test_the_14_counties_without_a_sourced_region_form_one_area_that_says_so(
    table: CountyTable,
) -> None:
    areas = Counter(area(c, table.unsourced_area) for c in table)
    expected = {region: len(names.split()) for region, names in REGIONS.items()}
    assert expected | {UNSOURCED_AREA: 14} == dict(areas)
    assert sorted(UNSOURCED) == sorted(c.name for c in table if not table.is_sourced(c))
    assert "region not sourced" == table.unsourced_area == UNSOURCED_AREA
    assert tuple(sorted(expected | {UNSOURCED_AREA: 14})) == table.areas()


@pytest.mark.cite("15(d)")
def test_the_table_of_logs_that_record_none_keeps_its_42_unassigned_counties() -> None:
    older = shipped_table(ILLINOIS_COUNTIES_V1)
    assert older is not None
    areas = Counter(older.geography(c)[0] for c in older)
    assert {
        UNASSIGNED_AREA: 42, "Southern": 19, "Central": 12, "Northeast": 10, "North Central": 10,
        "East Central": 5, "Northern Stateline": 4,
    } == dict(areas)  # fmt: skip
    assert ILLINOIS_COUNTIES_V1 == Rules.from_canonical({}).county_table


@pytest.mark.cite("15(d)")
def test_a_table_is_known_by_its_content_and_the_rules_name_the_default_one(
    table: CountyTable, tmp_path: Path
) -> None:
    assert ILLINOIS_COUNTIES == table.digest == Rules.illinois().county_table
    assert shipped_table(ILLINOIS_COUNTIES) is table
    copy = tmp_path / "copy.csv"
    copy.write_text(
        (resources.files("choice_workflow") / "data" / "illinois-counties.csv").read_text("utf-8")
    )
    assert table.digest == CountyTable.from_csv(copy).digest
    renamed = CountyTable.from_csv(copy, unsourced_area="Southeastern (unsourced)")
    assert table.digest != renamed.digest
    assert shipped_table(renamed.digest) is None


@pytest.mark.cite("15(d)")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Cook", ("Northeast", "urban")),
        ("Adams", ("West Central", "rural")),
        ("Madison", ("Southwest", "urban")),
        ("Coles", (UNSOURCED_AREA, "rural")),
        ("Jackson", ("Southern", "rural")),
        ("Massac", ("Southern", "urban")),
        ("Winnebago", ("Northern Stateline", "urban")),
    ],
)
def test_geography_is_the_area_and_rural_or_urban(
    table: CountyTable, query: str, expected: tuple[str, str]
) -> None:
    assert expected == table.geography(table.lookup(query))


@pytest.mark.cite("15(d)")
@pytest.mark.parametrize(
    ("query", "fips"),
    [
        ("Cook", "17031"),
        ("cook", "17031"),
        ("COOK", "17031"),
        (" Cook County ", "17031"),
        ("17031", "17031"),
        ("St. Clair", "17163"),
        ("saint clair", "17163"),
        ("De Witt", "17039"),
        ("DeWitt", "17039"),
        ("jo daviess", "17085"),
        ("La Salle", "17099"),
    ],
)
def test_a_county_is_found_by_name_in_any_case_or_by_fips(
    table: CountyTable, query: str, fips: str
) -> None:
    assert fips == table.lookup(query).fips


@pytest.mark.cite("15(d)")
def test_an_unknown_county_is_refused_with_the_closest_names(table: CountyTable) -> None:
    with pytest.raises(InvalidInput) as caught:
        table.lookup("Cok")
    (problem,) = caught.value.problems
    assert (("15(d)",), "county") == (problem.cites, problem.field)
    assert "'Cook'" in problem.hint


@pytest.mark.cite("15(d)")
@pytest.mark.parametrize("query", ["17999", "", "Springfield", "Lake County, Indiana"])
def test_a_name_or_code_not_in_the_table_is_refused(table: CountyTable, query: str) -> None:
    with pytest.raises(InvalidInput, match="unknown county"):
        table.lookup(query)


@pytest.mark.cite("15(d)")
def test_a_county_that_is_not_text_is_refused(table: CountyTable) -> None:
    code: Any = 17031
    with pytest.raises(InvalidInput):
        table.lookup(code)


@pytest.mark.cite("15(d)")
def test_the_default_table_is_read_once(table: CountyTable) -> None:
    assert table is CountyTable.illinois()


@pytest.mark.cite("15(d)")
def test_an_employers_county_is_found(table: CountyTable) -> None:
    assert "Central" == area(table.lookup(valid_employer().county))


@pytest.mark.cite("15(d)")
def test_an_agency_loads_its_own_complete_table(tmp_path: Path) -> None:
    path = tmp_path / "counties.csv"
    path.write_text(
        HEADER
        + '17001,Adams,micropolitan,"Quincy, IL-MO",true,West Central\n17031,Cook,metropolitan,Chicago,false,Northeast\n',
        encoding="utf-8",
    )
    table = CountyTable.from_csv(path)
    assert [("West Central", "rural"), ("Northeast", "urban")] == [geography(c) for c in table]
    assert str(path) == table.source


@pytest.mark.cite("15(d)")
def test_the_package_table_reads_the_same_through_from_csv(table: CountyTable) -> None:
    source = (
        Path(__file__).resolve().parent.parent
        / "choice_workflow"
        / "data"
        / "illinois-counties.csv"
    )
    assert table.counties == CountyTable.from_csv(source).counties


@pytest.mark.cite("15(d)")
def test_every_bad_row_is_reported_with_its_line() -> None:
    text = (
        HEADER
        + '17001,Adams,micropolitan,"Quincy, IL-MO",true,\n'
        + "1703,Cook,metropolitan,Chicago,false,Northeast\n"
        + "17005,,metropolitan,St. Louis,false,\n"
        + "17007,Boone,suburban,Rockford,false,\n"
        + "17009,Brown,none,Somewhere,true,\n"
        + "17011,Bureau,micropolitan,,true,\n"
        + "17013,Calhoun,none,,maybe,\n"
        + "17015,Carroll,none,\n"
        + "17001,Adams,none,,true,\n"
    )
    with pytest.raises(InvalidInput) as caught:
        CountyTable.from_csv_text(text, source="agency.csv")
    expected = [
        "line 3.fips",
        "line 4.county",
        "line 5.cbsa_type",
        "line 6.cbsa_name",
        "line 7.cbsa_name",
        "line 8.rural",
        "line 9.fips",
        "line 10",
        "line 10",
    ]
    assert expected == [p.field for p in caught.value.problems]
    assert all(("15(d)",) == p.cites for p in caught.value.problems)
    assert all(p.reason.startswith("agency.csv line ") for p in caught.value.problems)


@pytest.mark.cite("15(d)")
@pytest.mark.parametrize(
    "text",
    [
        "",
        "fips,name,cbsa_type,cbsa_name,rural,region\n17001,Adams,none,,true,\n",
        "fips,county,cbsa_type,cbsa_name,rural\n17001,Adams,none,,true\n",
        HEADER,
    ],
)
def test_a_table_without_the_columns_or_rows_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        CountyTable.from_csv_text(text)


@pytest.mark.cite("15(d)")
def test_counties_with_the_same_code_cannot_share_a_table() -> None:
    cook = County(
        fips="17031",
        name="Cook",
        cbsa_type=CbsaType.METROPOLITAN,
        cbsa_name="Chicago",
        rural=False,
        region=None,
    )
    with pytest.raises(InvalidInput, match="duplicate"):
        CountyTable([cook, cook])
