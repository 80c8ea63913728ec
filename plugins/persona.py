"""``persona``: each contact's buyer persona and priority, and each account's buying committee.

A persona comes from ordered rules on the contact's seniority and department (from the
``job_title`` enricher) and the account's size and ICP tier; the first rule that matches
decides, and ``persona_reasons`` names it with the facts it used. The defaults follow
DESIGN.md and are driven by ``target_departments``, the teams the product is bought for:
the top of a small company or the executive of a target team holds the budget, leaders of
target teams champion it, technical teams evaluate it. ``priority`` combines the account's
tier with the persona (P1 = call first). After every contact is labelled, the persona
sets are rolled up per company: which committee roles are present and which are missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import polars as pl
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as SettingField

import crm_enrich
from crm_enrich.columns import with_column
from crm_enrich.errors import ConfigError
from crm_enrich.plugins.job_title import DEPARTMENTS, Department, Seniority
from crm_enrich.protocols import Field

PERSONAS = (
    "economic_buyer", "executive_sponsor", "champion", "technical_evaluator",
    "end_user", "influencer", "other",
)
TIERS = ("A", "B", "C", "D")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
# Rule departments may name these sets instead of listing departments.
DEPARTMENT_SETS = ("target", "technical")

PersonaName = Literal[PERSONAS]  # type: ignore[valid-type]
RuleDepartment = Literal[(*DEPARTMENTS, *DEPARTMENT_SETS)]  # type: ignore[valid-type]

TOP = ["owner", "founder", "c_suite", "partner"]
LEADERS = ["head", "director"]


class Rule(BaseModel):
    """One persona rule: every condition given must hold (an unknown size holds none)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    persona: PersonaName
    seniority: list[Seniority] | None = None
    department: list[RuleDepartment] | None = SettingField(
        None, description="departments, or 'target' / 'technical' for those sets"
    )
    min_employees: int | None = SettingField(None, ge=0)
    max_employees: int | None = SettingField(None, ge=0)
    icp_tier: list[Literal[TIERS]] | None = None  # type: ignore[valid-type]


DEFAULT_RULES = [
    Rule(name="top of a small company", persona="economic_buyer", seniority=TOP,
         department=["executive", "target"], max_employees=200),
    Rule(name="executive of a target team", persona="economic_buyer",
         seniority=["c_suite", "vp"], department=["target"]),
    Rule(name="leader of a target team in a small company", persona="economic_buyer",
         seniority=LEADERS, department=["target"], max_employees=200),
    Rule(name="executive", persona="executive_sponsor", seniority=[*TOP, "vp"]),
    Rule(name="leader of a target team", persona="champion",
         seniority=[*LEADERS, "manager"], department=["target"]),
    Rule(name="technical team", persona="technical_evaluator",
         seniority=[*LEADERS, "manager", "senior", "entry"], department=["technical"]),
    Rule(name="member of a target team", persona="end_user",
         seniority=["senior", "entry"], department=["target"]),
    Rule(name="leader of another team", persona="influencer", seniority=[*LEADERS, "manager"]),
]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_departments: list[Department] = SettingField(
        ["sales", "marketing"], min_length=1,
        description="the teams the product is bought for and used by",
    )
    technical_departments: list[Department] = ["engineering", "information_technology", "data"]
    rules: list[Rule] = SettingField(
        default_factory=lambda: list(DEFAULT_RULES),
        description="ordered; the first match decides, no match is 'other'",
    )
    priority_offsets: dict[PersonaName, int] = SettingField(
        default_factory=lambda: {
            "economic_buyer": 0, "executive_sponsor": 0, "champion": 0,
            "technical_evaluator": 1, "end_user": 1, "influencer": 1, "other": 2,
        },
        description="added to the tier's rank (A=1 .. D=4, unknown=4); P5 at most",
    )
    committee: list[PersonaName] = SettingField(
        ["economic_buyer", "executive_sponsor", "champion", "technical_evaluator"],
        min_length=1,
        description="the roles every account should have; the missing ones are written",
    )

    @model_validator(mode="after")
    def _all_offsets(self) -> Settings:
        missing = [p for p in PERSONAS if p not in self.priority_offsets]
        if missing:
            raise ValueError(f"priority_offsets needs every persona; missing {', '.join(missing)}")
        return self


class PersonaScorer:
    """Contact scorer: persona, persona_reasons, priority; rolls up the buying committee."""

    name = "persona"
    object_type = "contacts"
    Settings = Settings
    outputs = {
        "persona": Field(pa.string(), "Buyer persona", options=PERSONAS),
        "persona_reasons": Field(pa.string(), "Which persona rule matched, and on what"),
        "priority": Field(pa.string(), "Account tier and persona combined (P1 = first)", options=PRIORITIES),
    }
    inherited: Mapping[str, str] = {}
    company_outputs = {
        "committee_present": Field(
            pa.string(), "Buying-committee roles among the company's contacts",
            options=PERSONAS[:-1], multiple=True,
        ),
        "committee_missing": Field(
            pa.string(), "Buying-committee roles no contact of the company holds",
            options=PERSONAS[:-1], multiple=True,
        ),
    }

    def __init__(self, settings: Settings, context):
        self.settings = settings

    # -- contacts -----------------------------------------------------------------

    def score(self, table: pa.Table) -> pa.Table:
        needed = {"seniority", "department"} - set(table.column_names)
        if needed:
            raise ConfigError(
                [f"scorers: 'persona' needs the columns {', '.join(sorted(needed))}: list "
                 f"'job_title' in enrichers"]
            )
        df = pl.from_arrow(table.select([c for c in ("seniority", "department", "icp_tier", "company_employees")
                                         if c in table.column_names]))
        if "icp_tier" not in df.columns:
            df = df.with_columns(icp_tier=pl.lit(None, pl.String))
        if "company_employees" not in df.columns:
            df = df.with_columns(company_employees=pl.lit(None, pl.Int64))
        persona = pl.lit("other")
        reason = pl.when(pl.col("seniority").is_null()).then(pl.lit("other: no job title to go by")).otherwise(
            pl.format("other: no rule matched {} in {}", "seniority", "department")
        )
        for number, rule in reversed(list(enumerate(self.settings.rules, start=1))):
            matches = self._condition(rule)
            persona = pl.when(matches).then(pl.lit(rule.persona)).otherwise(persona)
            reason = pl.when(matches).then(self._reason(number, rule)).otherwise(reason)
        tier_rank = pl.col("icp_tier").replace_strict({t: i for i, t in enumerate(TIERS, 1)}, default=4,
                                                      return_dtype=pl.Int32)
        labelled = df.select(persona.alias("persona"), reason.alias("persona_reasons"), tier_rank.alias("_rank"))
        offset = pl.col("persona").replace_strict(self.settings.priority_offsets, return_dtype=pl.Int32)
        labelled = labelled.with_columns(
            pl.format("P{}", pl.min_horizontal(pl.col("_rank") + offset, pl.lit(5))).alias("priority")
        )
        for name in self.outputs:
            table = with_column(table, name, labelled.get_column(name).to_arrow().cast(pa.string()))
        return table

    def _departments(self, rule: Rule) -> list[str]:
        sets = {"target": self.settings.target_departments, "technical": self.settings.technical_departments}
        out: list[str] = []
        for d in rule.department or []:
            out += sets.get(d, [d])
        return out

    def _condition(self, rule: Rule) -> pl.Expr:
        condition = pl.lit(True)
        if rule.seniority is not None:
            condition &= pl.col("seniority").is_in(rule.seniority)
        if rule.department is not None:
            condition &= pl.col("department").is_in(self._departments(rule))
        if rule.min_employees is not None:
            condition &= pl.col("company_employees") >= rule.min_employees
        if rule.max_employees is not None:
            condition &= pl.col("company_employees") <= rule.max_employees
        if rule.icp_tier is not None:
            condition &= pl.col("icp_tier").is_in(rule.icp_tier)
        return condition.fill_null(False)

    def _reason(self, number: int, rule: Rule) -> pl.Expr:
        parts = [pl.lit(f"{rule.persona}: rule {number} '{rule.name}': "), pl.col("seniority"),
                 pl.lit(" in "), pl.col("department")]
        if rule.department is not None and any(d in DEPARTMENT_SETS for d in rule.department):
            department = pl.col("department")
            parts.append(
                pl.when(department.is_in(self.settings.target_departments)).then(pl.lit(" (target)"))
                .when(department.is_in(self.settings.technical_departments)).then(pl.lit(" (technical)"))
                .otherwise(pl.lit(""))
            )
        if rule.min_employees is not None or rule.max_employees is not None:
            parts += [pl.lit(", "), pl.col("company_employees").cast(pl.String), pl.lit(" employees")]
        if rule.icp_tier is not None:
            parts += [pl.lit(", tier "), pl.col("icp_tier")]
        return pl.concat_str(parts)

    def explain(self, record: pa.Table) -> list[str]:
        record = record.to_pylist()[0]
        lines = [f"persona {record.get('persona')}: {record.get('persona_reasons')}",
                 f"priority {record.get('priority')} (tier {record.get('icp_tier') or 'unknown'})"]
        if record.get("title_reasons"):
            lines.append(f"job title {record.get('job_title')!r}: {record['title_reasons']}")
        return lines

    # -- companies ------------------------------------------------------------------

    def roll_up(self, members: pa.Table) -> pa.Table:
        """``members``: company_id and persona per contact (null for a company with none)."""
        committee = self.settings.committee
        df = pl.from_arrow(members.select(["company_id", "persona"]))
        present = df.group_by("company_id").agg(
            pl.col("persona").filter(pl.col("persona").is_in(committee)).unique().alias("_roles")
        )
        order = {p: i for i, p in enumerate(PERSONAS)}
        return present.select(
            pl.col("company_id").alias("id"),
            pl.col("_roles").list.eval(pl.element().sort_by(pl.element().replace_strict(order)))
            .list.join(";").replace("", None).alias("committee_present"),
            pl.lit(pl.Series([committee], dtype=pl.List(pl.String)))
            .list.set_difference(pl.col("_roles"))
            .list.eval(pl.element().sort_by(pl.element().replace_strict(order)))
            .list.join(";").replace("", None).alias("committee_missing"),
        ).to_arrow()


@crm_enrich.hookimpl
def register_scorers(register):
    register(PersonaScorer)
