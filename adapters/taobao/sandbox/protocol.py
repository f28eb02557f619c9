"""The sandbox gateway's request view and its error answers.

``Call`` is one router request after the envelope checks (merged query and
form parameters); ``TopFault`` is any ``error_response`` the sandbox sends,
with the code/sub-code conventions of taobao-top.md §2.3–2.4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from adapters.taobao.signing import parse_timestamp


class TopFault(Exception):
    """An ``error_response``; always sent with HTTP 200, as the real gateway does."""

    def __init__(self, code: int, msg: str, sub_code: str | None = None, sub_msg: str | None = None) -> None:
        super().__init__(f"{code} {msg} {sub_code or ''}")
        self.code = code
        self.msg = msg
        self.sub_code = sub_code
        self.sub_msg = sub_msg

    def body(self, request_id: str) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "msg": self.msg}
        if self.sub_code:
            err["sub_code"] = self.sub_code
        if self.sub_msg:
            err["sub_msg"] = self.sub_msg
        err["request_id"] = request_id
        return {"error_response": err}


def isv(sub_code: str, sub_msg: str) -> TopFault:
    """A business refusal (code 15, ``isv.*``)."""
    return TopFault(15, "Remote service error", sub_code, sub_msg)


def invalid(name: str, why: str) -> TopFault:
    return TopFault(41, "Invalid Arguments", f"isv.invalid-parameter:{name}", why)


@dataclass(frozen=True)
class Call:
    """One router call: its method, its parameters and the answer shape asked for."""

    method: str
    params: Mapping[str, str]
    simplify: bool

    def get(self, name: str) -> str | None:
        value = self.params.get(name, "")
        return value if value != "" else None

    def require(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise TopFault(
                40, "Missing Required Arguments", f"isv.missing-parameter:{name}", f"{name} is required"
            )
        return value

    def integer(self, name: str, default: int | None, low: int, high: int) -> int | None:
        text = self.get(name)
        if text is None:
            return default
        if not text.strip().lstrip("-").isdigit() or not low <= int(text) <= high:
            raise invalid(name, f"{name} must be an integer in {low}..{high}, got {text!r}")
        return int(text)

    def id(self, name: str) -> int:
        text = self.require(name)
        if not text.isdigit():
            raise invalid(name, f"{name} must be a number, got {text!r}")
        return int(text)

    def time(self, name: str) -> datetime:
        text = self.require(name)
        try:
            return parse_timestamp(text)
        except ValueError:
            raise invalid(name, f"{name} must be yyyy-MM-dd HH:mm:ss, got {text!r}") from None

    def flag(self, name: str) -> bool:
        return self.get(name) == "true"
