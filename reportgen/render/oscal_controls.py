"""The SSP's implemented requirements: per applicable control, who carries what, where.

One ``implemented-requirement`` per applicable control, with a ``by-component`` for:

- each in-scope service the control concerns: ``export.provided`` for each duty AWS carries
  there, ``export.responsibilities`` for each duty the customer (or a third party for it)
  carries there, linked to AWS's part by ``provided-uuid``; ``inherited`` for AWS's parts,
  ``satisfied`` naming who carries each responsibility;
- the customer's own estate (``this-system``) for its estate-wide duties;
- AWS's estate under every service for AWS's estate-wide duties (provided and inherited);
- each third party that carries a duty of the control, listing what it does.

``control-origination`` follows who carries the duties, seen from the customer's system
(the SSP's subject): AWS's part is ``inherited``, the customer's estate-wide duties are
``sp-corporate`` (OSCAL: ``organization``), its duties within services and those a third
party carries for it ``sp-system`` (``system-specific``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from reportgen.catalogs.srm import AWS_ESTATE, THIS_SYSTEM
from reportgen.render.oscal_context import Context
from reportgen.render.oscal_ids import FEDRAMP_NS, md, md_line, prop

INHERITED, CORPORATE, SYSTEM = "inherited", "sp-corporate", "sp-system"
_ORIGIN_ORDER = (CORPORATE, SYSTEM, INHERITED)
_OSCAL_ORIGIN = {CORPORATE: "organization", SYSTEM: "system-specific", INHERITED: "inherited"}

ByComponent = tuple[dict[str, Any], set[str]]  # the entry, its control origins


def origination(origins: Iterable[str], oscal: bool = False) -> list[dict[str, str]]:
    """FedRAMP's control-origination values, one prop per origin; with ``oscal`` OSCAL's
    own values too (on the requirement: its by-components inherit them)."""
    present = [o for o in _ORIGIN_ORDER if o in set(origins)]
    found = [prop("control-origination", o, ns=FEDRAMP_NS) for o in present]
    if oscal:
        found += [prop("control-origination", _OSCAL_ORIGIN[o], ns=None) for o in present]
    return found


def implemented_requirements(ctx: Context) -> list[dict[str, Any]]:
    services = {service["id"]: service for service in ctx.matrix["services"]}
    layers = {layer["id"]: layer["name"] for layer in ctx.matrix["layers"]}
    return [
        _Requirement(ctx, control, services, layers).build()
        for control in ctx.matrix["controls"]
        if control["applicable"]
    ]


class _Requirement:
    """One control's implemented requirement (a class: its parts share the control)."""

    def __init__(
        self,
        ctx: Context,
        control: dict[str, Any],
        services: dict[str, dict[str, Any]],
        layers: dict[str, str],
    ) -> None:
        self.ctx, self.control, self.services, self.layers = ctx, control, services, layers
        self.cid = control["id"]
        self.kinds = {p["name"]: p["kind"] for p in control["parties"]}
        self.duties = {duty["index"]: duty for duty in control["duties"]}
        self.customer_roles = [{"role-id": r} for r in ctx.customer_roles(control["raci"])]
        self.inherited_text = md(f"Inherited from AWS: evidenced by the {ctx.attestation}.")

    def build(self) -> dict[str, Any]:
        parts = [*self._estate(), *self._services(), *self._third_parties()]
        if not parts:  # OSCAL wants one by-component at least; say there is nothing to do
            parts = [self._nothing()]
        origins = set().union(*(origins for _, origins in parts))
        control = self.control
        props = [*origination(origins, oscal=True), prop("owner", control["owner"])]
        props.append(prop("owner-label", control["label"]))
        if control["split_by_service"]:
            props.append(prop("split-by-service", "true"))
        return {
            "uuid": self.ctx.uuid("requirement", self.cid),
            "control-id": self.ctx.controls[self.cid],
            "props": props,
            "responsible-roles": [
                {"role-id": self.ctx.roles[role], "props": [prop("raci", value)]}
                for role, value in control["raci"].items()
                if role in self.ctx.roles
            ],
            "by-components": [entry for entry, _ in parts],
            "remarks": self._remarks(),
        }

    def _remarks(self) -> str:
        control = self.control
        paragraphs = [control["provenance"]]
        statements = control["responsibility"]
        if statements["customer"]:
            paragraphs.append(f"What the customer does: {statements['customer']}")
        if statements["aws"]:
            paragraphs.append(f"What AWS provides: {statements['aws']}")
        if control.get("note"):
            paragraphs.append(control["note"])
        return "\n\n".join(md(paragraph) for paragraph in paragraphs)

    # ------------------------------------------------------------------ estate-wide

    def _estate(self) -> list[ByComponent]:
        estate = [d for d in self.control["duties"] if d["scope"] == "estate"]
        mine = [d for d in estate if any(p["kind"] == "customer" for p in d["parties"])]
        theirs = [d for d in estate if any(p["kind"] == "aws" for p in d["parties"])]
        found = []
        if mine:
            entry = {
                "component-uuid": self.ctx.component(THIS_SYSTEM),
                "uuid": self.ctx.uuid("by-component", self.cid, THIS_SYSTEM),
                "description": _listing(
                    "Estate-wide, outside any single service, the customer:",
                    [d["text"] for d in mine],
                ),
                "props": origination([CORPORATE]),
                "responsible-roles": self.customer_roles,
            }
            found.append((entry, {CORPORATE}))
        if theirs:
            found.append(self._aws_estate(theirs))
        return found

    def _aws_estate(self, duties: list[dict[str, Any]]) -> ByComponent:
        provided = [
            self._provided(("estate", str(d["index"])), md(_sentence(d["text"]))) for d in duties
        ]
        entry = {
            "component-uuid": self.ctx.component(AWS_ESTATE),
            "uuid": self.ctx.uuid("by-component", self.cid, AWS_ESTATE),
            "description": _listing(
                "AWS, for its own estate under every in-scope service (inherited):",
                [d["text"] for d in duties],
            ),
            "props": origination([INHERITED]),
            "export": {"provided": provided},
            "inherited": [self._inherited(item) for item in provided],
        }
        return entry, {INHERITED}

    # ------------------------------------------------------------------ per service

    def _services(self) -> list[ByComponent]:
        return [
            self._service(sid, cell)
            for sid, cell in self.control["services"].items()
            if sid in self.services
        ]

    def _service(self, sid: str, cell: dict[str, Any]) -> ByComponent:
        name = self.services[sid]["name"]
        provided: dict[int, dict[str, Any]] = {}
        for part in cell["duties"]:
            if any(self.kinds.get(h) == "aws" for h in part["parties"]):
                duty = self.duties[part["index"]]
                text = self._aws_text(duty, name)
                provided[part["index"]] = self._provided((sid, str(part["index"])), text)
        responsibilities, satisfied = [], []
        for part in cell["duties"]:
            others = [h for h in part["parties"] if self.kinds.get(h) != "aws"]
            if others:
                link = provided.get(part["index"]) or next(iter(provided.values()), None)
                item = self._responsibility(sid, part["index"], link)
                responsibilities.append(item)
                satisfied += [self._satisfied(item, sid, holder) for holder in others]
        origins = ({INHERITED} if provided else set()) | ({SYSTEM} if responsibilities else set())
        entry: dict[str, Any] = {
            "component-uuid": self.ctx.service_component(sid),
            "uuid": self.ctx.uuid("by-component", self.cid, sid),
            "description": _holders_sentence(name, cell, self.kinds),
            "props": [
                *origination(origins),
                prop("owner", cell["owner"]),
                *(prop("layer-owner", owner, cls=layer) for layer, owner in cell["layers"].items()),
            ],
        }
        export: dict[str, Any] = {}
        if provided:
            export["provided"] = list(provided.values())
        if responsibilities:
            export["responsibilities"] = responsibilities
        if export:
            entry["export"] = export
        if provided:
            entry["inherited"] = [self._inherited(p) for p in provided.values()]
        if satisfied:
            entry["satisfied"] = satisfied
        return entry, origins

    def _aws_text(self, duty: dict[str, Any], service: str) -> str:
        if duty["by"] != "layer":
            return md(_sentence(duty["text"]))
        if duty.get("aws_text"):  # the catalog's own words for what AWS does there
            return md(f"For {service}, AWS: " + _sentence(duty["aws_text"]))
        layer = self.layers.get(duty.get("layer", ""), duty.get("layer", "its"))
        layer = layer[:1].lower() + layer[1:]  # 'Foundation services' inside a sentence
        return md(
            f"As the operator of the {layer} layer of {service}, AWS carries this duty: "
            + _sentence(duty["text"])
        )

    def _provided(self, key: tuple[str, ...], text: str) -> dict[str, Any]:
        return {"uuid": self.ctx.uuid("provided", self.cid, *key), "description": text}

    def _inherited(self, provided: dict[str, Any]) -> dict[str, Any]:
        return {
            "uuid": self.ctx.uuid("inherited", provided["uuid"]),
            "provided-uuid": provided["uuid"],
            "description": self.inherited_text,
        }

    def _responsibility(self, sid: str, index: int, link: dict[str, Any] | None) -> dict[str, Any]:
        duty = self.duties[index]
        item: dict[str, Any] = {"uuid": self.ctx.uuid("responsibility", self.cid, sid, str(index))}
        if link:
            item["provided-uuid"] = link["uuid"]
        item["description"] = md(_sentence(duty["text"]))
        if duty.get("layer"):
            item["props"] = [prop("layer", duty["layer"])]
        return item

    def _satisfied(self, responsibility: dict[str, Any], sid: str, holder: str) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "uuid": self.ctx.uuid("satisfied", responsibility["uuid"], holder),
            "responsibility-uuid": responsibility["uuid"],
        }
        if self.kinds.get(holder) == "third-party":
            entry["description"] = f"{md_line(holder)} carries this for the customer."
            entry["responsible-roles"] = [{"role-id": self.ctx.roles[holder]}]
            why = self._justifications(sid, holder)
            if why:
                entry["remarks"] = why
        else:
            entry["description"] = "The customer carries this."
            entry["responsible-roles"] = self.customer_roles
        return entry

    def _justifications(self, sid: str, party: str) -> str:
        found = [
            md(f"Override {o['number']} ({o['layer']}): {o['justification']}")
            for o in self.ctx.matrix["overrides"]
            if o["service"] == sid and o.get("party") == party
        ]
        return "\n\n".join(found)

    # ------------------------------------------------------------------ third parties

    def _third_parties(self) -> list[ByComponent]:
        found = []
        for party in self.ctx.third_parties:
            carried = self._carried_by(party)
            if not carried:
                continue
            entry = {
                "component-uuid": self.ctx.party_component(party),
                "uuid": self.ctx.uuid("by-component", self.cid, f"third-party:{party}"),
                "description": _listing(
                    f"{' '.join(party.split())} carries, for the customer:", carried
                ),
                "props": origination([SYSTEM]),
                "responsible-roles": [{"role-id": self.ctx.roles[party]}],
            }
            found.append((entry, {SYSTEM}))
        return found

    def _carried_by(self, party: str) -> list[str]:
        where: dict[int, list[str]] = {}
        for sid, cell in self.control["services"].items():
            for part in cell["duties"]:
                if party in part["parties"] and sid in self.services:
                    where.setdefault(part["index"], []).append(self.services[sid]["name"])
        lines = [f"{self.duties[i]['text']} ({', '.join(names)})" for i, names in where.items()]
        estate = [
            d["text"]
            for d in self.control["duties"]
            if d["scope"] == "estate" and any(p["name"] == party for p in d["parties"])
        ]
        return lines + estate

    def _nothing(self) -> ByComponent:
        entry = {
            "component-uuid": self.ctx.component(THIS_SYSTEM),
            "uuid": self.ctx.uuid("by-component", self.cid, THIS_SYSTEM),
            "description": md(self.control["provenance"]),
        }
        return entry, set()


def _listing(lead: str, items: list[str]) -> str:
    """A lead line and a Markdown list of the items (plain text, escaped)."""
    return "\n".join(
        [md(lead), "", *("- " + md_line(_sentence(item), line_start=False) for item in items)]
    )


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _holders_sentence(service: str, cell: dict[str, Any], kinds: dict[str, str]) -> str:
    names = [p["name"] for p in cell["parties"]]
    if not names:
        return md(f"Within {service}, no duty of this control applies.")
    if all(kinds.get(n) == "aws" for n in names):
        return md(f"Within {service}, AWS carries every duty of this control (inherited).")
    if len(names) == 1:
        who = "the customer" if kinds.get(names[0]) == "customer" else " ".join(names[0].split())
        return md(f"Within {service}, {who} carries every duty of this control.")
    spoken = [_spoken(n, kinds) for n in names]
    listed = ", ".join(spoken[:-1]) + f" and {spoken[-1]}"
    return md(f"Within {service}, the duties of this control are divided between {listed}.")


def _spoken(name: str, kinds: dict[str, str]) -> str:
    kind = kinds.get(name)
    if kind == "aws":
        return "AWS (inherited)"
    return "the customer" if kind == "customer" else " ".join(name.split())
