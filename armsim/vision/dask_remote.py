"""The dask engine's connection to an existing cluster (``armsim sweep --scheduler``): the
address checked before a ``Client`` is made of it, a closed port told at once, every wait
bounded, and every failure one :class:`EngineError` line."""

from __future__ import annotations

import threading

__all__ = ["EngineError", "remote_client"]


class EngineError(Exception):
    """The dask engine cannot start (one line)."""


def remote_client(Client, scheduler, timeout, close_client):
    """A ``Client`` of the scheduler at ``scheduler`` (an address), connected within
    ``timeout`` seconds and with a worker within as many more; ``close_client(client,
    timeout)`` closes one given up on.  Raises :class:`EngineError` (one line)."""
    def fail(why):
        raise EngineError(f"argument --scheduler: cannot connect to '{scheduler}': {why}")
    scheme = _check_address(scheduler)
    if scheme in ("tcp", "tls", "ws", "wss"):
        why = _probe(scheduler, timeout)      # a closed port is told at once, not after retries
        if why:
            fail(why)
    if scheme in ("tls", "wss") and not _tls_configured():
        fail(f"{scheme}:// needs TLS certificates in dask's configuration "
             f"(distributed.comm.tls: ca-file, client.cert, client.key)")
    got, lock = {}, threading.Lock()

    def connect():              # in a thread: a server that never answers the handshake
        try:                    # is not bounded by Client's own timeout
            client = Client(scheduler, timeout=timeout, set_as_default=False)
        except BaseException as exc:
            got["error"] = _disarm(exc)
            return
        with lock:
            late = got.setdefault("client", client) is not client
        if late:                # given up on already: closed here, not by __del__ at exit
            close_client(client, timeout)
    thread = threading.Thread(target=connect, name="armsim-dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 1)
    with lock:
        client = got.setdefault("client", None)
    exc = got.get("error")
    if client is not None:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except Exception:
            close_client(client, timeout)
            fail(f"the cluster has no workers (waited {timeout:g} s)")
        return client
    if thread.is_alive():
        fail(f"no dask scheduler answered within {timeout:g} s")
    if isinstance(exc, (OSError, ValueError, TypeError)):
        fail(str(exc) or type(exc).__name__)
    fail("it did not answer as a dask scheduler")       # a server that is not a dask scheduler


def _probe(address, timeout):
    """Why a TCP connection to the scheduler's host and port fails within ``timeout``, or ''."""
    import socket
    from distributed.comm import get_address_host_port
    host, port = get_address_host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return ""
    except socket.timeout:
        return f"no answer within {timeout:g} s"
    except OSError as exc:
        return exc.strerror or str(exc)


def _tls_configured():
    """Whether dask's configuration gives a client TLS context (certificates)."""
    from distributed.security import Security
    try:
        return Security().get_connection_args("client").get("ssl_context") is not None
    except Exception:
        return False


def _disarm(exc):
    """A ``Client`` whose constructor raised may be left half-open: its ``__del__`` then waits
    twice the timeout and prints "Exception ignored".  Find it in the traceback and mark it
    closed (it never connected), so that it ends quietly."""
    from distributed import Client
    tb = exc.__traceback__
    while tb is not None:
        obj = tb.tb_frame.f_locals.get("self")
        if isinstance(obj, Client) and obj.status not in ("closed", "newly-created"):
            obj.status = "closed"
        tb = tb.tb_next
    return exc


def _check_address(address):
    """Refuse a malformed scheduler address before a Client is made of it; its scheme."""
    from distributed.comm import get_address_host_port, parse_address
    from distributed.comm.registry import get_backend
    try:
        scheme, where = parse_address(address)
        get_backend(scheme)
        if scheme == "inproc":      # a scheduler inside this process (a Python caller's)
            if not _inproc_listening(where):
                raise EngineError(f"argument --scheduler: no scheduler at '{address}' in this "
                                  f"process (an inproc:// address is reachable only from the "
                                  f"process that started it)")
        else:
            port = get_address_host_port(address)[1]
            if not 0 < port < 65536:
                raise ValueError(f"port {port} is not in 1..65535")
    except (ValueError, TypeError) as exc:
        raise EngineError(f"argument --scheduler: expected an address like tcp://HOST:PORT, "
                          f"got '{address}' ({exc})") from None
    return scheme


def _inproc_listening(where):
    """Whether dask's in-process registry has a listener at ``where`` (True when the
    registry cannot be read: the connection then says what is wrong)."""
    try:
        from distributed.comm.inproc import global_manager
        return where in global_manager.listeners
    except Exception:
        return True
