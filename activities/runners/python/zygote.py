"""A warm Python interpreter for KFP lightweight steps (see activities/runners/zygotes.ts).

One zygote serves one Python environment. It imports what `kfp.dsl.executor_main` imports,
then answers requests, one JSON object per line on stdin, each from a supervisor forked ahead
(a spare, `_Spare`: the fork and the network namespace are made while the launch before runs)
by its template (`_Template`), a copy of itself made before any request:

  zygote (the worker's user: root under a root worker; imports only root-owned, sealed code)
  └─ template: forks the spares, reaps them, and tells the zygote their pids and exits
    └─ supervisor: its own session; the launch's sandbox, then the step's user; the log; claims
       │ the launch (launch.json, O_EXCL) exactly as the `sh` supervisor does; writes exit_code
       └─ step: the launch's environment, directory and argv; runs the executor as
          `python3 -m <module> --component_module_path <file> <args…>` would, or, for an `exec`
          request (the launcher zygote, which imports nothing), the command `exec` as `sh`'s
          `"$@"` would (`_run_command`)

Replies (stdout, one JSON object per line): {"id", "pid"} once the supervisor runs as the step's
user and has claimed the launch or lost it (its pid is the launch's, as the spawn helper's is), {"id", "error"} when it could not be started, and
{"id", "exited": {"code", "signal"}} when it has ended. The template reaps the supervisors, so no
zombie is left; supervisors are not tied to either and outlive both and the worker. On EOF the
zygote exits, and the template with it. Nothing here runs step code: only the step (grandchild), after privileges are gone.
"""

import atexit
import ctypes
import errno
import fcntl
import json
import os
import select
import selectors
import signal
import _signal
import socket
import struct
import sys
import time

# Exits of the supervisor, as the `sh` supervisor's: another supervisor claimed the launch first.
CLAIM_LOST = 125


# What a lightweight step's executor needs (`_execute`), imported by a zygote that serves them
# only: the launcher, which imports nothing it does not need, runs without `site` (`-S`), and
# every module it holds makes each fork dearer (`random`, which `tempfile` imports, reseeds
# itself in every child).
_EXECUTOR_MODULES = ('runpy', 'site', 'tempfile')


def _preload(modules):
    # `_KFP_RUNTIME=true` is how the step runs (kfp then skips its compile-time imports); set only
    # here while importing, since every step gets exactly its own environment.
    os.environ['_KFP_RUNTIME'] = 'true'
    for name in modules:
        try:
            __import__(name)
        except Exception:  # pylint: disable=broad-except
            # The step imports it itself, and fails exactly as it would have without the zygote.
            pass
    del os.environ['_KFP_RUNTIME']


# ---- the sandbox, applied as root in the supervisor (Python 3.11 has no os.unshare)

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_BIND = 4096
MS_REC = 16384
MS_SLAVE = 1 << 19
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
PR_SET_NO_NEW_PRIVS = 38

# Resolved as the module loads, before the template forks the supervisors that call them: a
# supervisor resolving them itself took ~25 more copy-on-write faults (436 against 412 per launch).
_LIBC = ctypes.CDLL(None, use_errno=True)
_LIBC_FUNCTIONS = {name: getattr(_LIBC, name) for name in ('mount', 'prctl', 'setns', 'unshare')}


def _c(name, *args):
    if _LIBC_FUNCTIONS[name](*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f'{name}{args}: {os.strerror(err)}')


def _bind(source, target):
    _c('mount', source.encode(), target.encode(), None, ctypes.c_ulong(MS_BIND), None)


def _private_tmp(private):
    """Each mount's `source` on its `target` (`/tmp`, `/var/tmp`), Sluice's own directories under it bound back (step-sandbox.ts, TmpMounts).

    Every directory is opened (O_PATH) before any target is covered, and bound from its
    descriptor: no stash is mounted and lazily unmounted, as the tools' sandbox does, and each
    lazy unmount cost a launch ~1 ms (the kernel waits for an RCU grace period).
    """
    held = []

    def hold(path):
        held.append(os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC))
        return f'/proc/self/fd/{held[-1]}'

    try:
        # A directory to keep that does not exist (yet) is nothing the step could reach.
        plan = [(m['target'], hold(m['source']), [(keep, hold(keep)) for keep in m['keep'] if os.path.isdir(keep)]) for m in private['mounts']]
        for target, source, keeps in plan:
            _bind(source, target)
            for keep, kept in keeps:
                # Never group- or other-writable, whatever the umask: the worker hands a /tmp on when it holds only these (step-sandbox.ts, `untouched`).
                os.makedirs(keep, mode=0o755, exist_ok=True)
                _c('mount', kept.encode(), keep.encode(), None, ctypes.c_ulong(MS_BIND | MS_REC), None)
    finally:
        for fd in held:
            os.close(fd)


def _isolate_network():
    """A network namespace of its own with `lo` up: all of the sandbox that depends on no launch, so a spare makes it ahead."""
    _c('unshare', ctypes.c_int(CLONE_NEWNET))
    # A new network namespace has only `lo`, and it is down.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        flags = struct.unpack('16sH14x', fcntl.ioctl(s, SIOCGIFFLAGS, struct.pack('16sH14x', b'lo', 0)))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack('16sH14x', b'lo', flags | IFF_UP))


def _accounts(accounts, mount_dir):
    """`accounts` on /etc/passwd and /etc/group, from a tmpfs of this namespace's own: no file on disk per launch."""
    _c('mount', b'tmpfs', mount_dir.encode(), b'tmpfs', ctypes.c_ulong(MS_NOSUID | MS_NODEV | MS_NOEXEC), b'mode=0755')
    for name in ('passwd', 'group'):
        path = os.path.join(mount_dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            data = accounts[name].encode()
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
        _bind(path, '/etc/' + name)
    # Left mounted, in this namespace only, on a directory of root's that the step cannot enter:
    # a lazy unmount would cost the launch ~1 ms.


def _enter(path, nstype):
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _c('setns', ctypes.c_int(fd), ctypes.c_int(nstype))
    finally:
        os.close(fd)


def _network(box, kept, made):
    """The launch's network: the host's, the uid's kept namespace (`_Kept`) while no socket of an earlier step's is left in it, or a new one."""
    if not box['isolateNetwork']:
        return
    if kept:
        _enter(kept, CLONE_NEWNET)
        if not _sockets_left():
            return
        # A TIME_WAIT outlives its process by a minute: this launch gets a namespace of its own.
    elif made:
        return
    _isolate_network()


def _sockets_left():
    for name in ('/proc/self/net/sockstat', '/proc/self/net/sockstat6'):
        with open(name, 'rb') as f:
            # Per protocol, `inuse` (this namespace's sockets, orphans too) and `tw` (its
            # TIME_WAITs); `orphan`, `alloc` and `mem` count the host's.
            for line in f.read().splitlines():
                words = line.split()
                if any(words[i] in (b'inuse', b'tw') and words[i + 1] != b'0' for i in range(1, len(words) - 1)):
                    return True
    return False


def _apply_sandbox(box, kept):
    """The launch's mount namespace: one an earlier launch of the same sandbox left (`kept`, see `_Kept`) while its `/dev/shm` is empty, else a new one."""
    if kept:
        host = os.open('/proc/self/ns/mnt', os.O_RDONLY | os.O_CLOEXEC)
        try:
            _enter(kept, CLONE_NEWNS)
            if not box.get('privateShm'):
                return
            with os.scandir('/dev/shm') as entries:
                if next(entries, None) is None:
                    return
            # What an earlier step left there is not this one's.
            _c('setns', ctypes.c_int(host), ctypes.c_int(CLONE_NEWNS))
        finally:
            os.close(host)
    # The mount namespace is copied only now, at the launch, so that the step sees the host's
    # mounts as they are; a slave of them, so that what the host mounts later reaches the steps
    # of a namespace kept for later launches, and nothing mounted here reaches the host.
    _c('unshare', ctypes.c_int(CLONE_NEWNS))
    _c('mount', None, b'/', None, ctypes.c_ulong(MS_REC | MS_SLAVE), None)
    _accounts(box['accounts'], box['accountsMount'])
    if box.get('privateShm'):
        _c('mount', b'sluice-shm', b'/dev/shm', b'tmpfs', ctypes.c_ulong(MS_NOSUID | MS_NODEV), b'mode=1777')
    if box.get('privateTmp'):
        _private_tmp(box['privateTmp'])


def _drop_privileges(uid, gid):
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _c('prctl', ctypes.c_int(PR_SET_NO_NEW_PRIVS), ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


# ---- the supervisor and the step


def _ready(fd):
    # Left open: the supervisor says on it at its end whether its namespaces may be kept (`_Kept`).
    os.write(fd, b'ok')


def _start_ticks():
    # Bytes: a codec's module would be imported now, after privileges are gone, from a Python the step's user may not read.
    with open('/proc/self/stat', 'rb') as f:
        stat = f.read()
    # Field 22; the command name (field 2) may hold spaces, so count after its closing parenthesis.
    return int(stat[stat.rindex(b')') + 2:].split(b' ')[19])


def _claim(state_file):
    try:
        fd = os.open(state_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except OSError:
        return False
    try:
        os.write(fd, json.dumps({'pid': os.getpid(), 'startTicks': _start_ticks()}, separators=(',', ':')).encode())
    finally:
        os.close(fd)
    return True


def _hold(hold_dir, launch):
    """Tests only, as the `sh` supervisor: wait between spawn and claim until the test says go."""
    os.close(os.open(os.path.join(hold_dir, launch + '.held'), os.O_WRONLY | os.O_CREAT, 0o644))
    while not os.path.exists(os.path.join(hold_dir, launch + '.go')):
        time.sleep(0.05)


def _exit_status(status):
    """The step's exit code as `sh` reports it: 128 + the signal that killed it."""
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


def _supervise(req, ready_fd, network_made):
    """The supervisor, once its spare has its request: set up, claim, tell the zygote (`ready_fd`), run the step."""
    box = req.get('sandbox')
    kept = req.get('kept') or {}
    if box:
        _network(box, kept.get('net'), network_made)
        _apply_sandbox(box, kept.get('mnt'))
        _drop_privileges(box['uid'], box['gid'])
        # Group-writable by default, as the `sh` sandbox: the run's workspace is the steps' group's.
        os.umask(0o002)
    if req.get('exec'):
        # The command starts where its supervisor is (a lightweight step changes directory itself).
        os.chdir(req['cwd'])
    # The zygote answers once the claim is decided, so a worker that gets the pid finds the launch
    # by its record from then on; a held launch (tests) is answered before it waits.
    if req.get('holdDir'):
        _ready(ready_fd)
        _hold(req['holdDir'], req['launch'])
    claimed = _claim(req['stateFile'])
    if not req.get('holdDir'):
        _ready(ready_fd)
    if not claimed:
        os._exit(CLAIM_LOST)
    if req.get('exec'):
        code = _run_command(req['exec'], req['env'])
    else:
        step = os.fork()
        if step == 0:
            os.close(ready_fd)
            _run_step(req)  # never returns
        code = _exit_status(os.waitpid(step, 0)[1])
    try:
        fd = os.open(req['exitFile'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        os.write(fd, str(code).encode())
        os.close(fd)
        if box and box.get('ownUid'):
            # As the `sh` supervisor: whatever the step left running under its own uid ends with it.
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
            # Its namespaces may serve the uid's next launch (`_Kept`).
            os.write(ready_fd, b'kept')
    finally:
        os._exit(code)


# Python ignores these; a step starts with them as any process does (`sh` would have passed the ignored ones on).
_DEFAULT_SIGNALS = (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ)


def _run_command(argv, env):
    """Runs `argv` as the `sh` supervisor's `"$@"` did, and returns its exit code as `sh` reports it.

    The program is looked up on the step's PATH unless it names a path, and a file without `#!`
    runs with `sh`. What cannot start exits as in `sh`, saying why in the log: 127 when no file
    is found, 126 when the file found cannot be run. Started with `posix_spawn` (a vfork):
    forking this process would copy its page tables, and `sh` in between cost a launch another
    exec and fork.
    """
    if not argv:
        return 0
    name = argv[0]
    found = None
    # As `os.get_exec_path(env)`, which imports `warnings`: under `-S` nothing has, and each
    # supervisor would import it (as the step's user) after its fork.
    dirs = env.get('PATH', os.defpath).split(os.pathsep)
    for path in [name] if '/' in name else [os.path.join(d or '.', name) for d in dirs]:
        # Only where there is something to run, as `sh` looks: a spawn that fails costs a
        # process (a clone, a failed exec, an exit), and a step's PATH may list a dozen
        # directories before its program's.
        if path != name and not os.path.lexists(path):
            continue
        try:
            pid = os.posix_spawn(path, argv, env, setsigdef=_DEFAULT_SIGNALS)
        except OSError as e:
            if e.errno == errno.ENOEXEC:
                return _run_command(['/bin/sh', path, *argv[1:]], env)
            # A directory of PATH the step cannot search is no file found.
            if found is None and os.path.exists(path):
                found = e
            continue
        return _exit_status(os.waitpid(pid, 0)[1])
    os.write(2, f'sluice-step: {name}: {found.strerror if found else "not found"}\n'.encode(errors='backslashreplace'))
    return 126 if found else 127


def _run_step(req):
    code = 1
    try:
        code = _execute(req)
    except SystemExit as e:
        code = _system_exit_code(e)
    except KeyboardInterrupt:
        # The interpreter would kill itself with SIGINT: `sh` reports that as 130.
        sys.excepthook(*sys.exc_info())
        code = 128 + signal.SIGINT
    except BaseException:  # pylint: disable=broad-except
        sys.excepthook(*sys.exc_info())
    finally:
        _finish(code)


def _execute(req):
    import runpy, site, tempfile  # pylint: disable=import-outside-toplevel,multiple-imports  # imported already: _EXECUTOR_MODULES
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.clear()
    os.environ.update(req['env'])
    time.tzset()
    os.chdir(req['cwd'])
    unbuffered = bool(os.environ.get('PYTHONUNBUFFERED'))
    sys.stdout = open(1, 'w', encoding=sys.stdout.encoding, errors=sys.stdout.errors, buffering=1 if unbuffered else -1, closefd=False)
    sys.stderr = open(2, 'w', encoding=sys.stderr.encoding, errors='backslashreplace', buffering=1, closefd=False)
    if unbuffered:
        sys.stdout.reconfigure(write_through=True)
    sys.stderr.reconfigure(write_through=True)
    # What `sh -ec` did: a private temporary directory holding the source.
    tempfile.tempdir = None
    program_path = tempfile.mkdtemp(prefix='tmp.')
    module_path = os.path.join(program_path, 'ephemeral_component.py')
    with open(module_path, 'w', encoding='utf-8') as f:
        f.write(req['source'])
    # `python3 -m`: the working directory first on sys.path, then the user's site as its HOME says.
    sys.path[0] = os.getcwd()
    site.USER_BASE = None
    site.USER_SITE = None
    if os.path.isdir(site.getusersitepackages()):
        site.addsitedir(site.getusersitepackages())
    sys.argv = [req['module'], '--component_module_path', module_path, *req['executorArgs']]
    runpy.run_module(req['module'], run_name='__main__', alter_sys=True)
    return 0


def _system_exit_code(e):
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


def _finish(code):
    try:
        atexit._run_exitfuncs()  # pylint: disable=protected-access
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


# ---- the zygote's loop


def _reply(message):
    data = (json.dumps(message) + '\n').encode()
    while data:
        data = data[os.write(1, data):]


class _Spare:
    """A supervisor forked before its launch: the fork and, when the next launch will need a new one, the network namespace (~2 ms) are off the launch's path.

    `network_made`: it made a network namespace of its own ahead. It waits for its request on
    `ctl` and answers on `ready` as a freshly forked supervisor did; the zygote's end of `ctl`
    closing unused (the zygote gone, or a request of another kind) ends it.
    """

    def __init__(self, template, network_made):
        self.network_made = network_made
        self.pid, self.ctl, self.ready = template.fork(network_made)

    def start(self, req):
        """Hands `req` over; the supervisor's pid and its end of `ready` once it runs as the step's user in its sandbox, or OSError saying why not."""
        try:
            data = json.dumps(req).encode()
            try:
                while data:
                    data = data[os.write(self.ctl, data):]
            except BrokenPipeError:
                pass  # it died: its answer below says so
            os.close(self.ctl)
            self.ctl = -1
            answer = b''
            # `ok`, or why not and then the end. Not a byte past `ok`: the supervisor may have
            # written its end (`kept`) already.
            while answer != b'ok' and (chunk := os.read(self.ready, 2 - len(answer) if b'ok'.startswith(answer) else 4096)):
                answer += chunk
            if answer != b'ok':
                # The template reaps it.
                raise OSError(0, answer.decode(errors='replace') or 'the supervisor ended before it was ready')
            ready, self.ready = self.ready, -1
            return self.pid, ready
        finally:
            self.discard()

    def discard(self):
        for fd in (self.ctl, self.ready):
            if fd >= 0:
                os.close(fd)
        self.ctl = self.ready = -1


class _Template:
    """The zygote's copy that forks the spares, made before the zygote serves any request.

    Each fork makes every page of the forking process copy-on-write again, and the zygote wrote
    ~210 of its pages between one launch's fork and the next (each request's JSON, the reply,
    the kept namespaces), each a page fault that copies the page: ~0.3 ms of a launch's ~3.5 ms
    of the machine's CPU. The template does nothing but fork, so its pages stay as they were.
    Over a socket pair: `F0` or `F1` (a spare, with its own network namespace made ahead or
    not) is answered `S` with the spare's pid, and its ends of the spare's pipes as descriptors;
    `X` says a child of the template ended (pid and wait status), whenever one does.
    """

    def __init__(self):
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # Exits read while waiting for a spare: the zygote's loop handles them next.
        self.exits = []
        self.pid = os.fork()
        if self.pid == 0:
            self.sock.close()
            # Nothing of the worker's pipes stays open here: it reads the zygote's replies up to their end.
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.close(null)
            _template_main(theirs)  # never returns
        theirs.close()

    def fork(self, network_made):
        """A new spare's pid and the zygote's ends of its pipes (`ctl`, `ready`), or OSError."""
        self.sock.send(b'F1' if network_made else b'F0')
        while True:
            msg, fds, _, _ = socket.recv_fds(self.sock, 16, 2, socket.MSG_CMSG_CLOEXEC)
            if not msg:
                raise OSError(0, 'the launcher template ended')
            if msg[:1] == b'X':
                self.exits.append(struct.unpack('ii', msg[1:9]))
                continue
            pid = struct.unpack('i', msg[1:5])[0]
            if pid < 0:
                raise OSError(-pid, os.strerror(-pid))
            return pid, fds[0], fds[1]

    def ended(self):
        """The children of the template that ended since the last call, as (pid, wait status); EOFError once the template is gone."""
        while True:
            try:
                msg = self.sock.recv(16, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if not msg:
                raise EOFError
            self.exits.append(struct.unpack('ii', msg[1:9]))
        exits, self.exits = self.exits, []
        return exits


def _template_main(sock):
    try:
        # As the zygote: a Ctrl-C to the worker's process group does not end what runs the steps.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        while True:
            ready, _, _ = select.select([sock, wake_r], [], [])
            if wake_r in ready:
                os.read(wake_r, 512)
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    sock.send(b'X' + struct.pack('ii', pid, status))
            if sock in ready:
                msg = sock.recv(16)
                if not msg:
                    return  # the zygote is gone
                ctl_r, ctl_w = os.pipe()
                ready_r, ready_w = os.pipe()
                try:
                    pid = os.fork()
                except OSError as e:
                    for fd in (ctl_r, ctl_w, ready_r, ready_w):
                        os.close(fd)
                    sock.send(b'S' + struct.pack('i', -e.errno))
                    continue
                if pid == 0:
                    for fd in (wake_r, wake_w, ctl_w, ready_r):
                        os.close(fd)
                    sock.close()
                    _spare_main(msg == b'F1', ready_w, ctl_r)  # never returns
                os.close(ctl_r)
                os.close(ready_w)
                socket.send_fds(sock, [b'S' + struct.pack('i', pid)], [ctl_w, ready_r])
                os.close(ctl_w)
                os.close(ready_r)
    finally:
        os._exit(0)


def _spare_main(network_made, ready_w, ctl_r):
    try:
        signal.set_wakeup_fd(-1)
        # `_signal`'s, not `signal.signal`: that one turns the handler it replaces (the template's
        # lambda) into an enum, failing with a formatted ValueError inside, and those objects cost
        # each spare ~35 copy-on-write faults of ~450.
        _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)
        # Nothing of the zygote's (its pipes to the worker) stays open here: the worker reads its
        # replies up to their end, which no spare may hold back.
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        ready_w = fcntl.fcntl(ready_w, fcntl.F_DUPFD, 5)
        ctl_r = fcntl.fcntl(ctl_r, fcntl.F_DUPFD, 5)
        # Not the step's: it is spawned without it.
        os.dup2(ready_w, 3, inheritable=False)
        os.dup2(ctl_r, 4)
        os.closerange(5, 1 << 16)
        os.setsid()
        if network_made:
            _isolate_network()
        request = b''
        while chunk := os.read(4, 65536):
            request += chunk
        os.close(4)
        if not request:
            os._exit(0)
        req = json.loads(request)
        # Opened as the worker's user, as the spawn helper does: the logs directory is root's, and never through a symlink.
        try:
            log_fd = os.open(req['logFile'], os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as e:
            raise OSError(0, f'{e.filename}: {e.strerror}') from e
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        _supervise(req, 3, network_made)
    except BaseException as e:  # pylint: disable=broad-except
        try:
            os.write(3, (e.strerror if isinstance(e, OSError) and e.errno == 0 else f'{type(e).__name__}: {e}').encode())
        finally:
            os._exit(126)


class _Kept:
    """Namespaces of launches that ended as they should, for the next launch of the same uid.

    Making a network namespace and a mount namespace with its mounts, and tearing both down,
    cost a launch ~1 ms of the machine's CPU (the teardown in the kernel's threads). A uid's launches follow one another (its
    claim), so the zygote holds a supervisor's namespaces (their files in /proc, opened once it
    answers) and, when the supervisor has ended every process of the uid (it says `kept`), offers
    them to the uid's next launch. That supervisor enters them (`setns`) unless the step before
    left something there: a socket in the network (`_network`), an entry in the mount
    namespace's own `/dev/shm` (`_apply_sandbox`); then it makes its own. A mount namespace is
    offered only to a launch of the same sandbox (`_mounts_key`): the same accounts and the same
    directories on `/tmp` and `/var/tmp` and bound back under them. The worker moves a `/tmp`
    a step wrote to aside and makes a new one (step-sandbox.ts, `discardTouched`), so a touched
    `/tmp` never reaches a later launch; the kept namespace, holding the old directory open,
    keeps its inode from being reused for the new one.
    """

    LIMIT = 256

    def __init__(self):
        # kind ('net', 'mnt') -> uid -> (what it was made of, fd)
        self.pools = {'net': {}, 'mnt': {}}

    def take(self, box):
        """The kept namespaces a launch in `box` is offered, as paths its supervisor can open, with the fds the zygote holds meanwhile; and the key of its mounts."""
        if not box or not box.get('ownUid'):
            return {}, [], None
        uid, key = box['uid'], _mounts_key(box)
        fds = []
        for kind, wanted in (('net', True), ('mnt', key)):
            made, fd = self.pools[kind].pop(uid, (None, None))
            if fd is None:
                continue
            if made == wanted and (kind != 'net' or box['isolateNetwork']):
                fds.append((kind, fd))
            else:
                os.close(fd)
        # Opened through the zygote's descriptors: the supervisor was forked before they were kept.
        return {kind: f'/proc/{os.getpid()}/fd/{fd}' for kind, fd in fds}, fds, key

    def hold(self, pid, box, offered):
        """The namespaces supervisor `pid` runs in (those `offered`, or its own), to keep if it ends as it should."""
        for _, fd in offered:
            os.close(fd)
        held = []
        if box and box.get('ownUid'):
            for kind in ('net', 'mnt') if box['isolateNetwork'] else ('mnt',):
                try:
                    held.append((kind, os.open(f'/proc/{pid}/ns/{kind}', os.O_RDONLY | os.O_CLOEXEC)))
                except OSError:
                    pass  # it ended already: nothing to keep
        return held

    def keep(self, uid, key, held):
        for kind, fd in held:
            pool = self.pools[kind]
            old = pool.pop(uid, None)
            if old is not None:
                os.close(old[1])
            pool[uid] = (True if kind == 'net' else key, fd)
            if len(pool) > self.LIMIT:
                os.close(pool.pop(next(iter(pool)))[1])


def _mounts_key(box):
    """What a mount namespace was made of (`_apply_sandbox`): the accounts, and each directory bound, by inode."""
    def ino(path):
        try:
            st = os.stat(path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)
    tmp = box.get('privateTmp') or {'mounts': []}
    return (
        box['accounts']['passwd'], box['accounts']['group'], box['accountsMount'], bool(box.get('privateShm')),
        tuple((m['target'], ino(m['source']), tuple((keep, ino(keep)) for keep in m['keep'])) for m in tmp['mounts']),
    )


def main():
    preload = json.loads(sys.argv[1]) if len(sys.argv) > 1 else []
    if preload:
        _preload([*_EXECUTOR_MODULES, *preload])
    # Before the zygote has written anything of its own: the template's pages are its as they are now.
    # The template is the zygote's only child: its socket's end says it ended, and the zygote
    # ends then too (its zombie goes with it).
    template = _Template()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    supervisors = {}
    spare = [None]
    kept = _Kept()
    sel = selectors.DefaultSelector()
    sel.register(0, selectors.EVENT_READ)
    sel.register(template.sock, selectors.EVENT_READ)

    def reap():
        try:
            _reap(template.ended(), supervisors, kept)
        except EOFError:
            # Without its template the zygote can start nothing: it ends, and the worker starts
            # another. The supervisors go on, and their launches are found by their own records.
            return False
        return True

    _reply({'ready': True})
    pending = b''
    while True:
        for key, _ in sel.select():
            if key.fd == template.sock.fileno():
                if not reap():
                    return
                continue
            chunk = os.read(0, 65536)
            if not chunk:
                return
            pending += chunk
            *lines, pending = pending.split(b'\n')
            for line in lines:
                if line.strip():
                    _serve(json.loads(line), supervisors, spare, kept, template)
            # Exits the template reported while the zygote waited for a spare.
            if template.exits and not reap():
                return


class _Supervisor:
    def __init__(self, rid, ready, uid, key, held):
        self.rid, self.ready, self.uid, self.key, self.held = rid, ready, uid, key, held


def _serve(req, supervisors, spare, kept, template):
    """Starts `req` from the spare if it is of the launch's kind (else from one forked now), then forks the next spare."""
    box = req.get('sandbox')
    paths, offered, key = kept.take(box)
    if paths:
        req = {**req, 'kept': paths}
    network_made = bool(box and box['isolateNetwork'] and 'net' not in paths)
    ready = spare[0] if spare[0] and spare[0].network_made == network_made else None
    if spare[0] and not ready:
        spare[0].discard()  # it reads EOF and exits; the template reaps it
    spare[0] = None
    try:
        pid, ready_fd = (ready or _Spare(template, network_made)).start(req)
    except OSError as e:
        for _, fd in offered:
            os.close(fd)
        _reply({'id': req['id'], 'error': str(e.strerror or e)})
    else:
        os.set_blocking(ready_fd, False)
        supervisors[pid] = _Supervisor(req['id'], ready_fd, box and box['uid'], key, kept.hold(pid, box, offered))
        _reply({'id': req['id'], 'pid': pid})
    # After the answer: the next launch's fork happens while this one's step runs, of the kind this one needed.
    try:
        spare[0] = _Spare(template, network_made)
    except OSError:
        pass  # the next launch forks its own, and says why if it cannot


def _reap(ended, supervisors, kept):
    """Replies `exited` for each supervisor of `ended` (pid, wait status); a spare discarded unused has none."""
    for pid, status in ended:
        sup = supervisors.pop(pid, None)
        if sup is None:
            continue
        try:
            said = os.read(sup.ready, 16)
        except OSError:
            said = b''
        os.close(sup.ready)
        if said == b'kept':
            kept.keep(sup.uid, sup.key, sup.held)
        else:
            for _, fd in sup.held:
                os.close(fd)
        signaled = os.WIFSIGNALED(status)
        _reply({'id': sup.rid, 'exited': {
            'code': None if signaled else os.waitstatus_to_exitcode(status),
            'signal': signal.Signals(os.WTERMSIG(status)).name if signaled else None,
        }})


if __name__ == '__main__':
    try:
        main()
    except BrokenPipeError:
        pass
    sys.exit(0)
