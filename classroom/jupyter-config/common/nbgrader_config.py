"""nbgrader settings every account of the class shares: students, instructors and the Formgrader service.

The hub's spawner sets the variables read here (classroom/jupyterhub_config.py); a terminal in a
server has them too, so nbgrader's commands there use the same exchange.
"""

import os

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (injected by traitlets)

if os.environ.get("SDH_EXCHANGE") == "ngshare":
    # ngshare-exchange (installed without its outdated jupyter-core pin): the exchange is a hub service
    from ngshare_exchange import configureExchange

    configureExchange(c, os.environ["SDH_NGSHARE_URL"])
else:
    c.Exchange.root = os.environ.get("SDH_EXCHANGE_ROOT", "/srv/nbgrader/exchange")

if os.environ.get("JUPYTERHUB_API_TOKEN"):
    # Courses are the hub's groups nbgrader-<course> (students) and formgrade-<course> (instructors);
    # outside the hub (no token) nbgrader works as it does without one.
    from nbgrader.auth import JupyterHubAuthPlugin

    c.Authenticator.plugin_class = JupyterHubAuthPlugin
