"""Why a line needs a person: reason codes with the short Chinese text CS staff read.

The codes are stable identifiers (stored on lines, used in filters and
reports); the texts appear in seller memos and on the console. ``memo_for``
builds the seller memo queued for a line's reason: its key (one memo per line
and reason, kept unique by the store), its text and its severity, recorded
with the row; what the memo finally says is rendered from the lines' states
by ``bridge.core.memos``. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core.trades import Severity

REASONS: dict[str, tuple[str, str]] = {
    # code: (Chinese for CS, English)
    "UNMAPPED_SKU": (
        "商品编码未配置映射，请管理员添加 SKU 映射",
        "the SKU has no mapping; an admin must add one",
    ),
    "AMOUNT_MISMATCH": ("实付金额与映射价格不符，请核对后处理", "paid amount differs from the mapped price"),
    "QUANTITY_INVALID": ("购买数量无效，请核对订单", "the quantity cannot be provisioned"),
    "LINE_OVER_CEILING": (
        "超过单笔上限，等待管理员批准",
        "above the line's ceiling: an admin must approve it",
    ),
    "TRADE_OVER_CEILING": (
        "整笔订单超过上限，等待管理员批准",
        "the trade is above its ceiling: an admin must approve each line",
    ),
    "CODES_NOT_DELIVERABLE": (
        "该网店不能在订单里发放卡密，系统未发卡，请人工处理",
        "this storefront cannot deliver card codes; no card was issued",
    ),
    "CARD_MISSING": ("买家留言中没有智能卡号，请联系买家", "no smart-card number in the buyer's text"),
    "CARD_AMBIGUOUS": (
        "买家留言中有多个卡号，请联系买家确认",
        "several smart-card numbers in the buyer's text",
    ),
    "CARD_WRONG_LENGTH": ("智能卡号位数不对，请联系买家", "the smart-card number has the wrong length"),
    "SUBSCRIBER_NOT_FOUND": (
        "智能卡号不存在，请联系买家核对卡号",
        "no subscriber has this smart-card number",
    ),
    "SUBSCRIBER_INACTIVE": ("用户已停机或销户，请联系买家到营业厅办理", "the account is suspended or closed"),
    "TWO_WAY_REQUIRED": (
        "该产品需要双向机顶盒，请引导买家到营业厅",
        "the product needs a two-way set-top box",
    ),
    "PRODUCT_UNKNOWN": ("计费系统无此产品，请管理员检查映射", "the billing core does not know the product"),
    "AMOUNT_OUT_OF_RANGE": (
        "单次充值金额超出范围，请管理员检查",
        "a recharge part is outside the allowed range",
    ),
    "IDEMPOTENCY_CONFLICT": (
        "同一请求号内容不一致，请技术人员核查",
        "the request_id was used with another payload",
    ),
    "RETRIES_EXHAUSTED": ("多次重试仍未成功，请稍后重试或人工处理", "retries exhausted"),
    "BILLING_REJECTED": ("计费系统拒绝了该操作，请查看详情", "the billing core refused the operation"),
    "BILLING_ANSWER_INVALID": ("计费系统返回异常数据，请技术人员核查", "the billing core answered nonsense"),
    "MARKETPLACE_DATA_INVALID": ("订单数据异常，请人工核对", "the marketplace order is malformed"),
    "REFUND_AFTER_DELIVERY": (
        "已充值后买家申请退款，请客服处理（可冲正）",
        "refund requested after provisioning",
    ),
    "REVERSAL_APPROVAL": (
        "冲正金额超过审批额度，等待管理员批准",
        "the reversal is above the approval threshold: an admin must approve it",
    ),
    "REVERSAL_REJECTED": (
        "管理员驳回了冲正申请，请查看原因后处理",
        "an admin rejected the reversal; see the reason",
    ),
    "REVERSAL_NOT_ALLOWED": (
        "计费系统拒绝冲正（如余额已被使用），请人工处理",
        "the billing core cannot reverse it (e.g. the credit was spent); settle it by hand",
    ),
    "REFUND_REQUESTED": ("买家已申请退款，暂停充值", "refund requested before provisioning"),
    "REFUNDED": ("已退款或交易关闭，未充值", "refunded or closed before provisioning"),
    "REFUND_BY_CS": (
        "客服已取消该子订单，请在网店后台为买家退款",
        "cancelled by customer service: refund the buyer in the shop's back office",
    ),
    # reconciliation (bridge.core.reconcile): the shop, the bridge and the billing core disagree
    "RECON_PAID_UNKNOWN": (
        "对账：网店显示已付款，但本系统没有这个子订单，请核查",
        "reconciliation: paid in the shop but unknown to the bridge",
    ),
    "RECON_APPLIED_NOT_DELIVERED": (
        "对账：计费系统已开通，但本系统未发货，请核查",
        "reconciliation: applied in the billing core but not delivered",
    ),
    "RECON_DELIVERED_NOT_APPLIED": (
        "对账：本系统记为已开通或已发货，但计费系统没有这笔操作，请核查后补开通",
        "reconciliation: delivered by the bridge but not applied in the billing core",
    ),
    "RECON_APPLIED_TWICE": (
        "对账：同一子订单在计费系统开通了两次，请核查并冲正多余的一笔",
        "reconciliation: applied twice in the billing core",
    ),
    "RECON_AMOUNT_DIFFERS": (
        "对账：实付、计划与开通的金额不一致，请核查",
        "reconciliation: the paid, planned and applied amounts differ",
    ),
    "RECON_NOT_SENT": (
        "对账：计费系统中有一笔不是本系统发出的操作，请核查",
        "reconciliation: an operation in the billing core the bridge never sent",
    ),
    "RECON_SHOP_UNLISTED": (
        "对账：无法读取该网店的订单，其已付款订单未核对，请检查授权或网店状态后重新对账",
        "reconciliation: the shop's orders could not be read, so its paid lines were not checked",
    ),
    "RESTORED_SHIPPED": (
        "恢复备份后核对：订单已发货，但计费系统查不到这笔充值，请人工核对（不会自动重发）",
        "after a restore: the trade is shipped but the billing core has no such operation (never resent)",
    ),
}


def reason_text(code: str, lang: str = "zh") -> str:
    zh, en = REASONS.get(code, ("需要人工处理", "needs a person"))
    return zh if lang == "zh" else en


def memo_text(oid: str, code: str) -> str:
    """The line appended to the seller memo for CS: short, Chinese, names the sub-order."""
    return f"[自动发货] 子订单{oid}：{reason_text(code)}"


@dataclass(frozen=True)
class Memo:
    """A seller memo to queue: ``key`` is unique per trade (queued once); ``text`` and ``flag`` say why."""

    key: str
    text: str
    flag: Severity


_MEMO_KINDS: dict[str, tuple[str, Severity]] = {
    # reason: (key prefix, flag); any other reason is an exception for CS: "{oid}:{reason}", ACT
    "REFUND_AFTER_DELIVERY": ("refund", Severity.WATCH),
    "REFUND_BY_CS": ("cs-refund", Severity.ACT),
}


def memo_for(oid: str, reason: str) -> Memo:
    """The memo that tells CS why sub-order ``oid`` needs them."""
    kind = _MEMO_KINDS.get(reason)
    if kind is None:
        return Memo(f"{oid}:{reason}", memo_text(oid, reason), Severity.ACT)
    prefix, flag = kind
    return Memo(f"{prefix}:{oid}", memo_text(oid, reason), flag)
