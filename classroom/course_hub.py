"""The course's groups, roles and services on JupyterHub: one source for one machine and for Kubernetes.

``jupyterhub_config.py`` (one machine) and ``kubernetes/make_values.py`` (Zero to JupyterHub)
both build their JupyterHub settings from these functions, so the two set-ups give every account
the same rights. Group and role names follow nbgrader's "Using nbgrader with JupyterHub":
``nbgrader-<course>`` holds the students, ``formgrade-<course>`` the instructors, and the
Formgrader service is named after the course (nbgrader's Course List finds it by that name).

Standard library only: the hub's own environment imports it.
"""

from __future__ import annotations

from typing import Any

COURSE_ID = "system-design-hands-on"
"""The nbgrader course id (nbgrader_config.py) and the name of the Formgrader service."""

ADMIN_SERVICE = "classroom-admin"
"""The service whose token the set-up uses for the roster (classroom/roster.py) and the tests."""

NGSHARE_SERVICE = "ngshare"

EXCHANGES = ("fs", "ngshare")
"""nbgrader's filesystem exchange (one machine), or ngshare, a hub service (no shared filesystem)."""


def student_group(course: str = COURSE_ID) -> str:
    """The hub group of a course's students (nbgrader's ``nbgrader-<course>``)."""
    return f"nbgrader-{course}"


def instructor_group(course: str = COURSE_ID) -> str:
    """The hub group of a course's instructors and graders (nbgrader's ``formgrade-<course>``)."""
    return f"formgrade-{course}"


def groups(instructors: list[str], course: str = COURSE_ID) -> dict[str, dict[str, list[str]]]:
    """``JupyterHub.load_groups``: the instructors; the students join through the REST API (roster.py)."""
    if not instructors:
        raise ValueError("a course needs at least one instructor account")
    return {instructor_group(course): {"users": list(instructors)}, student_group(course): {"users": []}}


def roles(exchange: str, course: str = COURSE_ID) -> list[dict[str, Any]]:
    """``JupyterHub.load_roles``: what students, instructors, their servers and the services may do.

    * Students may find the Formgrader service (nbgrader's Assignment List asks the hub for its
      courses) but not open it; with ngshare they may use the ngshare service.
    * Instructors may open the Formgrader service.
    * Every user's server acts with its owner's rights (``inherit``), so its Assignment List and
      Course List can read its owner's groups and the services.
    * The Formgrader service reads the graders' groups (nbgrader's JupyterHubAuthPlugin) and
      manages the student group (Formgrader's "Manage Students").
    * The admin service manages users, groups, servers and tokens (the roster, and the tests).
    """
    if exchange not in EXCHANGES:
        raise ValueError(f"exchange must be one of {EXCHANGES}, got {exchange!r}")
    ngshare = [f"access:services!service={NGSHARE_SERVICE}"] if exchange == "ngshare" else []
    find_formgrader = ["list:services", f"read:services!service={course}"]
    return [
        {"name": "server", "description": "A user's server acts with its owner's rights.", "scopes": ["inherit"]},
        {
            "name": student_group(course),
            "description": f"Students of {course}: find the course's services.",
            "groups": [student_group(course)],
            "scopes": [*find_formgrader, *ngshare],
        },
        {
            "name": instructor_group(course),
            "description": f"Instructors of {course}: open the Formgrader service.",
            "groups": [instructor_group(course)],
            "scopes": [f"access:services!service={course}", *find_formgrader, *ngshare],
        },
        {
            "name": f"formgrader-{course}",
            "description": f"The Formgrader service of {course}: read graders' groups, manage the students' group.",
            "services": [course],
            "scopes": [
                *("list:users", "read:users:name", "read:users:groups", "list:groups", "read:groups:name"),
                f"groups!group={student_group(course)}",
                *ngshare,
            ],
        },
        {
            "name": ADMIN_SERVICE,
            "description": "The roster and the tests: users, groups, servers and tokens.",
            "services": [ADMIN_SERVICE],
            "scopes": [
                *("admin:users", "admin:groups", "admin:servers", "tokens", "list:services", "read:services"),
                *ngshare,
            ],
        },
    ]


def formgrader_service(url: str, course: str = COURSE_ID) -> dict[str, Any]:
    """The Formgrader service's fields both set-ups share (one machine adds how to start it)."""
    return {"name": course, "url": url, "oauth_no_confirm": True, "display": True}


def ngshare_admins() -> list[str]:
    """Who ngshare lets create the course and manage its roster: the admin service (roster.py)."""
    return [ADMIN_SERVICE]


def ngshare_instructors(instructors: list[str], course: str = COURSE_ID) -> list[str]:
    """The course's instructors in ngshare: the instructors, and the Formgrader service.

    ngshare identifies a service's token as a user named after the service, and Formgrader
    releases and collects with its own token.
    """
    return [*instructors, course]
