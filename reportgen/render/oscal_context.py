"""What every part of the OSCAL SSP shares: who the parties and roles are, and the UUIDs.

Built once per framework from matrix.json. The parties are the customer, AWS and every third
party the customer's overrides name; the roles are the RACI columns (AWS, the customer's
roles, the third parties). Components are the customer's own estate (``this-system``),
AWS's estate under every service, one per in-scope service and one per third party.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reportgen.config.model import AWS_ROLE
from reportgen.core.slug import slugify
from reportgen.render.oscal_catalog import control_tokens
from reportgen.render.oscal_ids import subject_uuid, token, unique_tokens
from reportgen.render.pdf_context import framework_label

AWS_PARTY = "aws"
CUSTOMER_PARTY = "customer"
RESPONSIBLE = ("R", "A/R")


@dataclass(frozen=True)
class Context:
    matrix: dict[str, Any]
    label: str  # 'PCI DSS v4.0.1'
    controls: dict[str, str]  # control id -> OSCAL control-id
    roles: dict[str, str]  # RACI column -> role id
    third_parties: tuple[str, ...]

    @property
    def customer(self) -> str:
        return str(self.matrix["customer"]["name"])

    @property
    def attestation(self) -> str:
        return str(self.matrix["framework"]["attestation"]["name"])

    def uuid(self, *parts: str) -> str:
        """The UUID of a subject of this customer's SSP for this framework."""
        slug, framework = self.matrix["customer"]["slug"], self.matrix["framework"]["id"]
        return subject_uuid(slug, framework, *parts)

    def party(self, key: str) -> str:
        """Parties are the same in every framework's SSP: keyed by the customer alone."""
        return subject_uuid(self.matrix["customer"]["slug"], "party", key)

    def component(self, key: str) -> str:
        return self.uuid("component", key)

    def service_component(self, service_id: str) -> str:
        return self.component(f"service:{service_id}")

    def party_component(self, name: str) -> str:
        return self.component(f"third-party:{name}")

    def attestation_resource(self) -> str:
        return self.uuid("resource", "attestation")

    def role_party(self, role: str) -> str:
        """The party behind a RACI column: AWS, a named third party, or the customer."""
        if role == AWS_ROLE:
            return self.party(AWS_PARTY)
        if role in self.third_parties:
            return self.party(f"third-party:{role}")
        return self.party(CUSTOMER_PARTY)

    def customer_roles(self, raci: dict[str, str]) -> list[str]:
        """Role ids of the customer's roles Responsible in a RACI row; its Accountable role
        when none is (a row always has one)."""
        mine = [r for r in raci if r != AWS_ROLE and r not in self.third_parties]
        doing = [r for r in mine if raci[r] in RESPONSIBLE] or [r for r in mine if "A" in raci[r]]
        return [self.roles[r] for r in doing if r in self.roles]


def build_context(matrix: dict[str, Any]) -> Context:
    framework = matrix["framework"]
    named = {p["name"] for c in matrix["controls"] for p in c["parties"]}
    named |= {o["party"] for o in matrix["overrides"] if o.get("party")}
    kinds = {p["name"]: p["kind"] for c in matrix["controls"] for p in c["parties"]}
    third = sorted(n for n in named if kinds.get(n, "third-party") == "third-party")
    roles = unique_tokens(
        [AWS_ROLE, *matrix["roles"], *third], make=lambda name: token(slugify(name, "role"))
    )
    controls, _ = control_tokens(matrix)
    return Context(
        matrix=matrix,
        label=framework_label(framework["name"], framework["version"]),
        controls=controls,
        roles=roles,
        third_parties=tuple(third),
    )
