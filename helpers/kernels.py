"""The course's Python kernels listen on Unix sockets in a private folder, never on TCP ports.

jupyter_client gives a kernel five TCP ports by binding port 0, noting the numbers and closing
the sockets; the kernel binds those numbers a moment later, once it has started. The course's
lessons start servers on port 0 all the time, so in that moment one of them can be handed a
port meant for a kernel starting beside it (another notebook, another grader). The kernel then
dies ("Address already in use"), and its client's ZeroMQ socket, already connected to the
lesson's server, reads that server's bytes as kernel messages (``ValueError: b'<IDS|MSG>' is not
in list``). Seen on CI with two nbgrader runs side by side.

``UnixSocketProvisioner`` is a jupyter_client kernel provisioner: the local one, except that it
switches the kernel to jupyter_client's ``ipc`` transport, with its sockets in a folder only its
user can open (``mkdtemp``, mode 0700) that goes with the kernel. Nothing is listening on a port
for the five channels, so nothing can take one. ``postBuild`` names it in the environment's
``python3`` kernelspec, so every kernel started there uses it: JupyterLab's, nbgrader's, nbclient's
and the tests'. Where Unix sockets do not exist (Windows) it launches kernels as the local
provisioner does, over TCP.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from jupyter_client.provisioning.local_provisioner import LocalProvisioner

__all__ = ["PROVISIONER_NAME", "UnixSocketProvisioner", "socket_folder"]

PROVISIONER_NAME = "course-unix-sockets"
"""Its name among jupyter_client's kernel provisioners (pyproject.toml's entry point; the kernelspec's metadata)."""

FOLDER_PREFIX = "kernel-sockets-"
UNIX_SOCKETS = os.name == "posix"
"""Unix sockets exist here (Linux, macOS)."""


def socket_folder(ip: str) -> Path | None:
    """The private folder holding a kernel's sockets, for the ``ip`` (path prefix) this provisioner chose; else None."""
    folder = Path(ip).parent
    return folder if folder.name.startswith(FOLDER_PREFIX) and folder.parent == Path(tempfile.gettempdir()) else None


class UnixSocketProvisioner(LocalProvisioner):
    """jupyter_client's LocalProvisioner over the ``ipc`` transport, sockets in a private folder."""

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        """Points the kernel manager at a new private folder (kept on restart), then launches as usual."""
        manager = self.parent
        folder = socket_folder(manager.ip) if manager is not None and manager.transport == "ipc" else None
        if UNIX_SOCKETS and manager is not None and folder is None:  # a restart keeps its folder
            # Short paths (the temporary folder), far below the 104-108 bytes a socket's path may have.
            folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
            manager.transport = "ipc"
            manager.cache_ports = False  # ports are socket numbers in the folder, not TCP ports
            manager.ip = str(folder / "kernel")
        return await super().pre_launch(**kwargs)

    async def cleanup(self, restart: bool = False) -> None:
        """Cleans up as usual; the folder goes too unless the kernel restarts (its sockets are gone by now)."""
        await super().cleanup(restart=restart)
        manager = self.parent
        folder = socket_folder(manager.ip) if manager is not None and manager.transport == "ipc" else None
        if folder is not None and not restart:
            shutil.rmtree(folder, ignore_errors=True)
