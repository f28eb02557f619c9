"""Mappings: the catalogue and SKU table, the unmapped-SKU inbox, the editor, the history.

Everyone may look; only admins may open the editor. The editor's "preview"
and "save" run the same check as ``bridge mappings check`` on the whole
edited file; "save" is ``bridge.services.mappings.save_edit`` (atomic write,
previous version kept, reload, parked lines released).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web

from bridge.core.mapping import MappingSet, PlanError, plan_line
from bridge.core.mapping.edit import EditResult, SkuForm, preview
from bridge.services.deps import Deps
from bridge.services.mappings import check_edit, save_edit
from bridge.services.planning import order_line
from bridge.web.auth import require_admin
from bridge.web.render import deps_of, page, see_other, user_of

SAMPLE_CARD = "8371000000001234"
"""The card a preview provisions to (never sent anywhere)."""


async def mappings(request: web.Request) -> web.Response:
    deps = deps_of(request)
    m = deps.runtime.mappings
    return page(
        request,
        "mappings.html",
        nav="mappings",
        products=sorted(m.catalogue.products.values(), key=lambda p: p.product_code),
        rules=sorted(m.skus.rules.values(), key=lambda r: r.outer_sku_id),
        inbox=await deps.store.unmapped_inbox(),
        warnings=m.warnings,
        version=m.version,
    )


async def _blank_form(deps: Deps, query: Any) -> tuple[SkuForm, str | None]:
    """The form to start from: an existing SKU (``?sku=``), a parked one (``?new=``) or empty."""
    sku = query.get("sku", "")
    rule = deps.runtime.mappings.skus.get(sku) if sku else None
    if rule is not None:
        form = SkuForm(
            rule.outer_sku_id,
            rule.product_code,
            str(rule.units),
            rule.delivery.value,
            str(rule.price_fen),
            rule.title or "",
        )
        return form, rule.outer_sku_id
    new = query.get("new", "")[:120]
    parked = await deps.store.parked_lines(new, limit=1) if new else []
    title, price = (parked[0].title, str(parked[0].price_fen)) if parked else ("", "")
    return SkuForm(new, "", "1", "topup", price, title), None


async def edit_form(request: web.Request) -> web.Response:
    refused = require_admin(request)
    if refused is not None:
        return refused
    deps = deps_of(request)
    form, editing = await _blank_form(deps, request.query)
    return _editor(request, deps, form, editing)


def _editor(
    request: web.Request, deps: Deps, form: SkuForm, editing: str | None, **extra: Any
) -> web.Response:
    return page(
        request,
        "mapping_form.html",
        nav="mappings",
        form=form,
        editing=editing or "",
        base_version=extra.pop("base_version", deps.runtime.mappings.version),
        products=sorted(deps.runtime.mappings.catalogue.products.values(), key=lambda p: p.product_code),
        parked=extra.pop("parked", None),
        **extra,
    )


def _form_from(post: Any) -> SkuForm:
    def field(name: str, limit: int = 120) -> str:
        return str(post.get(name, "")).strip()[:limit]

    return SkuForm(
        field("outer_sku_id"),
        field("product", 40),
        field("units", 12),
        field("delivery", 12),
        field("price_fen", 12),
        field("title", 200),
    )


async def _parked_outcomes(deps: Deps, mapping: MappingSet, outer_sku_id: str) -> dict[str, int]:
    """How the lines parked for this SKU would plan under ``mapping``: "OK" or a reason, counted."""
    counts: Counter[str] = Counter()
    for line in await deps.store.parked_lines(outer_sku_id):
        try:
            plan_line(line.shop, line.tid, order_line(line), SAMPLE_CARD, mapping)
        except PlanError as exc:
            counts[exc.reason.value] += 1
        else:
            counts["OK"] += 1
    return dict(counts)


async def edit_submit(request: web.Request) -> web.StreamResponse:
    refused = require_admin(request)
    if refused is not None:
        return refused
    deps = deps_of(request)
    post = await request.post()
    form, editing = _form_from(post), str(post.get("editing", "")) or None
    base_version = str(post.get("base_version", ""))
    if post.get("op") == "save":
        result = await save_edit(deps, user_of(request).name, form, editing, base_version)
        if result.status in ("saved", "unchanged"):
            code = "mapping_saved" if result.status == "saved" else "mapping_unchanged"
            raise see_other(
                "/mappings",
                msg=f"{'done' if result.status == 'saved' else 'unchanged'}:{code}",
                n=result.released,
            )
        return _editor(
            request,
            deps,
            form,
            editing,
            base_version=base_version,
            result=result,
            problems=list(result.problems),
        )
    return await _preview(request, deps, form, editing, base_version, post)


async def _preview(
    request: web.Request, deps: Deps, form: SkuForm, editing: str | None, base_version: str, post: Any
) -> web.Response:
    candidate = check_edit(deps.mapping_files, form, editing)
    if not isinstance(candidate, MappingSet):
        return _editor(
            request,
            deps,
            form,
            editing,
            base_version=base_version,
            problems=candidate,
            result=EditResult("refused", tuple(candidate)),
        )
    raw_qty = str(post.get("sample_qty", "1"))
    qty = int(raw_qty) if raw_qty.isdigit() and 0 < int(raw_qty) <= 99 else 1
    plan = preview(candidate, form.value("outer_sku_id"), qty, SAMPLE_CARD)
    return _editor(
        request,
        deps,
        form,
        editing,
        base_version=base_version,
        problems=list(candidate.warnings),
        plan=plan if not isinstance(plan, PlanError) else None,
        plan_error=plan if isinstance(plan, PlanError) else None,
        sample_qty=qty,
        parked=await _parked_outcomes(deps, candidate, form.value("outer_sku_id")),
        checked=True,
    )


async def mapping_history(request: web.Request) -> web.Response:
    deps = deps_of(request)
    saves = await deps.store.audit_entries(action="mapping_save", limit=500)
    by_kept = {str((e.detail or {}).get("kept")): e for e in saves if e.outcome == "done"}
    entries = deps.mapping_files.history()
    return page(
        request,
        "mapping_history.html",
        nav="mappings",
        entries=[(h, by_kept.get(h.name)) for h in entries],
    )
