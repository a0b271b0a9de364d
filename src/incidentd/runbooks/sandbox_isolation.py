"""The bubblewrap command line that isolates a script, and whether this machine can isolate scripts at all."""

from __future__ import annotations

import os
import pwd
import shutil
import sys
from pathlib import Path

from incidentd.config.sections import RunbookSettings

WORKDIR = "/tmp/incidentd-script-work"  # the script's working directory, on its own in-memory /tmp
SANDBOX_ID = 65534  # the uid and gid a script has inside its user namespace
HOSTNAME = "incidentd-script"
# The top-level directories of the runtime: /usr, and /bin, /lib... which are links into /usr on merged-/usr systems.
SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
# Only with script_network: what name lookups and TLS need, and nothing else of /etc.
NETWORK_FILES = ("/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates")


class IsolationError(Exception):
    """This machine can't isolate scripts as docs/security.md says; the message says why."""


def interpreter() -> str:
    """The Python interpreter scripts run with: the server's own runtime, outside any virtualenv."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (os.path.join(sys.base_exec_prefix, "bin", version), os.path.realpath(sys.executable)):
        if os.path.isfile(candidate):
            return candidate
    raise IsolationError(f"no Python interpreter found under {sys.base_exec_prefix}")


def bwrap(settings: RunbookSettings) -> str:
    """The bubblewrap executable to use."""
    found = shutil.which(settings.bwrap_path)
    if found is None:
        if os.sep in settings.bwrap_path:
            raise IsolationError(f"bubblewrap is not at [runbooks] bwrap_path {settings.bwrap_path!r}")
        raise IsolationError("bubblewrap ('bwrap') is not installed (apt-get install bubblewrap)")
    return found


def command(settings: RunbookSettings, argv: list[str]) -> list[str]:
    """The command line that runs argv in a sandbox: new namespaces, only the runtime visible, an unprivileged user."""
    executable = bwrap(settings)
    common = [
        "--die-with-parent",  # bwrap's init, and with it the whole pid namespace, dies when the server kills bwrap
        "--new-session",  # no TIOCSTI into a terminal the server might have
        "--clearenv",
        "--hostname",
        HOSTNAME,
        *_mounts(settings),
        "--chdir",
        WORKDIR,
    ]
    if os.geteuid() == 0:
        return [executable, *_as_root(settings), *common, "--", *_drop_to(settings.script_user), *argv]
    # Not root: an unprivileged user namespace maps the sandbox's uid onto the server's, and nothing else exists.
    namespaces = ["--unshare-all", "--unshare-user", *(["--share-net"] if settings.script_network else [])]
    identity = ["--uid", str(SANDBOX_ID), "--gid", str(SANDBOX_ID), "--disable-userns"]
    return [executable, *namespaces, *identity, *common, "--", *argv]


def _as_root(settings: RunbookSettings) -> list[str]:
    """Namespaces for a root server: no user namespace, whose only mapping would make the script root outside."""
    # The script becomes script_user through setpriv instead, so that outside the sandbox it is nobody; bwrap keeps
    # only the capabilities setpriv needs for that, and setpriv drops them with the uid.
    network = [] if settings.script_network else ["--unshare-net"]
    capabilities = ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    return ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", *network, *capabilities]


def _drop_to(user: str) -> list[str]:
    """setpriv, switching to the user with no groups, no capabilities and no way to gain any."""
    setpriv = shutil.which("setpriv", path="/usr/bin:/bin")
    if setpriv is None:
        raise IsolationError("setpriv (util-linux) is not installed, and a root server needs it to drop to a user")
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        raise IsolationError(f"[runbooks] script_user {user!r} does not exist") from None
    if account.pw_uid == 0 or account.pw_gid == 0:
        raise IsolationError(f"[runbooks] script_user {user!r} is root")
    return [
        os.path.realpath(setpriv),
        f"--reuid={account.pw_uid}",
        f"--regid={account.pw_gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]


def _mounts(settings: RunbookSettings) -> list[str]:
    """A root of nothing but the runtime, read-only; its own /proc, /dev and a small /tmp."""
    mounts: list[str] = []
    for name in SYSTEM_DIRS:
        path = "/" + name
        if os.path.islink(path):
            mounts += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            mounts += ["--ro-bind", path, path]
    for prefix in sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}):
        if not _under_system_dirs(prefix):
            # Parents made by bwrap would copy the host's modes: /root's 0700 would hide the runtime from the script.
            for parent in reversed(Path(prefix).parents[:-1]):
                mounts += ["--perms", "0755", "--dir", str(parent)]
            mounts += ["--ro-bind", prefix, prefix]
    if settings.script_network:
        for path in NETWORK_FILES:
            mounts += ["--ro-bind-try", path, path]
    tmp_bytes = str(settings.script_tmp_mib * 1024 * 1024)
    mounts += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", tmp_bytes, "--tmpfs", "/tmp"]
    return mounts + ["--perms", "0777", "--dir", WORKDIR]


def _under_system_dirs(path: str) -> bool:
    return any(path == "/" + name or path.startswith(f"/{name}/") for name in SYSTEM_DIRS)
