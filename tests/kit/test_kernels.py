"""The course's kernels listen on Unix sockets (helpers/kernels.py): no TCP port to take, nothing left.

The race they remove: jupyter_client picks a kernel's TCP ports and frees them; a server started
on port 0 in that second can get one, the kernel then dies and its client reads the server's
bytes as kernel messages. The first test shows that a ZeroMQ client connected to a course
server's port does read such bytes; the others that every way the course starts a kernel uses
the provisioner, whose kernels' channels open no port at all.
"""

from __future__ import annotations

import asyncio
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import nbformat
import psutil
import zmq
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from jupyter_client.provisioning.factory import KernelProvisionerFactory
from jupyter_client.session import DELIM

from helpers.kernels import PROVISIONER_NAME, UnixSocketProvisioner, socket_folder
from helpers.serving import JoiningHTTPServer

from paths import ROOT


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_a_kernel_client_on_a_port_a_server_took_reads_the_servers_bytes_as_messages() -> None:
    """Why TCP kernels are not used: their client's iopub socket gets frames without Jupyter's delimiter."""
    server = JoiningHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    context = zmq.Context()
    subscriber = context.socket(zmq.SUB)
    try:
        subscriber.setsockopt(zmq.SUBSCRIBE, b"")
        subscriber.connect(f"tcp://127.0.0.1:{server.server_address[1]}")
        assert subscriber.poll(300) == 0  # the server waits for a request line; ZeroMQ for a greeting
        server.shutdown()
        server.server_close()  # the server's reply to the half request: an HTTP 400
        assert subscriber.poll(5000), "the subscriber should have read the server's reply as a message"
        frames = subscriber.recv_multipart()
        assert DELIM not in frames
    finally:
        subscriber.close(linger=0)
        context.term()
        server.shutdown()
        thread.join(timeout=5)


def _listening_tcp_ports(pid: int) -> list[int]:
    return [c.laddr.port for c in psutil.Process(pid).net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]


def test_the_environments_python3_kernelspec_names_the_provisioner() -> None:
    """postBuild writes it; jupyter_client finds the provisioner through pyproject.toml's entry point."""
    spec = KernelSpecManager().get_kernel_spec("python3")
    assert spec.metadata["kernel_provisioner"]["provisioner_name"] == PROVISIONER_NAME
    assert KernelProvisionerFactory.instance().is_provisioner_available(spec)


def test_a_kernel_runs_code_over_sockets_in_a_private_folder_and_leaves_nothing() -> None:
    manager = KernelManager(kernel_name="python3")  # jupyter_client's own manager: the kernelspec decides
    manager.start_kernel()
    try:
        assert isinstance(manager.provisioner, UnixSocketProvisioner)
        folder = socket_folder(manager.ip)
        assert manager.transport == "ipc"
        assert folder is not None
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert len(f"{manager.ip}-{max(manager.ports)}".encode()) < 100  # a Unix socket path's limit is 104-108
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=30)
            reply = client.execute_interactive("print(6 * 7)", timeout=30, output_hook=lambda message: None)
            assert reply["content"]["status"] == "ok"
        finally:
            client.stop_channels()
        pid = manager.provisioner.pid
        # A TCP kernel listens on 6 ports: its 5 channels and ipykernel's pipe for forked children's
        # output, which the kernel binds itself on port 0 (no gap for another program to take it).
        assert len(_listening_tcp_ports(pid)) <= 1
        sockets = {Path(c.laddr) for c in psutil.Process(pid).net_connections(kind="unix") if c.laddr}
        assert sockets == {Path(f"{manager.ip}-{port}") for port in manager.ports}
    finally:
        manager.shutdown_kernel(now=True)
    assert not folder.exists()
    assert not Path(manager.connection_file).exists()


def test_a_restarted_kernel_keeps_its_folder_and_the_last_shutdown_removes_it() -> None:
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel()
    folder = socket_folder(manager.ip)
    assert folder is not None
    try:
        manager.restart_kernel(now=True)
        assert socket_folder(manager.ip) == folder
        assert folder.is_dir()
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=30)
        finally:
            client.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)
    assert not folder.exists()


def test_two_kernels_get_a_folder_each() -> None:
    first, second = KernelManager(kernel_name="python3"), KernelManager(kernel_name="python3")
    first.start_kernel()
    try:
        second.start_kernel()
        try:
            assert socket_folder(first.ip) != socket_folder(second.ip)
        finally:
            second.shutdown_kernel(now=True)
    finally:
        first.shutdown_kernel(now=True)


KERNEL_TRANSPORT = (
    "import ipykernel.connect, json; print(json.loads(ipykernel.connect.get_connection_info())['transport'])"
)
"""Run in a kernel: how it is connected."""


def test_nbgrader_nbclient_and_nbval_kernels_use_it() -> None:
    """nbgrader's Execute (autograde and Validate), nbclient and nbval build their own managers."""
    from nbclient import NotebookClient
    from nbgrader.preprocessors import Execute
    from nbval.kernel import start_new_kernel

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(KERNEL_TRANSPORT)])
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    Execute().preprocess(notebook, {"metadata": {"path": str(ROOT)}})
    assert notebook.cells[0].outputs[0].text == "ipc\n"
    NotebookClient(notebook, kernel_name="python3").execute()
    assert notebook.cells[0].outputs[0].text == "ipc\n"
    manager, client = start_new_kernel(kernel_name="python3")
    try:
        assert manager.transport == "ipc"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_jupyter_servers_kernels_use_it() -> None:
    """JupyterLab's kernels: Jupyter Server's mapping kernel manager and its ServerKernelManager."""
    from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager

    async def run() -> tuple[str, bool, bool]:
        mapping = AsyncMappingKernelManager()
        kernel_id = await mapping.start_kernel(kernel_name="python3")
        kernel = mapping.get_kernel(kernel_id)
        folder = socket_folder(kernel.ip)
        made = folder is not None and folder.is_dir()
        await mapping.shutdown_kernel(kernel_id, now=True)
        return kernel.transport, made, folder is not None and folder.exists()

    # A thread of its own: an earlier test's event loop may still run in this one (Playwright's, nbclient's).
    with ThreadPoolExecutor(1) as thread:
        assert thread.submit(asyncio.run, run()).result(timeout=120) == ("ipc", True, False)
