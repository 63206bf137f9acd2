"""Authorisation as a decorator on every API method: deny unless a rule is declared and allows it.

`@authorized(kind, action, units=...)` turns the request into (user, action, resource kind,
org units) and asks the one Authorizer. `@authenticated` needs only a login, `@public` nothing.
APIHandler refuses any method that carries none of the three, so a handler someone forgets
to protect fails closed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from oa.errors import Forbidden, NotFound, OAError, Unauthenticated

if TYPE_CHECKING:
    from web.base import APIHandler

Method = Callable[..., Awaitable[None]]
UnitResolver = Callable[..., Awaitable[list[str | None]]]
Fact = Callable[..., Awaitable[bool]]
RULE_ATTRIBUTE = "__oa_rule__"


def public(method: Method) -> Method:
    setattr(method, RULE_ATTRIBUTE, "public")
    return method


def authenticated(method: Method) -> Method:
    @functools.wraps(method)
    async def wrapper(self: APIHandler, *args: Any, **kwargs: Any) -> None:
        self.require_user()
        await method(self, *args, **kwargs)

    setattr(wrapper, RULE_ATTRIBUTE, "authenticated")
    return wrapper


def accessed(load: UnitResolver) -> Callable[[Method], Method]:
    """Allow the call when the object's access function in flows/access.py grants it.

    `load(handler, *path_args)` asks that function, which raises NotFound for a person who may not
    see or act on the object, and hands the object to the handler; no rule is re-derived here.
    """

    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        async def wrapper(self: APIHandler, *args: Any, **kwargs: Any) -> None:
            self.require_user()
            await load(self, *args)
            await method(self, *args, **kwargs)

        setattr(wrapper, RULE_ATTRIBUTE, "accessed")
        return wrapper

    return decorate


def authorized(kind: str, action: str, units: UnitResolver | None = None,
               denied: type[OAError] = Forbidden, inherit: bool = True,
               fact: Fact | None = None) -> Callable[[Method], Method]:
    """Allow the call only if the user may do `action` on `kind` in every unit `units` names.

    `units(handler, *path_args)` returns the org units the request touches; `None` in the list
    means "platform-wide" (e.g. creating a root unit). Without a resolver the rule must hold
    platform-wide. `denied` is raised on refusal: NotFound where the caller may not even know
    the thing exists. `inherit=False` counts only roles held in the named unit itself (documents
    are their drafting unit's business, not its ancestors'). `fact(handler, *path_args)` is an
    engine fact that allows the call when the roles do not, such as "takes part in a flow on
    this document".
    """

    async def check(handler: APIHandler, *args: Any) -> None:
        if getattr(handler, "_oa_authorized", False):
            return  # already checked for this request (a streamed upload checks before its body arrives)
        user = handler.require_user()
        targets = await units(handler, *args) if units else [None]
        for unit_id in targets or [None]:
            if not await handler.services.authorizer.allowed(user, kind, action, unit_id, inherit=inherit):
                if fact is not None and await fact(handler, *args):
                    break
                where = f" in unit {unit_id}" if unit_id else ""
                if denied is NotFound:
                    raise NotFound("not found")
                raise denied(f"you may not {action} {kind}{where}", kind=kind, action=action)
        handler._oa_authorized = True

    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        async def wrapper(self: APIHandler, *args: Any, **kwargs: Any) -> None:
            await check(self, *args)
            await method(self, *args, **kwargs)

        setattr(wrapper, RULE_ATTRIBUTE, f"{kind}:{action}")
        wrapper.authorize = check  # type: ignore[attr-defined]
        return wrapper

    return decorate


def rule_of(method: Any) -> str | None:
    return getattr(method, RULE_ATTRIBUTE, None)


__all__ = ["Unauthenticated", "accessed", "authenticated", "authorized", "public", "rule_of"]
