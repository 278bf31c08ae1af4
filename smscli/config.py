"""Settings resolved in one order: flags, SMSCLI_* environment, the config-file profile, defaults."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

from smscli.errors import AuthError, ConfigError
from smscli.values import Value

CONFIG_FILE = "config.toml"
DEFAULTS: dict[str, Any] = {
    "server": None, "user": None, "verify": True, "ca_bundle": None,
    "timeout": 30.0, "deadline": 60.0, "max_response_mb": 32.0, "page_size": 1000, "tz": None,
}
ENV_VARS = {
    "server": "SMSCLI_SERVER", "user": "SMSCLI_USER", "ca_bundle": "SMSCLI_CA_BUNDLE",
    "timeout": "SMSCLI_TIMEOUT", "deadline": "SMSCLI_DEADLINE",
    "max_response_mb": "SMSCLI_MAX_RESPONSE_MB", "page_size": "SMSCLI_PAGE_SIZE", "tz": "SMSCLI_TZ",
}
# templates: a table of NAME = "TEMPLATE", used as --template @NAME (render/template.py).
PROFILE_KEYS = frozenset(DEFAULTS) | {"password", "templates"}


def config_dir() -> Path:
    """``$SMSCLI_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/smscli``, else ``~/.config/smscli``."""
    explicit = os.environ.get("SMSCLI_CONFIG_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "smscli"


def load_config_file(path: Path | None = None) -> dict:
    path = path or config_dir() / CONFIG_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}",
                          "fix or remove the file") from None


class Settings(Value):
    """The settings one invocation runs with. (Not a dataclass: `history search` loads this
    module for the time zone; see smscli/values.py. Fields named ``_...`` stay out of the
    repr.)"""

    __slots__ = ("server", "user", "verify", "ca_bundle", "timeout", "deadline",
                 "max_response_mb", "page_size", "tz", "profile", "demo", "config_path",
                 "sources", "warnings", "password_stdin", "templates", "_profile_password",
                 "_password_used")
    server: str | None
    user: str | None
    verify: bool
    ca_bundle: str | None
    timeout: float  # connect, and each read while waiting for bytes
    deadline: float  # one whole request, however slowly the bytes come
    max_response_mb: float  # the largest response body accepted, decompressed
    page_size: int
    tz: str | None  # an IANA zone, or "UTC"; None: the machine's local time
    profile: str | None
    demo: bool
    config_path: Path | None
    sources: dict[str, str]
    warnings: list[str]
    password_stdin: bool
    templates: dict[str, str]  # the profile's templates.NAME
    _profile_password: str | None
    _password_used: str | None  # where password() found it

    def __init__(self, config_path: Path | None = None) -> None:
        """The defaults; `resolve` fills in the rest."""
        for key, value in DEFAULTS.items():
            setattr(self, key, value)
        self.profile, self.demo, self.config_path = None, False, config_path
        self.sources, self.warnings, self.templates = {}, [], {}
        self.password_stdin = False
        self._profile_password = self._password_used = None

    def public(self) -> dict[str, Any]:
        """The effective settings with where each came from; never the password."""
        rows: dict[str, Any] = {}
        for key in ("server", "user", "verify", "ca_bundle", "timeout", "deadline",
                    "max_response_mb", "page_size", "tz"):
            rows[key] = {"value": getattr(self, key), "source": self.sources.get(key, "default")}
        rows["password"] = {"value": "<set>" if self._password_source() else None,
                            "source": self._password_source() or "not set"}
        rows["profile"] = {"value": self.profile, "source": self.sources.get("profile", "none")}
        rows["demo"] = {"value": self.demo, "source": self.sources.get("demo", "default")}
        return rows

    def _password_source(self) -> str | None:
        if os.environ.get("SMSCLI_PASSWORD"):
            return "env SMSCLI_PASSWORD"
        if self.password_stdin:
            return "stdin"
        if self._profile_password:
            return f"profile {self.profile}"
        return None

    def login_hint(self) -> str:
        """What to check when the server refuses the login: the user and where it came from,
        and the password's actual source (not always SMSCLI_PASSWORD)."""
        user_source = self.sources.get("user")
        user = f"the user {self.user}" + (f" ({user_source})" if user_source else "")
        source = self._password_used or self._password_source()
        where = {"env SMSCLI_PASSWORD": "from SMSCLI_PASSWORD",
                 "stdin": "read from standard input (--password-stdin)",
                 "keyring": "from the OS keyring", "prompt": "typed at the prompt"}.get(
            source or "", f"from {source}" if source else "")
        password = f"the password {where}" if where else "the password"
        return f"check {user} and {password}"

    def password(self, prompt: bool = True) -> str:
        """SMSCLI_PASSWORD, --password-stdin, the profile (0600 file), the OS keyring, a prompt.

        Never an argv option: the command line shows in ps and in shell history.
        """
        from_env = os.environ.get("SMSCLI_PASSWORD")
        if from_env:
            self._password_used = "env SMSCLI_PASSWORD"
            return from_env
        if self.password_stdin:
            line = sys.stdin.readline() if sys.stdin is not None else ""
            if not line.strip("\r\n"):
                raise AuthError("--password-stdin read no password",
                                "pipe it in: printf %s \"$PW\" | smscli --password-stdin ...")
            self._password_used = "stdin"
            return line.rstrip("\r\n")
        if self._profile_password:
            self._password_used = f"profile {self.profile}"
            return self._profile_password
        from_keyring = keyring_password(self.server or "", self.user or "")
        if from_keyring:
            self._password_used = "keyring"
            return from_keyring
        if prompt and sys.stdin is not None and sys.stdin.isatty():
            import getpass

            try:
                self._password_used = "prompt"
                return getpass.getpass(f"Password for {self.user} at {self.server}: ")
            except EOFError:
                pass
        raise AuthError(f"no password for user {self.user}",
                        "set SMSCLI_PASSWORD, use --password-stdin, or run on a terminal to be "
                        "prompted")


KEYRING_SERVICE = "smscli"


def keyring_password(server: str, user: str) -> str | None:
    """The password stored in the OS keyring for user@server, where a keyring is available."""
    try:
        import keyring  # optional: only where the user installed it
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, f"{user}@{server}")
    except Exception:  # noqa: BLE001 - no usable backend is the same as no keyring
        return None


def resolve(flags: dict[str, Any], environ: dict[str, str] | None = None) -> Settings:
    """Merge flags, environment, profile and defaults; ``flags`` values of None are unset."""
    env = os.environ if environ is None else environ
    path = config_dir() / CONFIG_FILE
    document = load_config_file(path)
    settings = Settings(config_path=path)

    profile_name, profile_source = _pick_profile(flags, env, document)
    profile: dict = {}
    if profile_name:
        profiles = document.get("profiles", {})
        if not isinstance(profiles, dict) or profile_name not in profiles:
            known = ", ".join(sorted(profiles)) if isinstance(profiles, dict) else ""
            raise ConfigError(f"no profile named {profile_name!r} in {path}",
                              f"known profiles: {known}" if known else "create one in that file")
        profile = profiles[profile_name] if isinstance(profiles[profile_name], dict) else {}
        unknown = set(profile) - PROFILE_KEYS
        if unknown:
            raise ConfigError(f"profile {profile_name!r} has unknown keys: "
                              f"{', '.join(sorted(unknown))}",
                              f"known keys: {', '.join(sorted(PROFILE_KEYS))}")
        settings.profile = profile_name
        settings.sources["profile"] = profile_source

    for key, default in DEFAULTS.items():
        value, source = _pick(key, flags, env, profile, profile_name)
        if value is None:
            value, source = default, "default"
        setattr(settings, key, _coerce(key, value, source))
        settings.sources[key] = source

    settings.templates = _templates(profile.get("templates", {}), profile_name, path)
    if "password" in profile:
        settings.warnings.extend(_secret_file_warnings(path))
        settings._profile_password = str(profile["password"])
    demo = flags.get("demo") or env.get("SMSCLI_DEMO", "").lower() in ("1", "true", "yes")
    settings.demo = bool(demo)
    settings.sources["demo"] = ("flag --demo" if flags.get("demo")
                                else "env SMSCLI_DEMO" if demo else "default")
    if settings.server:
        settings.server = settings.server.rstrip("/")
    settings.password_stdin = bool(flags.get("password_stdin"))
    return settings


def _templates(table: Any, profile: str | None, path: Path) -> dict[str, str]:
    """The profile's ``templates``: a table of names and template strings."""
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f"templates in profile {profile!r} of {path} must be a table of "
                          "strings", 'write templates.NAME = "{index} {text}" in the profile')
    return dict(table)


def _pick_profile(flags: dict, env: Any, document: dict) -> tuple[str | None, str]:
    if flags.get("profile"):
        return flags["profile"], "flag --profile"
    if env.get("SMSCLI_PROFILE"):
        return env["SMSCLI_PROFILE"], "env SMSCLI_PROFILE"
    default = document.get("profile")
    if isinstance(default, str) and default:
        return default, "config file"
    return None, "none"


def _pick(key: str, flags: dict, env: Any, profile: dict, name: str | None) -> tuple[Any, str]:
    if flags.get(key) is not None:
        return flags[key], "flag --insecure" if key == "verify" else f"flag --{key.replace('_', '-')}"
    var = ENV_VARS.get(key)
    if var and env.get(var):
        return env[var], f"env {var}"
    if key in profile:
        return profile[key], f"profile {name}"
    return None, "default"


def _coerce(key: str, value: Any, source: str) -> Any:
    try:
        if key in ("timeout", "deadline", "max_response_mb"):
            number = float(value)
            if not 0 < number < float("inf"):
                raise ValueError
            return number
        if key == "page_size":
            number = int(value)
            if number < 1:
                raise ValueError
            return number
        if key == "verify":
            if isinstance(value, str):
                return value.lower() not in ("0", "false", "no")
            return bool(value)
    except (TypeError, ValueError):
        raise ConfigError(f"invalid {key} {value!r} (from {source})",
                          "timeout and deadline are seconds > 0, max_response_mb megabytes > 0, "
                          "page_size a whole number >= 1") from None
    return None if value is None else str(value)


def _secret_file_warnings(path: Path) -> list[str]:
    """A file holding a password must not be readable by others."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return []
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [f"{path} holds a password but is readable by others; run: chmod 600 {path}"]
    return []


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    # A JSON string is a valid TOML basic string: quotes, backslashes and controls escaped.
    import json

    return json.dumps(str(value), ensure_ascii=False)


def dump_config(document: dict) -> str:
    """TOML for smscli's own two-level config: top-level keys, then [profiles.NAME] tables."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in document.items()
             if key != "profiles" and not isinstance(value, dict)]
    for name, profile in (document.get("profiles") or {}).items():
        lines.append("")
        lines.append(f"[profiles.{_toml_key(name)}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in profile.items()
                     if value is not None)
    return "\n".join(lines).lstrip("\n") + "\n"


def _toml_key(name: str) -> str:
    import re

    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_value(name)


def save_config(document: dict, path: Path | None = None) -> Path:
    """Write the config file atomically, readable by its owner only (it may hold a password)."""
    from smscli.files import write_private

    path = path or config_dir() / CONFIG_FILE
    write_private(path, dump_config(document))
    return path


def store_in_keyring(server: str, user: str, password: str) -> bool:
    """Store the password in the OS keyring; False when no usable keyring is there."""
    try:
        import keyring
    except ImportError:
        return False
    try:
        keyring.set_password(KEYRING_SERVICE, f"{user}@{server}", password)
    except Exception:  # noqa: BLE001 - no usable backend
        return False
    return True
