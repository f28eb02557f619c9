"""The order page as CS uses it: correcting a card, the header's state, signing in again, the timeline."""

from __future__ import annotations

import html as htmllib
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from bridge.core.models import CST
from bridge.core.records import EventRecord, LineRecord
from bridge.core.states import LineState
from bridge.services.accounts import session_digest
from bridge.web.auth import SESSION_COOKIE
from bridge.web.i18n import LANG_COOKIE
from tests.web.conftest import Desk
from tests.web.rig import PASSWORD, UNKNOWN_CARD, login_csrf_in

S = LineState


async def _exception(desk: Desk) -> LineRecord:
    """A paid 100-yuan line whose card the billing core does not know: EXCEPTION."""
    tid = await desk.rig.order(message=f"卡号{UNKNOWN_CARD}")
    await desk.rig.cycle()
    [ln] = await desk.rig.lines(tid)
    assert ln.state is S.EXCEPTION
    return ln


def _field(html: str, line_id: int) -> tuple[str, str]:
    """The card field's value and the text of the error box it names (aria-describedby)."""
    found = re.search(rf'<input id="card-{line_id}" name="card"[^>]*>', html, re.S)
    assert found is not None, "no card field on the page"
    tag = found.group(0)
    value = re.search(r'value="([^"]*)"', tag)
    described = re.search(r'aria-describedby="([^"]+)"', tag)
    assert value is not None and described is not None
    box = re.search(rf'<p id="{described.group(1)}" class="field-error" role="alert">(.*?)</p>', html, re.S)
    assert box is not None, "the error box the field names is missing"
    return htmllib.unescape(value.group(1)), htmllib.unescape(box.group(1)).strip()


def _flash(html: str) -> str:
    found = re.search(r'<div class="flash [a-z]+" role="status">(.*?)</div>', html, re.S)
    return found.group(1) if found else ""


def _head(html: str) -> str:
    found = re.search(r'<div class="pagehead orderhead".*?</div>', html, re.S)
    assert found is not None
    return found.group(0)


def _readable(html: str) -> str:
    """The timeline as shown before anyone opens a details toggle."""
    found = re.search(r'<table class="grid timeline stack">.*?</table>', html, re.S)
    assert found is not None, "no timeline on the page"
    return re.sub(r"<details class=\"tech\">.*?</details>", "", found.group(0), flags=re.S)


async def _correct(desk: Desk, ln: LineRecord, card: str, note: str = "") -> tuple[int, str]:
    resp = await desk.post(
        f"/lines/{ln.id}/card", {"card": card, "note": note, "back": f"/orders/main/{ln.tid}"}
    )
    return resp.status, await resp.text()


async def test_an_unknown_card_comes_back_at_the_field_with_the_number_kept(desk: Desk) -> None:
    """The billing core does not know it: the page again, the number as typed, the reason at the field."""
    ln = await _exception(desk)
    await desk.login("cs1")
    typed = "8371 9999 9999 1111"
    status, html = await _correct(desk, ln, typed, note="买家电话确认")
    value, error = _field(html, ln.id)
    assert status == 422
    assert value == typed and "计费系统查无此卡号" in error
    assert _flash(html) == ""  # not at the top of the page
    assert 'aria-invalid="true"' in html and 'value="买家电话确认"' in html
    # the page answers a POST: its forms and language links still name the order, not /lines/…
    assert f'name="back" value="/orders/main/{ln.tid}"' in html and "/lines/" not in html.split("<form")[0]
    assert f'/lang/en?next=/orders/main/{ln.tid}"' in html
    assert (await desk.deps.store.console.line_by_id(ln.id)).state is S.EXCEPTION  # type: ignore[union-attr]


async def test_a_short_or_empty_number_is_refused_by_the_server_in_chinese(desk: Desk) -> None:
    """The shop's rule (16 digits) is checked before the billing core is asked; nothing is sent."""
    ln = await _exception(desk)
    await desk.login("cs1")
    lookups = await desk.rig.billing_calls("404")
    status, html = await _correct(desk, ln, "8371 0000")
    assert status == 422 and _field(html, ln.id) == ("8371 0000", "卡号应为 16 位数字，请核对后重新输入。")
    status, html = await _correct(desk, ln, "   ")
    assert status == 422 and _field(html, ln.id)[1] == "请填写智能卡号。"
    assert await desk.rig.billing_calls("404") == lookups
    [entry, *_] = await desk.deps.store.console.audit_entries(tid=ln.tid, limit=5)
    assert (entry.action, entry.outcome) == ("correct_card", "refused")


async def test_the_card_field_is_checked_in_the_page_by_the_same_rule(desk: Desk) -> None:
    """novalidate (no browser bubble); the rule and the Chinese messages ride on the form for order.js."""
    ln = await _exception(desk)
    await desk.login("cs1")
    html = await (await desk.client.get(f"/orders/main/{ln.tid}")).text()
    form = re.search(r'<form method="post" action="/lines/\d+/card"[^>]*>', html, re.S)
    assert form is not None
    tag = form.group(0)
    assert "novalidate" in tag and 'data-card-lengths="16"' in tag
    assert 'data-msg-empty="请填写智能卡号。"' in tag and "卡号应为 16 位数字" in tag
    assert re.search(r'<input id="card-\d+" name="card"[^>]*required', html) is None
    assert '<script src="/static/order.js" defer>' in html
    assert (await desk.client.get("/static/order.js")).status == 200


async def test_a_suspended_or_closed_subscriber_is_named_in_chinese_only(desk: Desk) -> None:
    """已停机 / 已销户, never the billing core's word for it; English only in English."""
    ln = await _exception(desk)
    await desk.login("cs1")
    suspended = (await desk.rig.cards(status="suspended"))[0]
    closed = (await desk.rig.cards(status="closed"))[0]
    _, html = await _correct(desk, ln, suspended)
    assert "已停机" in _field(html, ln.id)[1]
    assert "suspended" not in html
    _, html = await _correct(desk, ln, closed)
    assert "已销户" in _field(html, ln.id)[1] and "closed" not in _field(html, ln.id)[1]
    desk.client.session.cookie_jar.update_cookies({LANG_COOKIE: "en"})
    _, html = await _correct(desk, ln, suspended)
    assert "subscriber is suspended" in _field(html, ln.id)[1]


async def test_the_header_says_a_line_needs_a_person_never_in_progress(desk: Desk) -> None:
    """An EXCEPTION line: the header names it (异常) and counts it; no 处理中, no auto-reload."""
    ln = await _exception(desk)
    await desk.login("cs1")
    html = await (await desk.client.get(f"/orders/main/{ln.tid}")).text()
    head = _head(html)
    assert "1 条子订单需要人工处理" in head and "异常" in head
    assert "买家已付款，等待发货" in html and ">WAIT_SELLER_SEND_GOODS<" not in html
    assert "处理中" not in head and "data-reload-every" not in head


async def test_the_submitted_notice_shows_while_moving_and_goes_once_delivered(desk: Desk) -> None:
    """After a correction: 已提交 and the auto-reload while the line moves; both gone once delivered."""
    ln = await _exception(desk)
    await desk.login("cs1")
    resp = await desk.post(f"/lines/{ln.id}/card", {"card": (await desk.rig.cards())[0]})
    assert resp.status == 303
    after = resp.headers["Location"]
    html = await (await desk.client.get(after)).text()
    assert "已提交" in _flash(html) and "data-reload-every" in _head(html) and "处理中" in _head(html)
    await desk.rig.cycle()
    assert (await desk.deps.store.console.line_by_id(ln.id)).state is S.DELIVERED  # type: ignore[union-attr]
    html = await (await desk.client.get(after)).text()
    assert _flash(html) == "" and 'role="status"' not in html  # the audit entry below still says it
    assert "data-reload-every" not in html and "已发货" in _head(html)


async def test_after_the_session_expired_signing_in_returns_to_the_order_with_the_number(
    desk: Desk, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    """Sent without a live session: sign-in page, then the order with the number typed, never in a URL."""
    caplog.set_level(logging.DEBUG)
    ln = await _exception(desk)
    card = (await desk.rig.cards())[2]
    await desk.login("cs1")
    page = await (await desk.client.get(f"/orders/main/{ln.tid}")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    session = desk.client.session.cookie_jar.filter_cookies(desk.client.make_url("/"))[SESSION_COOKIE]
    await desk.deps.store.accounts.end_session(session_digest(session.value))  # the session runs out
    form = {"csrf": token.group(1), "card": card, "note": "", "back": f"/orders/main/{ln.tid}"}
    resp = await desk.client.post(f"/lines/{ln.id}/card", data=form, allow_redirects=False)
    assert resp.status == 303
    to_login = resp.headers["Location"]
    assert to_login.startswith("/login?") and card not in to_login and card[-8:] not in to_login
    back = parse_qs(urlsplit(to_login).query)["next"][0]
    assert back.startswith(f"/orders/main/{ln.tid}?draft=")

    login = await (await desk.client.get(to_login)).text()
    assert "刚才填写的卡号已为您保留" in login
    assert f'name="next" value="{htmllib.escape(back)}"' in login
    wrong = await desk.client.post(
        "/login", data={"csrf": login_csrf_in(login), "name": "cs1", "password": "nope", "next": back}
    )
    again = await wrong.text()
    assert wrong.status == 401 and f'name="next" value="{htmllib.escape(back)}"' in again
    desk.rig.later(60)  # past the wait a failed sign-in imposes
    signed_in = await desk.client.post(
        "/login",
        data={"csrf": login_csrf_in(again), "name": "cs1", "password": PASSWORD, "next": back},
        allow_redirects=False,
    )
    assert signed_in.status == 303 and signed_in.headers["Location"] == back
    html = await (await desk.client.get(back)).text()
    assert _field(html, ln.id) == (card, "")
    logged = capsys.readouterr().out + caplog.text
    assert "/login?next=" in caplog.text  # the access log saw the way back: the token, not the number
    assert card not in logged
    assert (await desk.deps.store.console.line_by_id(ln.id)).state is S.EXCEPTION  # type: ignore[union-attr]


async def test_a_draft_token_nobody_kept_fills_nothing(desk: Desk) -> None:
    """A made-up or expired ``draft`` is ignored: the field is empty."""
    ln = await _exception(desk)
    await desk.login("cs1")
    html = await (await desk.client.get(f"/orders/main/{ln.tid}?draft=made-up")).text()
    assert _field(html, ln.id) == ("", "")


async def test_the_timeline_reads_in_chinese_with_yuan_and_local_time(desk: Desk) -> None:
    """Labels, amounts in 元, China time, 系统 or the person; engineers' fields only behind the toggle."""
    ln = await _exception(desk)
    await desk.login("cs1")
    await desk.post(f"/lines/{ln.id}/card", {"card": (await desk.rig.cards())[0]})
    await desk.rig.cycle()
    html = await (await desk.client.get(f"/orders/main/{ln.tid}")).text()
    shown = _readable(html)
    for word in ("收到订单", "转人工", "已规划开通", "开通成功", "已发货", "实付", "¥100.00", "充值金额"):
        assert word in shown, word
    assert "系统" in shown and "cs1" in shown
    for engineer in ("payment_fen", "request_id", "payload", "{", desk.deps.owner):
        assert engineer not in shown, engineer
    assert desk.deps.owner not in html  # not even behind the toggle: the actor is named, not the process
    assert '<details class="tech">' in html and "request_id" in html  # behind the toggle
    [received] = [e for e in await _events(desk, ln) if e.kind == "received"]
    assert received.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S") in shown


async def _events(desk: Desk, ln: LineRecord) -> list[EventRecord]:
    [trade] = await desk.deps.store.views.find_trades(ln.tid)
    return (await desk.deps.store.views.trade_story(trade))[1]


async def test_any_button_pressed_after_the_session_ran_out_leads_back_to_its_page(desk: Desk) -> None:
    """A retry sent without a session: sign in, then back to the order (nothing was done)."""
    ln = await _exception(desk)
    resp = await desk.client.post(
        f"/lines/{ln.id}/retry", data={"back": f"/orders/main/{ln.tid}"}, allow_redirects=False
    )
    assert resp.status == 303
    assert parse_qs(urlsplit(resp.headers["Location"]).query)["next"] == [f"/orders/main/{ln.tid}"]
    elsewhere = await desk.client.post(f"/lines/{ln.id}/retry", data={"back": "https://evil.example/"})
    assert elsewhere.status == 403  # only a page of this site is a way back
    assert await desk.deps.store.console.audit_entries(tid=ln.tid, limit=5) == []
