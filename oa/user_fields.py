"""What a valid person and post look like: username, mobile, office phone and role rules shared by API and import."""

from __future__ import annotations

import re
from typing import Any

ROLES = ("科员", "收发员", "办公室主任", "分管领导", "主要领导", "档案员", "管理员", "审计员")
ADMIN_ROLE = "管理员"
# 三员分立: the one who administers units and people is never the one who reads the audit of it.
AUDITOR_ROLE = "审计员"

POST_FIELDS = ("id", "unit", "title", "roles", "primary")

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MOBILE_RE = re.compile(r"^1\d{10}$")
# 办公电话: a landline with or without its area code, and an extension (0751-8886 1234 is written 0751-88861234).
OFFICE_PHONE_RE = re.compile(r"^(?:0\d{2,3}-)?\d{7,8}(?:-\d{1,6})?$")


def check_username(value: Any) -> list[str]:
    if not isinstance(value, str) or not USERNAME_RE.match(value):
        return ["username must be 3–64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"]
    return []


def check_person(data: dict[str, Any], partial: bool = False) -> list[str]:
    problems: list[str] = []
    if not partial or "display_name" in data:
        name = data.get("display_name")
        if not isinstance(name, str) or not name.strip() or len(name) > 50:
            problems.append("display_name is required and must be at most 50 characters")
    mobile = data.get("mobile")
    if mobile not in (None, "") and (not isinstance(mobile, str) or not MOBILE_RE.match(mobile)):
        problems.append(f"mobile must be an 11-digit mobile number starting with 1 (got {mobile!r})")
    office_phone = data.get("office_phone")
    if office_phone not in (None, "") and (not isinstance(office_phone, str)
                                           or not OFFICE_PHONE_RE.match(office_phone)):
        problems.append("office_phone must be a landline such as 0751-88861234 or 88861234, "
                        f"optionally with an extension (0751-88861234-801) (got {office_phone!r})")
    return problems


def check_post(post: Any) -> list[str]:
    """Problems with one post `{unit, title, roles, primary}` (the unit's existence is checked by the caller)."""
    if not isinstance(post, dict):
        return ["each post must be an object with unit, title and roles"]
    problems = [f"unknown post field '{key}'" for key in post if key not in POST_FIELDS]
    if "id" in post and (not isinstance(post["id"], str) or not post["id"]):
        problems.append("post id must be the text id of an existing post")
    if not isinstance(post.get("unit"), str) or not post["unit"]:
        problems.append("post unit is required")
    title = post.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 50:
        problems.append("post title is required and must be at most 50 characters")
    roles = post.get("roles")
    if not isinstance(roles, list) or not roles or any(role not in ROLES for role in roles):
        problems.append(f"post roles must be a non-empty list drawn from {'、'.join(ROLES)} (got {roles!r})")
    if "primary" in post and not isinstance(post["primary"], bool):
        problems.append("post primary must be true or false")
    return problems


def check_posts(posts: Any) -> list[str]:
    if not isinstance(posts, list) or not posts:
        return ["a person needs at least one post"]
    problems = [problem for post in posts for problem in check_post(post)]
    if sum(1 for post in posts if isinstance(post, dict) and post.get("primary")) > 1:
        problems.append("only one post can be the primary post")
    ids = [post["id"] for post in posts if isinstance(post, dict) and isinstance(post.get("id"), str)]
    if len(ids) != len(set(ids)):
        problems.append("a post id appears twice")
    held = {role for post in posts if isinstance(post, dict) and isinstance(post.get("roles"), list)
            for role in post["roles"]}
    if {ADMIN_ROLE, AUDITOR_ROLE} <= held:
        problems.append(f"one person cannot be both {ADMIN_ROLE} and {AUDITOR_ROLE} (三员分立)")
    return problems
