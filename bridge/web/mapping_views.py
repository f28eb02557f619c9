"""Mappings: the catalogue and SKU table, the unmapped-SKU inbox, the editor, the history.

Everyone may look; only admins may open the editor. The editor's "preview"
and "save" run the same check as ``bridge mappings check`` on the whole
edited file, and show its problems in the console's words (the SKU, its row
and the field, never the file: ``bridge.core.mapping.wording``). Prices are
typed and shown in yuan (the file keeps fen); the products whose price ×
units fit the listing's price are offered as picks (``bridge.core.mapping.picker``).
"save" is ``bridge.services.mappings.save_edit`` (atomic write, previous
version kept, reload, parked lines released and planned); when the parked
orders would still fail it asks for an explicit "save anyway", and the saved
message says what really became of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from aiohttp import web

from bridge.core.mapping import MappingProblem, MappingSet, PlanError, Severity
from bridge.core.mapping.edit import CONTINUED, STILL_WAITING, EditResult, SkuForm, preview
from bridge.core.mapping.picker import parse_choice, suggest_products
from bridge.core.mapping.wording import field_key, problem_text, what
from bridge.core.models import ProductKind
from bridge.core.money import YuanError, fen_to_yuan, parse_yuan
from bridge.core.reasons import REASONS
from bridge.services.deps import Deps
from bridge.services.mapping_guard import accept_pending
from bridge.services.mappings import SAMPLE_CARD, check_edit, parked_outcomes, save_edit
from bridge.web import storefronts
from bridge.web.auth import require_admin
from bridge.web.i18n import Translator
from bridge.web.render import deps_of, page, see_other, translator, user_of

_OUTCOMES = frozenset({CONTINUED, STILL_WAITING, *REASONS})
"""What a saved message may report (anything else in the URL is dropped)."""


@dataclass
class Typed:
    """The form as the admin typed it: the price in yuan, and what is wrong with it, per field."""

    form: SkuForm  # the price in fen for the file (the typed text when it did not parse)
    price: str  # as typed, or the file's price in yuan
    errors: dict[str, str] = field(default_factory=dict)  # field key -> the sentence shown at it

    @property
    def price_fen(self) -> int | None:
        raw = self.form.price_fen
        return int(raw) if "price_fen" not in self.errors and raw.isdigit() else None


async def mappings(request: web.Request) -> web.Response:
    deps = deps_of(request)
    m = deps.runtime.mappings
    t = translator(request)
    inbox = await deps.store.console.unmapped_inbox()
    return page(
        request,
        "mappings.html",
        nav="mappings",
        products=sorted(m.catalogue.products.values(), key=lambda p: p.product_code),
        rules=sorted(m.skus.rules.values(), key=lambda r: r.outer_sku_id),
        inbox=inbox,
        fits={u.outer_sku_id: suggest_products(m.catalogue, u.price_fen) for u in inbox},
        came_from={u.outer_sku_id: storefronts.of_shops(deps, u.shops) for u in inbox},
        warnings=[problem_text(w, t.lang) for w in m.warnings],
        version=m.version,
        saved=_saved_message(t, request.query.get("saved")),
        refused=deps.runtime.mappings_refused,
        pending=deps.runtime.mappings_pending,
    )


async def accept_submit(request: web.Request) -> web.StreamResponse:
    """An admin confirms the file's refused mapping set (``services.mapping_guard``), audited."""
    refused = require_admin(request)
    if refused is not None:
        return refused
    await accept_pending(deps_of(request), user_of(request).name)
    raise web.HTTPSeeOther("/mappings")


def _saved_query(result: EditResult) -> str:
    """The save's real outcome for the redirect: ``OK:2,AMOUNT_MISMATCH:1`` (``-`` for none)."""
    return ",".join(f"{what}:{n}" for what, n in result.parked) or "-"


def _saved_message(t: Translator, raw: str | None) -> str | None:
    """ "映射已保存并生效。2 个子订单已继续开通，1 个子订单仍为金额不符。" from ``_saved_query``'s text;
    only known outcomes and counts are read from the URL."""
    if raw is None:
        return None
    parts: list[str] = []
    for item in raw.split(",")[:12]:
        code, _, n = item.partition(":")
        if code not in _OUTCOMES or not n.isdigit():
            continue
        if code == CONTINUED:
            parts.append(t("mapedit.saved_continued", n=n))
        elif code == STILL_WAITING:
            parts.append(t("mapedit.saved_waiting", n=n))
        else:
            parts.append(t("mapedit.saved_still", n=n, why=_reason_short(t, code)))
    head = t("mapedit.saved")
    return head + (t("mapedit.saved_list", items=t("mapedit.list_sep").join(parts)) if parts else "")


def _reason_short(t: Translator, code: str) -> str:
    key = f"mapedit.reason.{code}"
    return t(key) if t.has(key) else t.reason(code)


async def _blank_form(deps: Deps, query: Any) -> tuple[Typed, str | None]:
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
        return Typed(form, fen_to_yuan(rule.price_fen)), rule.outer_sku_id
    new = query.get("new", "")[:120]
    parked = await deps.store.console.parked_lines(new, limit=1) if new else []
    title, fen = (parked[0].title, parked[0].price_fen) if parked else ("", None)
    form = SkuForm(new, "", "1", "topup", "" if fen is None else str(fen), title)
    return Typed(form, "" if fen is None else fen_to_yuan(fen)), None


async def edit_form(request: web.Request) -> web.Response:
    refused = require_admin(request)
    if refused is not None:
        return refused
    deps = deps_of(request)
    typed, editing = await _blank_form(deps, request.query)
    came_from = await storefronts.sku_came_from(deps, typed.form.value("outer_sku_id"))
    return _editor(request, deps, typed, editing, came_from=came_from)


def _editor(
    request: web.Request,
    deps: Deps,
    typed: Typed,
    editing: str | None,
    problems: tuple[MappingProblem, ...] = (),
    **extra: Any,
) -> web.Response:
    """The editor page: the problems in words (each also at its field), the picks for the price."""
    t = translator(request)
    errors = dict(typed.errors)
    for problem in problems:
        key = field_key(problem)
        if key and problem.subject == typed.form.value("outer_sku_id") and key not in errors:
            errors[key] = what(problem, t.lang)
    catalogue = deps.runtime.mappings.catalogue
    fen = typed.price_fen
    return page(
        request,
        "mapping_form.html",
        nav="mappings",
        form=typed.form,
        price=typed.price,
        errors=errors,
        problems=[(p.severity.value, problem_text(p, t.lang)) for p in _own_first(problems, typed)],
        editing=editing or "",
        base_version=extra.pop("base_version", deps.runtime.mappings.version),
        products=sorted(catalogue.products.values(), key=lambda p: p.product_code),
        suggestions=suggest_products(catalogue, fen) if fen is not None else [],
        price_fen=fen,
        parked=extra.pop("parked", ()),
        came_from=extra.pop("came_from", ()),
        **extra,
    )


def _own_first(problems: tuple[MappingProblem, ...], typed: Typed) -> list[MappingProblem]:
    """Errors before warnings; this SKU's before other tables'."""
    mine = typed.form.value("outer_sku_id")
    return sorted(problems, key=lambda p: (p.severity is not Severity.ERROR, p.subject != mine))


def _typed_from(post: Any, t: Translator) -> Typed:
    def text(name: str, limit: int = 120) -> str:
        return str(post.get(name, "")).strip()[:limit]

    price = text("price", 20)
    errors: dict[str, str] = {}
    try:
        fen = str(parse_yuan(price))
    except YuanError as exc:
        fen = price
        errors["price_fen"] = t(f"mapedit.price_{exc.code}", text=price)
    form = SkuForm(
        text("outer_sku_id"),
        text("product", 40),
        text("units", 12),
        text("delivery", 12),
        fen,
        text("title", 200),
    )
    return Typed(form, price, errors)


def _picked(typed: Typed, mapping: MappingSet, choice: str) -> Typed:
    """The form with a suggested product and its units filled in (top-up for a channel)."""
    pick = parse_choice(mapping.catalogue, choice)
    if pick is None:
        return typed
    delivery = pick.delivery.value if pick.product.kind is ProductKind.CHANNEL else typed.form.delivery
    form = replace(typed.form, product=pick.product.product_code, units=str(pick.units), delivery=delivery)
    return replace(typed, form=form)


async def edit_submit(request: web.Request) -> web.StreamResponse:
    refused = require_admin(request)
    if refused is not None:
        return refused
    deps = deps_of(request)
    post = await request.post()
    typed, editing = _typed_from(post, translator(request)), str(post.get("editing", "")) or None
    base_version = str(post.get("base_version", ""))
    if post.get("pick"):
        typed = _picked(typed, deps.runtime.mappings, str(post["pick"]))
    op = str(post.get("op", "preview"))
    if typed.errors:
        result = EditResult("refused")
        return _editor(request, deps, typed, editing, base_version=base_version, result=result)
    if op in ("save", "save_anyway") and not post.get("pick"):
        actor = user_of(request).name
        result = await save_edit(
            deps, actor, typed.form, editing, base_version, confirmed=op == "save_anyway"
        )
        if result.status == "saved":
            raise see_other("/mappings", saved=_saved_query(result))
        if result.status == "unchanged":
            raise see_other("/mappings", msg="unchanged:mapping_unchanged")
        return _editor(
            request,
            deps,
            typed,
            editing,
            result.problems,
            base_version=base_version,
            result=result,
            parked=result.parked,
            checked=result.status == "confirm",
        )
    return await _preview(request, deps, typed, editing, base_version, post)


async def _preview(
    request: web.Request, deps: Deps, typed: Typed, editing: str | None, base_version: str, post: Any
) -> web.Response:
    form = typed.form
    candidate = check_edit(deps.mapping_files, form, editing)
    if not isinstance(candidate, MappingSet):
        return _editor(
            request,
            deps,
            typed,
            editing,
            tuple(candidate),
            base_version=base_version,
            result=EditResult("refused", tuple(candidate)),
        )
    raw_qty = str(post.get("sample_qty", "1"))
    qty = int(raw_qty) if raw_qty.isdigit() and 0 < int(raw_qty) <= 99 else 1
    plan = preview(candidate, form.value("outer_sku_id"), qty, SAMPLE_CARD)
    return _editor(
        request,
        deps,
        typed,
        editing,
        candidate.warnings,
        base_version=base_version,
        plan=plan if not isinstance(plan, PlanError) else None,
        plan_error=plan if isinstance(plan, PlanError) else None,
        sample_qty=qty,
        parked=await parked_outcomes(deps, candidate, form.value("outer_sku_id")),
        checked=True,
    )


async def mapping_history(request: web.Request) -> web.Response:
    deps = deps_of(request)
    saves = await deps.store.console.audit_entries(action="mapping_save", limit=500)
    by_kept = {str((e.detail or {}).get("kept")): e for e in saves if e.outcome == "done"}
    entries = deps.mapping_files.history()
    return page(
        request,
        "mapping_history.html",
        nav="mappings",
        entries=[(h, by_kept.get(h.name)) for h in entries],
    )
