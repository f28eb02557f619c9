"""Every refusal of the order API: its stable code, HTTP status and message in Chinese and English.

The one place the codes are written (docs/api.md's table and the OpenAPI
document's ``ErrorCode`` list follow it; a test keeps them equal). A refusal is
JSON::

    {"error": {"code": "API_BAD_SIGNATURE", "message": "签名不正确", "message_en": "...", ...details}}

with the details its messages name (``field``, ``server_time``, ``retry_after_s`` …)
beside them. Nothing in a refusal is about another client: an order of another
client is ``API_NOT_FOUND``, word for word the answer for an order that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

__all__ = ["REFUSALS", "ApiError", "Refusal"]


@dataclass(frozen=True)
class Refusal:
    """A code's HTTP status and its messages (``str.format`` templates over the error's details)."""

    status: int
    message: str
    message_en: str


REFUSALS: dict[str, Refusal] = {
    "API_UNSIGNED": Refusal(
        401,
        "缺少签名请求头（X-Bridge-Key、X-Bridge-Timestamp、X-Bridge-Signature）",
        "missing signing headers (X-Bridge-Key, X-Bridge-Timestamp, X-Bridge-Signature)",
    ),
    "API_UNKNOWN_KEY": Refusal(401, "未知的密钥 ID", "unknown key id"),
    "API_STALE_TIMESTAMP": Refusal(
        401,
        "时间戳与服务器时间相差超过 {skew_s} 秒（服务器时间 {server_time}）",
        "timestamp more than {skew_s} s off the server's time ({server_time})",
    ),
    "API_BAD_SIGNATURE": Refusal(401, "签名不正确", "the signature does not match the request"),
    "API_REPLAYED": Refusal(
        401,
        "该签名已经用过（每次请求都要重新签名）",
        "this signature was used already (sign every request afresh)",
    ),
    "API_BODY_TOO_LARGE": Refusal(
        413, "请求体超过 {max_body_bytes} 字节", "the request body is over {max_body_bytes} bytes"
    ),
    "API_RATE_LIMITED": Refusal(
        429, "请求过于频繁，请 {retry_after_s} 秒后重试", "too many requests: retry after {retry_after_s} s"
    ),
    "API_BAD_JSON": Refusal(400, "请求体不是 JSON 对象", "the request body is not a JSON object"),
    "API_INVALID": Refusal(422, "字段 {field} 不合法：{reason}", "field {field} is invalid: {reason}"),
    "API_TOO_MANY_LINES": Refusal(
        422, "一个订单最多 {max_lines} 行", "an order has at most {max_lines} lines"
    ),
    "API_ORDER_CONFLICT": Refusal(
        409,
        "订单号 {order_id} 已用于另一个订单（第一个不同的字段：{field}）",
        "order id {order_id} was used for another order (the first field that differs: {field})",
    ),
    "API_CALLBACK_HOST": Refusal(
        422,
        "回调地址的主机 {host} 不在该客户端允许的 callback_hosts 中",
        "the callback URL's host {host} is not one of the client's callback_hosts",
    ),
    "API_NOT_FOUND": Refusal(404, "没有这个订单", "no such order"),
    "API_NO_ROUTE": Refusal(404, "没有这个接口", "no such endpoint"),
    "API_METHOD_NOT_ALLOWED": Refusal(405, "该接口不支持此方法", "this endpoint does not take this method"),
    "API_UNAVAILABLE": Refusal(
        503,
        "暂时无法处理，请 {retry_after_s} 秒后重试",
        "temporarily unavailable: retry after {retry_after_s} s",
    ),
    "API_INTERNAL": Refusal(500, "内部错误，请稍后重试", "internal error: try again later"),
}


class ApiError(Exception):
    """A refusal: its code and the details its messages name (``retry_after_s`` also sets Retry-After)."""

    def __init__(self, code: str, **details: str | int) -> None:
        super().__init__(code)
        self.code = code
        self.details = details

    def response(self) -> web.Response:
        refusal = REFUSALS[self.code]
        error = {
            "code": self.code,
            "message": refusal.message.format(**self.details),
            "message_en": refusal.message_en.format(**self.details),
            **self.details,
        }
        retry = self.details.get("retry_after_s")
        headers = {"Retry-After": str(retry)} if retry is not None else None
        return web.json_response({"error": error}, status=refusal.status, headers=headers)
