"""One-off containers: what their commands do, and the attach protocol that streams them.

A command behaves as the admin script registered for it (`POST /_sim/scripts`, matched on the
exact command), or else as a tiny shell: `echo ARGS`, `sleep N`, `exit N`, `cat`, `bytes N`,
`true`, `false`, joined by `;`, `&&` or `||`. Any other word prints `simulated: <command>` and
succeeds. `$VAR` and `${VAR}` expand from the one-off's environment.
"""

import re
import shlex
import socket
import threading
import time

EOT = b"\x04"
KILLED_EXIT_CODE = 143          # SIGTERM, as the platform's stop does
CHUNK = 64 * 1024
DETACHED_LOG_BYTES = 64 * 1024
_PATTERN = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS"    # 55 bytes


def generated_bytes(count):
    """Yield `count` bytes of printable lines: line i is `%07d ` + 55 letters + newline (64 bytes).

    The stream is deterministic, so a client can check that it received every byte in order.
    """
    line = 0
    while count > 0:
        lines = min(CHUNK // 64, (count + 63) // 64)
        block = b"".join(b"%07d " % ((line + i) % 10 ** 7) + _PATTERN + b"\n" for i in range(lines))
        line += lines
        block = block[:count]
        count -= len(block)
        yield block


class Stdin:
    """The standard input of a command: bytes fed by the attach stream until \\x04 or EOF."""

    def __init__(self, closed=False):
        self._cond = threading.Condition()
        self._chunks = []
        self._closed = closed

    def feed(self, data):
        """Add bytes; a \\x04 ends the input. Returns False once the input is closed."""
        with self._cond:
            if self._closed:
                return False
            data, eot, dummy = data.partition(EOT)
            if data:
                self._chunks.append(data)
            if eot:
                self._closed = True
            self._cond.notify_all()
            return not self._closed

    def close(self):
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def read(self, kill):
        """Next chunk, or b"" at the end of the input (or when the command is killed)."""
        with self._cond:
            while not self._chunks and not self._closed and not kill.is_set():
                self._cond.wait(0.1)
            return self._chunks.pop(0) if self._chunks else b""


class Killed(Exception):
    pass


class _Shell:
    """Runs one command line of the built-in interpreter."""

    def __init__(self, env, stdin, write, kill):
        self.env, self.stdin, self.write, self.kill = env, stdin, write, kill

    def expand(self, command):
        return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: self.env.get(m.group(1) or m.group(2), ""), command)

    def run(self, command):
        try:
            lexer = shlex.shlex(self.expand(command), posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError:
            tokens = None
        if tokens is None or any(t and set(t) <= set(";&|") and t not in (";", "&&", "||") for t in tokens):
            self.write(b"simulated: " + command.encode("utf-8", "replace") + b"\n")
            return 0
        code, connector, words = 0, ";", []
        for token in tokens + [";"]:
            if token not in (";", "&&", "||"):
                words.append(token)
                continue
            if words and (connector == ";" or (connector == "&&") == (code == 0)):
                code = self.builtin(words, code)
            connector, words = token, []
        return code

    def builtin(self, words, last_code):
        name, args = words[0], words[1:]
        if self.kill.is_set():
            raise Killed()
        if name == "echo":
            newline = not (args and args[0] == "-n")
            self.write(" ".join(args[0 if newline else 1:]).encode("utf-8") + (b"\n" if newline else b""))
            return 0
        if name in ("true", "false"):
            return int(name == "false")
        if name == "exit":
            raise SystemExit(int(args[0]) % 256 if args and args[0].lstrip("-").isdigit() else last_code)
        if name == "sleep" and len(args) == 1:
            try:
                seconds = float(args[0])
            except ValueError:
                self.write(b"sleep: invalid time interval '" + args[0].encode("utf-8") + b"'\n")
                return 1
            if self.kill.wait(max(0.0, seconds)):
                raise Killed()
            return 0
        if name == "cat" and not args:
            copy_stdin(self.stdin, self.write, self.kill)
            return 0
        if name == "bytes" and len(args) == 1 and args[0].isdigit():
            for block in generated_bytes(int(args[0])):
                if self.kill.is_set():
                    raise Killed()
                self.write(block)
            return 0
        self.write(b"simulated: " + " ".join(words).encode("utf-8") + b"\n")
        return 0


def copy_stdin(stdin, write, kill):
    while True:
        data = stdin.read(kill)
        if not data:
            if kill.is_set():
                raise Killed()
            return
        write(data)


def run_command(command, env, script, stdin, write, kill):
    """Run a one-off command; returns its exit code (KILLED_EXIT_CODE when killed)."""
    start = time.monotonic()
    try:
        if script is None:
            try:
                return _Shell(env, stdin, write, kill).run(command)
            except SystemExit as done:
                return done.code
        if script.get("output"):
            write(script["output"].encode("utf-8"))
        for block in generated_bytes(int(script.get("output_bytes") or 0)):
            if kill.is_set():
                raise Killed()
            write(block)
        if script.get("echo_stdin"):
            copy_stdin(stdin, write, kill)
        remaining = float(script.get("duration") or 0) - (time.monotonic() - start)
        if remaining > 0 and kill.wait(remaining):
            raise Killed()
        return int(script.get("exit_code") or 0)
    except Killed:
        return KILLED_EXIT_CODE


class OneOff:
    """A one-off container: its record in `/ps`, its command and, when attached, its stream."""

    def __init__(self, container, app_id, command, env, size, detached, script, hooks):
        self.container = container          # the /ps record (id, type, type_index, label, ...)
        self.app_id = app_id
        self.command = command
        self.env = env
        self.size = size
        self.detached = detached
        self.script = script
        self.hooks = hooks                  # store callbacks: log(app_id, text, source), finished(one_off)
        self.state = "booting"
        self.operation_id = None
        self.attach_id = None
        self.attached = False
        self.kill = threading.Event()
        self.ended = threading.Event()
        self.exit_code = None
        self.timed_out = False
        self._lock = threading.Lock()
        self._timer = None
        self._stop_delay = 0.0

    @property
    def id(self):
        return self.container["id"]

    # -- lifecycle -----------------------------------------------------------------------------
    def start_detached(self, lifetime):
        """Run in the background; unscripted commands stay at least `lifetime` seconds."""
        self.state = "running"
        minimum = 0.0 if self.script is not None else lifetime

        def background():
            start = time.monotonic()
            kept = bytearray()          # what goes to the app's logs: the first DETACHED_LOG_BYTES

            def write(data):
                kept.extend(data[:max(0, DETACHED_LOG_BYTES - len(kept))])

            code = run_command(self.command, self.env, self.script, Stdin(closed=True), write, self.kill)
            output = kept.decode("utf-8", "replace")
            if output:
                self.hooks.log(self.app_id, output, self.container["label"])
            remaining = minimum - (time.monotonic() - start)
            if remaining > 0 and self.kill.wait(remaining):
                code = KILLED_EXIT_CODE
            self._finish(code)

        threading.Thread(target=background, name="one-off-" + self.id, daemon=True).start()

    def wait_for_attach(self, timeout):
        """An attached one-off nobody connects to is killed after the inactivity timeout."""
        self._timer = threading.Timer(timeout, self._attach_expired)
        self._timer.daemon = True
        self._timer.start()

    def _attach_expired(self):
        with self._lock:
            if self.attached or self.ended.is_set():
                return
            self.timed_out = True
        self._finish(None)

    def discard(self):
        """The app, the state or the start is gone: kill the command, end without an exit code."""
        self.kill.set()
        if self._timer:
            self._timer.cancel()
        self.ended.set()

    def stop(self, delay):
        """Asynchronous stop: state `stopping`, the command is killed, the container goes away."""
        with self._lock:
            if self.ended.is_set():
                return
            self.state = "stopping"
            self._stop_delay = delay
        self.kill.set()
        if not self.attached and not self.detached:
            if self._timer:
                self._timer.cancel()
            self._finish(KILLED_EXIT_CODE)

    def _finish(self, code):
        with self._lock:
            if self.ended.is_set():
                return
            self.exit_code = code
            delay = self._stop_delay if self.state == "stopping" else 0.0
        if delay > 0:
            timer = threading.Timer(delay, self._end)
            timer.daemon = True
            timer.start()
        else:
            self._end()

    def _end(self):
        self.ended.set()
        self.hooks.finished(self)

    # -- attach protocol -----------------------------------------------------------------------
    def claim_attach(self):
        with self._lock:
            if self.attached or self.ended.is_set():
                return False
            self.attached = True
            self.state = "running"
        if self._timer:
            self._timer.cancel()
        return True

    def attach(self, rfile, connection, inactivity_timeout):
        """Stream the command over the raw connection (after `HTTP/1.1 200 OK` was sent)."""
        stdin = Stdin()
        activity = [time.monotonic()]
        done = threading.Event()
        connection.settimeout(None)

        def touch():
            activity[0] = time.monotonic()

        def reader():
            while True:
                try:
                    data = rfile.read1(CHUNK)
                except (OSError, ValueError):
                    data = b""
                if not data:
                    stdin.close()
                    return
                touch()
                stdin.feed(data)

        def watchdog():
            while not done.wait(min(0.25, inactivity_timeout / 4.0)):
                if time.monotonic() - activity[0] > inactivity_timeout:
                    self.timed_out = True
                    self.kill.set()
                    _shutdown(connection, socket.SHUT_RDWR)
                    return

        def write(data):
            for start in range(0, len(data), CHUNK):
                try:
                    connection.sendall(data[start:start + CHUNK])
                except OSError:
                    return
                touch()

        read_thread = threading.Thread(target=reader, name="attach-in-" + self.id, daemon=True)
        read_thread.start()
        threading.Thread(target=watchdog, name="attach-watch-" + self.id, daemon=True).start()
        code = run_command(self.command, self.env, self.script, stdin, write, self.kill)
        done.set()
        # Lingering close: FIN first, let the client read the end of the output, then close.
        _shutdown(connection, socket.SHUT_WR)
        self._finish(None if self.timed_out else code)
        read_thread.join(2.0)
        _shutdown(connection, socket.SHUT_RDWR)

    def wait_result(self, timeout):
        """(finished, exit code or None when killed for inactivity)."""
        if not self.ended.wait(timeout):
            return False, None
        return True, (None if self.timed_out else self.exit_code)


def _shutdown(connection, how):
    try:
        connection.shutdown(how)
    except OSError:
        pass
