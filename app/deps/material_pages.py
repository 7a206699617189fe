"""What the lead's material pages share: the page they are on (who asks, which network and
version, their links, the notice carried over a redirect, rendering), and the version page
that a refused write on a version shows again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.deps.common import FacilitatorDep, SessionDep
from app.deps.material import LeadMaterial, LeadNetwork, LeadVersion
from app.kit.forms import see_other
from app.kit.rendering import render
from app.models.accounts import Facilitator
from app.models.evidence import EVIDENCE_LABELS, KIND_LABELS
from app.models.material import STATUS_LABELS, Material, MaterialVersion, VersionStatus
from app.models.network import Network
from app.services.export import materials as material_export
from app.services.material import editions, for_members, public
from app.services.material import views as view_service

MATERIALS = "/networks/{network_id}/materials"
VERSION = MATERIALS + "/{material_id}/versions/{number}"

NOTICE = "material_notice"


@dataclass(frozen=True)
class MaterialPage:
    """The lead on one of a network's material pages."""

    request: Request
    session: Session
    facilitator: Facilitator
    network: Network

    @property
    def base(self) -> str:
        """The network's list of materials."""
        return f"/networks/{self.network.id}/materials"

    def version_url(self, material: Material, number: int) -> str:
        return f"{self.base}/{material.id}/versions/{number}"

    def notice(self, text: str) -> None:
        """Say `text` on the next page drawn (after the redirect)."""
        self.request.session[NOTICE] = text

    def to_version(self, material: Material, number: int, anchor: str = "") -> RedirectResponse:
        """To a version's page, at `anchor` (e.g. `section-3`) if given."""
        url = self.version_url(material, number)
        return see_other(f"{url}#{anchor}" if anchor else url)

    def render(self, template: str, *, status_code: int = 200, **extra: Any) -> Response:
        """The page drawn from `template` with what every material page shows, and `extra`."""
        ctx = {
            "facilitator": self.facilitator,
            "network": self.network,
            "base": self.base,
            "notice": self.request.session.pop(NOTICE, None),
            "kind_labels": KIND_LABELS,
            "evidence_labels": EVIDENCE_LABELS,
            "status_labels": STATUS_LABELS,
            "role_label": material_export.role_label,
            "provenance_line": material_export.provenance_line,
            "when": public.when,
            **extra,
        }
        return render(self.request, template, ctx, status_code=status_code)


@dataclass(frozen=True)
class VersionPage(MaterialPage):
    """The lead on a page about one version of a material."""

    material: Material
    version: MaterialVersion

    @property
    def url(self) -> str:
        """The version's own page."""
        return self.version_url(self.material, self.version.number)

    def back(self, anchor: str = "") -> RedirectResponse:
        """To the version's page, at `anchor` (e.g. `section-3`) if given."""
        return self.to_version(self.material, self.version.number, anchor)

    def render(self, template: str, *, status_code: int = 200, **extra: Any) -> Response:
        """A page about the version: it is given the material, the version and its `url`."""
        return super().render(
            template,
            material=self.material,
            version=self.version,
            url=self.url,
            status_code=status_code,
            **extra,
        )

    def show(self, *, error: str | None = None, status_code: int = 200, **extra: Any) -> Response:
        """The version with its sections and evidence: where the lead edits a draft, gives
        sections their pictures and recordings, and publishes it for members."""
        view = view_service.version_view(
            session=self.session, material=self.material, version=self.version
        )
        return self.render(
            "material/version.html",
            view=view,
            error=error,
            has_draft=any(v.status == VersionStatus.DRAFT for v in view.versions),
            status_code=status_code,
            files=editions.files_by_section(
                session=self.session, section_ids=[sv.section.id for sv in view.sections]
            ),
            for_members=for_members.lead_panel(
                session=self.session, network=self.network, material=self.material
            ),
            kept=extra.pop("kept", {}),
            **extra,
        )


def material_page(
    request: Request, session: SessionDep, facilitator: FacilitatorDep, network: LeadNetwork
) -> MaterialPage:
    return MaterialPage(request=request, session=session, facilitator=facilitator, network=network)


# The page of the network in the URL, for its lead (anyone else: the login page or 404).
LeadPage = Annotated[MaterialPage, Depends(material_page)]


def version_page(page: LeadPage, material: LeadMaterial, version: LeadVersion) -> VersionPage:
    return VersionPage(
        page.request, page.session, page.facilitator, page.network, material, version
    )


# The version of a material in the URL, for the network's lead.
LeadVersionPage = Annotated[VersionPage, Depends(version_page)]
