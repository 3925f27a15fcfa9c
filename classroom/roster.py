"""Add students to the class: their Unix accounts, their copy of the course, and the hub's roster.

Run as root on the hub's machine, while the hub runs (README "Running it for a class"):

    python3 classroom/roster.py add --release /srv/sdh/release alice bob carol

For each student it

1. creates the Unix account if there is none (``useradd``, home folder mode 700, so no other
   student can read it), and gives the account its own copy of the learner release in
   ``~/system-design-hands-on`` (lessons and exercises, no solutions);
2. adds the user to the hub (``POST /hub/api/users``) and to the course's student group
   ``nbgrader-<course>`` (``POST /hub/api/groups/.../users``): nbgrader's Assignment List shows
   the course to its members;
3. with the ngshare exchange, puts the course and its instructors into ngshare (once) and the
   student into ngshare's own roster, which ngshare needs besides the hub's.

It talks to the hub with the token of the ``classroom-admin`` service, which the hub's config
writes to ``$SDH_STATE_DIR/admin-token`` (readable by root only). Passwords are not set here:
``chpasswd`` does that (PAM logins). Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_hub

# Requests go to the hub on this machine, never through a proxy named in the environment.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
COPY_NAME = course_hub.COURSE_ID
"""The folder in each student's home that holds their copy of the learner release."""


class Hub:
    """The hub's REST API (and ngshare's, behind the hub's proxy), with the admin service's token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, form: bool = False) -> Any:
        """Answer of ``path`` (JSON decoded; None when empty). Raises urllib.error.HTTPError on an error."""
        data, headers = None, {"Authorization": f"token {self.token}"}
        if body is not None and form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        with LOCAL.open(request, timeout=60) as response:
            text = response.read()
        return json.loads(text) if text else None


def ensure_account(name: str) -> Path:
    """The student's home folder; creates the account first if there is none. The home is left mode 700."""
    try:
        home = Path(pwd.getpwnam(name).pw_dir)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        home = Path(pwd.getpwnam(name).pw_dir)
    home.chmod(0o700)  # Debian's useradd makes homes 755 unless HOME_MODE says otherwise
    return home


def give_course_copy(name: str, home: Path, release: Path) -> bool:
    """Copies the learner release into ``home/COPY_NAME``, owned by the student; False if it is there already."""
    target = home / COPY_NAME
    if target.exists() or target.is_symlink():
        return False
    shutil.copytree(release, target, symlinks=True)
    account = pwd.getpwnam(name)
    for folder, folders, files in os.walk(target):
        for entry in [folder, *(os.path.join(folder, item) for item in folders + files)]:
            os.lchown(entry, account.pw_uid, account.pw_gid)
    return True


def add_to_hub(hub: Hub, names: Sequence[str], course: str) -> None:
    """Creates the hub users that do not exist yet and puts every one in the course's student group."""
    existing = {user["name"] for user in hub.call("GET", "/hub/api/users?limit=200")}
    new = [name for name in names if name not in existing]
    if new:
        hub.call("POST", "/hub/api/users", {"usernames": new})
    hub.call("POST", f"/hub/api/groups/{course_hub.student_group(course)}/users", {"users": list(names)})


def add_to_ngshare(hub: Hub, names: Sequence[str], course: str) -> None:
    """Creates the course in ngshare with its instructors (once), then adds the students to its roster."""
    instructors = hub.call("GET", f"/hub/api/groups/{course_hub.instructor_group(course)}")["users"]
    base = f"/services/{course_hub.NGSHARE_SERVICE}"
    courses = hub.call("GET", f"{base}/courses")["courses"]
    if course not in courses:
        everyone = json.dumps(course_hub.ngshare_instructors(instructors, course))
        hub.call("POST", f"{base}/course/{course}", {"instructors": everyone}, form=True)
    # ngshare wants a first name, last name and email for each: the account's name stands in
    students = [{"username": name, "first_name": name, "last_name": "", "email": ""} for name in names]
    answer = hub.call("POST", f"{base}/students/{course}", {"students": json.dumps(students)}, form=True)
    refused = [item for item in answer.get("status", []) if not item.get("success")]
    if refused:
        raise RuntimeError(f"ngshare did not add {refused}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="classroom/roster.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add students (accounts, course copies, hub and ngshare rosters)")
    add.add_argument("names", nargs="+", metavar="NAME", help="the students' account names")
    add.add_argument("--release", type=Path, required=True, help="the learner release (make release DIR=...)")
    add.add_argument("--exchange", choices=course_hub.EXCHANGES, default=os.environ.get("SDH_EXCHANGE", "fs"))
    add.add_argument("--hub", default=f"http://127.0.0.1:{os.environ.get('SDH_HUB_PORT', '8000')}",
                     help="the hub's address on this machine (default: %(default)s)")  # fmt: skip
    add.add_argument("--token-file", type=Path,
                     default=Path(os.environ.get("SDH_STATE_DIR", "/srv/sdh/hub")) / "admin-token")  # fmt: skip
    add.add_argument("--course", default=course_hub.COURSE_ID)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        parser.error("run it as root: it creates accounts and copies the course into their homes")
    if not (args.release / "notebooks").is_dir() or (args.release / "solutions").exists():
        parser.error(f"{args.release} is not a learner release (make release DIR=...)")
    hub = Hub(args.hub, args.token_file.read_text().strip())
    try:
        for name in args.names:
            home = ensure_account(name)
            copied = give_course_copy(name, home, args.release)
            print(f"{name}: account {home}{', course copied' if copied else ''}")
        add_to_hub(hub, args.names, args.course)
        print(f"hub: {', '.join(args.names)} in {course_hub.student_group(args.course)}")
        if args.exchange == "ngshare":
            add_to_ngshare(hub, args.names, args.course)
            print(f"ngshare: {', '.join(args.names)} in {args.course}")
    except urllib.error.HTTPError as error:
        print(f"error: {error.method if hasattr(error, 'method') else ''} {error.url}: {error.code} "
              f"{error.read().decode(errors='replace')[:300]}", file=sys.stderr)  # fmt: skip
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
