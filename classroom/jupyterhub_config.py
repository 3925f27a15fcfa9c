"""JupyterHub 6 for a class of the course on one machine: real Unix accounts, one server each.

Run as root from the classroom environment (README "Running it for a class"):

    SDH_INSTRUCTOR=teacher /opt/sdh/venv/bin/jupyterhub -f classroom/jupyterhub_config.py

* Accounts: PAM logins of real Unix accounts; each server runs as its account
  (LocalProcessSpawner). The instructor may log in; students once added (classroom/roster.py,
  through the hub's REST API).
* Groups and roles (classroom/course_hub.py): ``formgrade-<course>`` (instructors) and
  ``nbgrader-<course>`` (students), as in nbgrader's "Using nbgrader with JupyterHub".
* Formgrader: a hub-managed service named after the course, run as the instructor in the
  course folder (the full repository), reachable by the instructors only.
* Per-role Jupyter config folders first on JUPYTER_CONFIG_PATH: students get the learner
  set-up plus the Assignment List; instructors add the Course List; Formgrader its tools.
* Exchange: nbgrader's filesystem exchange, or ngshare as a hub-managed service in its own
  environment (SDH_EXCHANGE=ngshare).

Settings come from the environment (defaults in brackets); the environments and folders are
the ones classroom/install.sh makes under one prefix, the parent of this hub's virtualenv:

    SDH_INSTRUCTOR        the instructor's account (required)
    SDH_COURSE_DIR        the instructor's course folder [/home/$SDH_INSTRUCTOR/system-design-hands-on]
    SDH_HUB_IP            where the hub listens [127.0.0.1]; SDH_HUB_PORT [8000]
    SDH_HUB_API_PORT      the hub's own API, on 127.0.0.1 [8081]; SDH_PROXY_API_PORT [8001]
    SDH_FORMGRADER_PORT   [9999]; SDH_NGSHARE_PORT [10101] (both on 127.0.0.1)
    SDH_EXCHANGE          fs or ngshare [fs]; SDH_EXCHANGE_ROOT [/srv/nbgrader/exchange]
    SDH_NGSHARE_USER      the account ngshare runs as [ngshare]; SDH_NGSHARE_DIR its data [/srv/sdh/ngshare]
    SDH_STATE_DIR         the hub's database, secrets and admin token, root's only [/srv/sdh/hub]
    SDH_PROXY             the proxy command [the PyPI configurable-http-proxy in this environment]
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import course_hub

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (injected by traitlets)

VENV = Path(sys.prefix)
PREFIX = VENV.parent
CONFIG_FOLDERS = PREFIX / "jupyter-config"
NGSHARE_VENV = PREFIX / "ngshare"
COURSE = course_hub.COURSE_ID

instructor = os.environ.get("SDH_INSTRUCTOR", "")
if not instructor:
    raise SystemExit("set SDH_INSTRUCTOR to the instructor's account (README: Running it for a class)")
course_dir = os.environ.get("SDH_COURSE_DIR", f"/home/{instructor}/{COURSE}")
exchange = os.environ.get("SDH_EXCHANGE", "fs")
if exchange not in course_hub.EXCHANGES:
    raise SystemExit(f"SDH_EXCHANGE must be one of {course_hub.EXCHANGES}, got {exchange!r}")
state = Path(os.environ.get("SDH_STATE_DIR", "/srv/sdh/hub"))
state.mkdir(parents=True, exist_ok=True, mode=0o700)
port = {name: int(os.environ.get(f"SDH_{name}_PORT", default))
        for name, default in {"HUB": 8000, "HUB_API": 8081, "PROXY_API": 8001, "FORMGRADER": 9999,
                              "NGSHARE": 10101}.items()}  # fmt: skip
ngshare_url = f"http://127.0.0.1:{port['NGSHARE']}/services/{course_hub.NGSHARE_SERVICE}"
exchange_root = Path(os.environ.get("SDH_EXCHANGE_ROOT", "/srv/nbgrader/exchange"))
search_path = os.pathsep.join([str(VENV / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])

# --- the hub and its proxy ------------------------------------------------------------------
c.JupyterHub.ip = os.environ.get("SDH_HUB_IP", "127.0.0.1")
c.JupyterHub.port = port["HUB"]
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = port["HUB_API"]
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port['PROXY_API']}"
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.ConfigurableHTTPProxy.command = shlex.split(os.environ.get("SDH_PROXY", f"{VENV}/bin/configurable-http-proxy"))

# --- who may log in -------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {instructor}
c.Authenticator.allow_existing_users = True  # the students roster.py adds through the REST API
c.JupyterHub.load_groups = course_hub.groups([instructor])
c.JupyterHub.load_roles = course_hub.roles(exchange)

# --- each user's server ---------------------------------------------------------------------
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = f"/lab/tree/{COURSE}/notebooks/00-start-here.ipynb"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.LocalProcessSpawner.interrupt_timeout = 5  # shorter stops (not the services': see README)
c.LocalProcessSpawner.term_timeout = 5


def config_path(*roles: str) -> str:
    """JUPYTER_CONFIG_PATH: the role folders first, then the settings every account shares."""
    return os.pathsep.join(str(CONFIG_FOLDERS / role) for role in (*roles, "common"))


def role_config_path(spawner: object) -> str:
    """The instructors' folders for members of ``formgrade-<course>``, the students' for everyone else."""
    names = {group.name for group in spawner.user.groups}  # type: ignore[attr-defined]
    return config_path("instructor") if course_hub.instructor_group() in names else config_path("student")


exchange_environment = {
    "SDH_EXCHANGE": exchange,
    "SDH_EXCHANGE_ROOT": str(exchange_root),
    "SDH_NGSHARE_URL": ngshare_url,
}
c.Spawner.environment = {
    "JUPYTER_CONFIG_PATH": role_config_path,
    "PATH": search_path,
    **exchange_environment,
}

# --- services -------------------------------------------------------------------------------
admin_token_file = state / "admin-token"
if not admin_token_file.exists():
    admin_token_file.touch(mode=0o600)
    admin_token_file.write_text(secrets.token_hex(32) + "\n")
services = [
    {
        **course_hub.formgrader_service(f"http://127.0.0.1:{port['FORMGRADER']}"),
        "command": [str(VENV / "bin" / "jupyterhub-singleuser")],
        "user": instructor,
        "cwd": course_dir,
        "environment": {
            "JUPYTER_CONFIG_PATH": config_path("formgrader"),
            "JUPYTERHUB_DEFAULT_URL": "/lab",
            "PATH": search_path,
            **exchange_environment,
        },
    },
    {"name": course_hub.ADMIN_SERVICE, "api_token": admin_token_file.read_text().strip()},
]
if exchange == "fs" and not exchange_root.is_dir():
    # nbgrader's filesystem exchange: every account writes into it (nbgrader sets each folder's rights)
    exchange_root.mkdir(parents=True)
    exchange_root.chmod(0o777)
if exchange == "ngshare":
    ngshare_user = os.environ.get("SDH_NGSHARE_USER", "ngshare")
    ngshare_data = Path(os.environ.get("SDH_NGSHARE_DIR", "/srv/sdh/ngshare"))
    if not ngshare_data.is_dir():  # its database and files: its account's only
        ngshare_data.mkdir(parents=True, mode=0o700)
        shutil.chown(ngshare_data, ngshare_user, ngshare_user)
    services.append(
        {
            "name": course_hub.NGSHARE_SERVICE,
            "url": f"http://127.0.0.1:{port['NGSHARE']}",
            "command": [
                *(str(NGSHARE_VENV / "bin" / "python"), "-m", "ngshare"),
                *("--admins", ",".join(course_hub.ngshare_admins())),
                *("--database", f"sqlite:///{ngshare_data / 'ngshare.db'}"),
                *("--storage", str(ngshare_data / "files")),
            ],
            "user": ngshare_user,
            "cwd": str(ngshare_data),
        }
    )
c.JupyterHub.services = services
