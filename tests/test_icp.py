"""ICP arithmetic against hand-computed cases, through the scorer a plugin author would use."""

from __future__ import annotations

import pyarrow as pa
import pytest
from pydantic import ValidationError

from crm_enrich.columns import COMPANIES
from crm_enrich.plugins.icp import IcpScorer, IcpSettings


def companies(*rows: dict) -> pa.Table:
    full = [{n: row.get(n) for n in COMPANIES.names} for row in rows]
    return pa.Table.from_pylist(full, schema=COMPANIES)


def score(settings: dict, *rows: dict) -> list[dict]:
    scorer = IcpScorer(IcpSettings.model_validate(settings), context=None)
    return scorer.score(companies(*rows)).select(["icp_score", "icp_tier", "icp_reasons"]).to_pylist()


def crit(column: str, weight: float, **predicate) -> dict:
    return {"column": column, "weight": weight, **predicate}


@pytest.mark.parametrize(
    "weights, matched, expected",
    [
        ([1, 1], [True, False], 50),
        ([1, 1, 1], [True, False, False], 33),  # 33.33 rounds down
        ([1, 1, 1], [True, True, False], 67),  # 66.67 rounds up
        ([1, 7], [True, False], 13),  # 12.5: halves round up
        ([1, 7], [False, True], 88),  # 87.5 -> 88
        ([0.5, 1.5], [True, False], 25),
        ([0.125, 0.875], [True, False], 13),  # exact thousandths: 12.5 -> 13
        ([30, 25, 15, 15, 10, 5], [True, True, False, True, False, True], 75),
        ([3, 3, 3], [False, False, False], 0),
    ],
)
def test_score_is_matched_weight_share_rounded_half_up(weights, matched, expected):
    criteria = [crit(f"c{i}", w) for i, w in enumerate(weights)]
    columns = ["name", "domain", "industry", "country", "state", "city"]
    criteria = [
        {**c, "column": columns[i], "equals": "yes"} for i, c in enumerate(criteria)
    ]
    row = {columns[i]: "yes" if hit else "no" for i, hit in enumerate(matched)}
    assert score({"criteria": criteria}, row)[0]["icp_score"] == expected


@pytest.mark.parametrize(
    "points, tier", [(100, "A"), (80, "A"), (79, "B"), (60, "B"), (59, "C"), (40, "C"), (39, "D"), (0, "D")]
)
def test_tier_thresholds_are_inclusive(points, tier):
    criteria = []
    if points:
        criteria.append(crit("employees", points, min=1))  # matched
    if points < 100:
        criteria.append(crit("name", 100 - points, equals="x"))  # not matched
    result = score({"criteria": criteria}, {"employees": 10, "name": "not x"})[0]
    assert (result["icp_score"], result["icp_tier"]) == (points, tier)


def test_custom_thresholds():
    settings = {"criteria": [crit("employees", 1, min=1), crit("name", 1, equals="x")],
                "tiers": {"A": 90, "B": 50, "C": 10}}
    assert score(settings, {"employees": 5, "name": "y"})[0]["icp_tier"] == "B"  # 50 >= B


def test_unknown_inputs_are_not_matched_and_named():
    settings = {"criteria": [
        crit("industry", 30, **{"in": ["INTERNET"]}),
        crit("employees", 25, min=50, max=5000),
        crit("annual_revenue", 15, min=5e6),
        crit("technologies", 30, includes_any=["hubspot"]),
    ]}
    result = score(settings, {"industry": "INTERNET", "employees": None, "technologies": []})[0]
    assert result["icp_score"] == 30
    assert result["icp_reasons"] == (
        "30/30 industry (INTERNET); unknown: employees, annual_revenue, technologies"
    )


def test_reasons_are_short_points_criterion_and_value():
    settings = {"criteria": [crit("employees", 25, min=50, max=5000), crit("country", 5, **{"in": ["US"]}),
                             crit("technologies", 10, includes_any=["hubspot"])]}
    result = score(settings, {"employees": 12, "country": "us", "technologies": ["aws"]})[0]  # case-insensitive
    assert result["icp_reasons"] == "0/25 employees (12); 5/5 country (us); 0/10 technologies"
    assert result["icp_score"] == 13  # 5/40 = 12.5, halves round up


def test_disqualifier_forces_d_and_keeps_the_score():
    settings = {
        "criteria": [crit("industry", 1, **{"in": ["INTERNET"]})],
        "disqualifiers": [{"name": "competitor", "column": "domain", "in": ["rival.com"]}],
    }
    rival, other = score(settings, {"industry": "INTERNET", "domain": "Rival.com"},
                         {"industry": "INTERNET", "domain": "fine.com"})
    assert (rival["icp_score"], rival["icp_tier"]) == (100, "D")
    assert rival["icp_reasons"].startswith("DISQUALIFIED: competitor (Rival.com); 1/1 industry")
    assert (other["icp_score"], other["icp_tier"]) == (100, "A")


def test_unknown_input_does_not_disqualify():
    settings = {"criteria": [crit("industry", 1, **{"in": ["INTERNET"]})],
                "disqualifiers": [{"column": "country", "not_in": ["US"]}]}
    assert score(settings, {"industry": "INTERNET", "country": None})[0]["icp_tier"] == "A"
    assert score(settings, {"industry": "INTERNET", "country": "FR"})[0]["icp_tier"] == "D"


@pytest.mark.parametrize(
    "predicate, row, expected",
    [
        ({"column": "technologies", "includes_all": ["aws", "Stripe"]}, {"technologies": ["stripe", "aws", "x"]}, 100),
        ({"column": "technologies", "includes_all": ["aws", "stripe"]}, {"technologies": ["aws"]}, 0),
        ({"column": "technologies", "includes_any": ["aws"]}, {"technologies": ["AWS "]}, 100),
        ({"column": "country", "not_in": ["RU", "BY"]}, {"country": "de"}, 100),
        ({"column": "name", "matches": r"\bgmbh\b"}, {"name": "Müller GmbH"}, 100),
        ({"column": "employees", "max": 10}, {"employees": 11}, 0),
        ({"column": "founded_year", "equals": 2020}, {"founded_year": 2020}, 100),
        ({"where": "annual_revenue / employees > 100000"}, {"annual_revenue": 2e7, "employees": 100}, 100),
        ({"where": "annual_revenue / employees > 100000"}, {"annual_revenue": 2e6, "employees": 100}, 0),
    ],
)
def test_predicates(predicate, row, expected):
    assert score({"criteria": [{**predicate, "weight": 1}]}, row)[0]["icp_score"] == expected


def test_where_with_missing_input_is_unknown():
    result = score({"criteria": [{"name": "rev per head", "where": "annual_revenue / employees > 1", "weight": 1}]},
                   {"employees": 10})[0]
    assert result["icp_reasons"] == "unknown: rev per head"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"criteria": []}, "at least 1 item"),
        ({"criteria": [crit("employees", 1)]}, "give exactly one of"),
        ({"criteria": [crit("employees", 1, min=5, **{"in": [1]})]}, "got in, range"),
        ({"criteria": [crit("employees", 1, min=5, max=1)]}, "min 5 is greater than max 1"),
        ({"criteria": [crit("employees", 0.0001, min=5)]}, "more than 3 decimals"),
        ({"criteria": [crit("name", 1, matches="(")]}, "not a valid regular expression"),
        ({"criteria": [{"where": "employees >>> 3", "weight": 1}]}, "not a valid SQL expression"),
        ({"criteria": [crit("employees", 1, min=1)], "tiers": {"A": 50, "B": 60}}, "must descend"),
    ],
)
def test_invalid_settings_are_explained(settings, message):
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        IcpSettings.model_validate(settings)


def test_explain_shows_breakdown_and_what_raises_the_tier():
    settings = IcpSettings.model_validate({"criteria": [
        crit("industry", 30, **{"in": ["INTERNET"]}),
        crit("employees", 25, min=50, max=5000),
        crit("annual_revenue", 15, min=5e6),
        crit("country", 30, **{"in": ["US"]}),
    ]})
    scorer = IcpScorer(settings, context=None)
    lines = scorer.explain(companies({"industry": "INTERNET", "employees": 10, "country": "US"}))
    assert lines[0].startswith("ICP score 60, tier B")
    assert any("[x] industry" in line and "30/30" in line for line in lines)
    assert any("[ ] employees" in line and "0/25" in line for line in lines)
    assert any("[?] annual_revenue" in line and "unknown" in line for line in lines)
    # 60 + 25 = 85 reaches A; the heaviest open criterion is proposed first
    assert lines[-1] == "  To reach tier A (>= 80): also match employees (50-5000)."
