"""Who is asking: the portal's signed user token, or the static API token.

A portal signs a short-lived JWT for its logged-in user (HS256 with a shared secret, or
RS256/ES256 with a private key whose public half docqa reads from a PEM or a JWKS file:
no key is ever fetched over the network). docqa checks the signature, ``exp``, ``nbf``,
``iss`` and ``aud``, and takes the user id and the groups from the claims named in the
settings. Everything else is refused with a message that says what was wrong, never with
the token itself.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Mapping
from typing import Any

import jwt
from starlette.requests import Request

from app.errors import ConfigError
from app.settings import AuthSettings, Settings
from app.types import EVERYONE, GROUP_NAME, Reader

__all__ = [
    "EVERYTHING",
    "MAX_TOKEN_CHARS",
    "Identities",
    "IdentityError",
    "looks_like_jwt",
    "reader_of",
    "token_matches",
]

# A caller who may read every document and manage them: the static token's holder, or
# anyone on a server with neither a token nor identities (a single-user install).
EVERYTHING = Reader(admin=True)
_ASYMMETRIC = ["RS256", "ES256"]
# A user in about 2,000 groups; the server reads request headers up to twice this
# (see ``serve``), so such a token is refused here, by name, never by the HTTP layer.
MAX_TOKEN_CHARS = 32_768


def reader_of(request: Request) -> Reader:
    """Who sent ``request``, as the guard found out (everything on an open server)."""
    reader = getattr(request.state, "reader", None)
    return reader if isinstance(reader, Reader) else EVERYTHING


class IdentityError(Exception):
    """A token that is not accepted; the message says why, for the caller."""


def token_matches(offered: str, token: str) -> bool:
    """Constant-time comparison of a presented token with the configured one."""
    return bool(offered) and hmac.compare_digest(offered.encode(), token.encode())


def looks_like_jwt(token: str) -> bool:
    """Whether ``token`` has a JWT's shape (three dot-separated parts)."""
    return token.count(".") == 2


class Identities:
    """The server's way of telling who is asking, built once from the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings: AuthSettings = settings.auth
        token = settings.server.api_token
        self.static = token.get_secret_value() if token else None
        self._keys = _load_keys(self.settings)

    @property
    def required(self) -> bool:
        """Whether a caller must show a token at all."""
        return bool(self.static) or self.settings.enabled

    def reader(self, token: str | None) -> Reader:
        """The reader ``token`` stands for; ``IdentityError`` when it is not accepted.

        A server that needs no token reads everything to everyone, token or not, as
        before identities.
        """
        if not self.required:
            return EVERYTHING
        if not token:
            raise IdentityError(self._missing())
        if self.static and token_matches(token, self.static):
            return EVERYTHING
        if not self.settings.enabled:
            raise IdentityError(
                "That API token is not right: send `Authorization: Bearer <token>` with the "
                "value of DOCQA_SERVER__API_TOKEN on the server."
            )
        return self._verified(token)

    def _missing(self) -> str:
        if self.settings.enabled:
            return (
                "This docqa server needs to know who is asking: send `Authorization: Bearer "
                "<token>` with the user token your portal signed (or the API token)."
            )
        return (
            "This docqa server needs an API token: send `Authorization: Bearer <token>` "
            "(the value of DOCQA_SERVER__API_TOKEN on the server)."
        )

    def _verified(self, token: str) -> Reader:
        if len(token) > MAX_TOKEN_CHARS:
            raise IdentityError(
                f"The token is {len(token):,} characters long; docqa accepts user tokens of "
                f"up to {MAX_TOKEN_CHARS:,} (about 2,000 groups)."
            )
        if not looks_like_jwt(token):
            raise IdentityError("The token is not a signed user token (a JWT) docqa accepts.")
        auth = self.settings
        try:
            header = jwt.get_unverified_header(token)
            key, algorithms = self._key_for(header)
            claims = jwt.decode(
                token,
                key,
                algorithms=algorithms,
                audience=auth.audience,
                issuer=auth.issuer,
                leeway=auth.leeway_seconds,
                options={
                    "require": ["exp", auth.user_claim],
                    "verify_aud": auth.audience is not None,
                    "verify_iss": auth.issuer is not None,
                },
            )
        except jwt.ExpiredSignatureError:
            raise IdentityError(
                "The user token has expired: ask the portal for a new one."
            ) from None
        except jwt.ImmatureSignatureError:
            raise IdentityError(
                "The user token is not valid yet (its nbf or iat is in the future)."
            ) from None
        except jwt.InvalidAudienceError:
            raise IdentityError(
                "The user token is for another audience; this server accepts aud "
                f"'{auth.audience}'."
            ) from None
        except jwt.InvalidIssuerError:
            raise IdentityError(
                "The user token comes from another issuer; this server accepts iss "
                f"'{auth.issuer}'."
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise IdentityError(f"The user token has no '{exc.claim}' claim.") from None
        except jwt.InvalidAlgorithmError:
            raise IdentityError(
                f"The user token is signed with an algorithm this server does not accept "
                f"({', '.join(self._algorithms())} only)."
            ) from None
        except jwt.InvalidSignatureError:
            raise IdentityError("The user token's signature does not verify.") from None
        except (jwt.InvalidTokenError, jwt.PyJWKError, ValueError, TypeError, OverflowError):
            raise IdentityError("The user token cannot be read (malformed).") from None
        return self._reader(claims)

    def _algorithms(self) -> list[str]:
        return ["HS256"] if self.settings.jwt_secret else _ASYMMETRIC

    def _key_for(self, header: Mapping[str, Any]) -> tuple[Any, list[str]]:
        """The key to check a token with, by its ``kid`` when a JWKS holds several."""
        algorithm = header.get("alg")
        if algorithm not in self._algorithms():
            raise jwt.InvalidAlgorithmError(str(algorithm))
        keys = self._keys
        if isinstance(keys, jwt.PyJWKSet):
            kid = header.get("kid")
            matching = [k for k in keys.keys if kid is None or k.key_id == kid]
            if not matching or (kid is None and len(keys.keys) > 1):
                raise jwt.InvalidSignatureError("no key")
            return matching[0], [algorithm]
        return keys, [algorithm]

    def _reader(self, claims: Mapping[str, Any]) -> Reader:
        auth = self.settings
        user = claims.get(auth.user_claim)
        if not isinstance(user, str | int) or not str(user).strip():
            raise IdentityError(f"The user token's '{auth.user_claim}' claim is not a user id.")
        try:
            lifetime = float(claims["exp"]) - float(claims.get("iat") or time.time())
        except (OverflowError, TypeError, ValueError):
            raise IdentityError("The user token's 'exp' or 'iat' is not a time.") from None
        if lifetime > auth.max_lifetime_seconds + auth.leeway_seconds:
            raise IdentityError(
                f"The user token lives {lifetime / 3600:.1f} hours; this server accepts at most "
                f"{auth.max_lifetime_seconds / 3600:g} (DOCQA_AUTH__MAX_LIFETIME_SECONDS)."
            )
        raw = claims.get(auth.groups_claim, [])
        if isinstance(raw, str):
            raw = [g for g in re.split(r"[\s,]+", raw) if g]
        if not isinstance(raw, list) or not all(isinstance(g, str) for g in raw):
            raise IdentityError(
                f"The user token's '{auth.groups_claim}' claim is not a list of group names."
            )
        bad = next((g for g in raw if not GROUP_NAME.fullmatch(g)), None)
        if bad is not None:
            shown = bad[:40] + ("…" if len(bad) > 40 else "")
            raise IdentityError(
                f"The user token names the group '{shown}', which is not a group name: a name "
                "is 1 to 64 letters, digits and . _ @ : - (starting with a letter or digit)."
            )
        groups = frozenset(raw) | {EVERYONE}
        return Reader(user=str(user), groups=groups, admin=auth.admin_group in groups)


def _load_keys(auth: AuthSettings) -> Any:
    """The secret, the public key or the key set the settings name, read once at start."""
    given = [auth.jwt_secret is not None, auth.jwt_public_key_file, auth.jwks_file]
    if sum(bool(g) for g in given) > 1:
        raise ConfigError(
            "Set one of DOCQA_AUTH__JWT_SECRET, DOCQA_AUTH__JWT_PUBLIC_KEY_FILE and "
            "DOCQA_AUTH__JWKS_FILE, not several."
        )
    if auth.jwt_secret is not None:
        secret = auth.jwt_secret.get_secret_value()
        if len(secret.encode()) < 32:
            raise ConfigError(
                "DOCQA_AUTH__JWT_SECRET is shorter than 32 bytes; HS256 needs a long random "
                "secret (for example `openssl rand -hex 32`)."
            )
        return secret
    path = auth.jwt_public_key_file or auth.jwks_file
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the key file {path}: {exc}") from None
    try:
        if auth.jwks_file is not None:
            return jwt.PyJWKSet.from_json(text)
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        return load_pem_public_key(text.encode())
    except (ValueError, TypeError, jwt.PyJWKError) as exc:
        kind = "a JWKS (JSON key set)" if auth.jwks_file else "a PEM public key"
        raise ConfigError(f"The key file {path} is not {kind}: {exc}") from None
