"""What loading the settings meets outside the model: the file, the environment, the error to show.

Each problem is a ``ConfigError`` naming the file (the source), the key and the reason.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, SecretStr, ValidationError

from bridge.core.errors import ConfigError
from bridge.settings_shops import storefront_tags

if TYPE_CHECKING:
    from bridge.settings import Settings


def read_toml(path: Path) -> dict[str, Any]:
    """The file's tables; a missing, unreadable, non-UTF-8 or malformed file is refused naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))  # tolerate a Windows editor's BOM
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found") from exc
    except OSError as exc:  # a directory, no permission ...
        raise ConfigError(f"{path}: cannot read the configuration file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text at byte {exc.start} (save the file as UTF-8)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def read_secrets(settings: Settings, env: Mapping[str, str], source: str) -> dict[str, Any]:
    """The sections holding secrets, each with them read from the variables its ``*_env`` keys name."""

    def read(section: BaseModel, where: str, **secrets: str) -> BaseModel:  # field="its *_env key"
        values = {k: _secret(env, source, where, getattr(section, var)) for k, var in secrets.items()}
        return section.model_copy(update=values)

    update: dict[str, Any] = {}
    if settings.alerts.enabled:  # the robot's URL holds its token
        update["alerts"] = read(settings.alerts, "alerts", webhook_url="webhook_env")
    update["billing"] = read(settings.billing, "billing", secret="secret_env")
    update["shops"] = {
        name: read(shop, f"shops.{name}", **shop.secrets()) for name, shop in settings.shops.items()
    }
    if settings.api.enabled:  # each channel client's signing secret
        clients = {
            name: read(client, f"api.clients.{name}", **client.secrets())
            for name, client in settings.api.clients.items()
        }
        update["api"] = settings.api.model_copy(update={"clients": clients})
    return update


def _secret(env: Mapping[str, str], source: str, where: str, var: str) -> SecretStr:
    """The secret in the environment variable ``var``, which a ``*_env`` key of section ``where`` names."""
    if not var:
        raise ConfigError(f"{source}: {where}: the *_env keys must name an environment variable")
    if not (value := env.get(var, "")):
        raise ConfigError(f"{source}: {where}: environment variable {var} is not set (it holds a secret)")
    return SecretStr(value)


def describe(exc: ValidationError, source: str) -> str:
    """Each invalid key of the source, one a line, with its reason."""
    lines = [f"{source}: invalid configuration:"]
    for err in exc.errors():
        key = ".".join(str(p) for p in _as_written(err["loc"])) or "(top level)"
        reason = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  {key}: {reason}")
    return "\n".join(lines)


def _as_written(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """An error's location as the file writes it: ``shops.NAME.app_key``, without the storefront's tag
    pydantic puts after the shop's name (``shops.NAME.taobao.app_key``)."""
    if len(loc) > 2 and loc[0] == "shops" and loc[2] in storefront_tags():
        return loc[:2] + loc[3:]
    return loc
