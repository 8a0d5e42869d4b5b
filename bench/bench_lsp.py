"""Drive the language server over stdio like an editor and time it.

    python bench/bench_lsp.py                      # synthetic workspace: 4,000 files / 30 MB
    python bench/bench_lsp.py --files 500 --mb 4   # smaller
    python bench/bench_lsp.py --dir PATH           # an existing workspace

Opens a service file right after `initialized` (while the workspace scan
runs): by default the issue's shape, 2,600 lines with 20 queries
(`--shape dense`: 1,000 lines with a query every 12 lines). Then, once the scan is over, opens a line in a
method and types a query on it (each keystroke a `didChange`, waiting for its diagnostics; brackets and
quotes close as they open, as editors type them, or with `--typing raw` one character each). Prints
the time to first diagnostics after `didOpen`, p50/p95/p99 from each
`didChange` to the `publishDiagnostics` of that version, the scan time, and
the server's RSS after the scan. Targets: p95 <= 25 ms, first diagnostics
<= 300 ms, RSS <= 200 MB. Run by hand, not in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

BIG_FILE = "src/bench/catalog.service.ts"
TYPED = "    const recent = await prisma.user.findMany({ where: { name: { contains: q } }, take: 20 });\n"

CLOSING = {"(": ")", "{": "}", "[": "]", "'": "'", '"': '"', "`": "`"}


def keystrokes(typed: str, auto_close: bool = True) -> list[tuple[int, str]]:
    """The changes that typing `typed` at the start of an empty line sends,
    as (column, inserted text). With `auto_close`, as editors do by default
    (VS Code's auto-closing pairs): an opening bracket or quote inserts its
    pair too, and typing the closing one steps over it (nothing is sent)."""
    out: list[tuple[int, str]] = []
    line, col = "", 0
    for ch in typed:
        if auto_close and col < len(line) and line[col] == ch and ch in CLOSING.values():
            col += 1
            continue
        text = ch + CLOSING[ch] if auto_close and ch in CLOSING else ch
        out.append((col, text))
        line = line[:col] + text + line[col:]
        col += 1
    assert line == typed, (line, typed)
    return out


CAPABILITIES = {
    "general": {"positionEncodings": ["utf-16"]},
    "window": {"workDoneProgress": True},
    "workspace": {"configuration": True, "didChangeWatchedFiles": {"dynamicRegistration": True},
                  "workspaceEdit": {"documentChanges": True}},
    "textDocument": {"synchronization": {"dynamicRegistration": False}, "publishDiagnostics": {"versionSupport": True}},
}


def _paged_query(name: str, i: int) -> list[str]:
    """The head of a query method: a page of rows (accents and an emoji in a
    comment before the query, for UTF-16 positions)."""
    return [
        f"  async {name}(ownerId: string, page = 1) {{",
        f"    // page {i}: réglages par défaut 👍",
        "    const take = 20;",
        "    const rows = await prisma.user.findMany({",
        "      where: { id: ownerId },",
        "      select: { id: true, email: true, name: true },",
        "      skip: (page - 1) * take,",
        "      take,",
        "    });",
    ]


def big_service(lines: int = 1000) -> str:
    """A realistic ~1,000-line service: one class, many small query methods."""
    out = ["import { prisma } from '../lib/prisma';", "", "export class CatalogService {"]
    i = 0
    while len(out) < lines - 2:
        out += [
            *_paged_query(f"listPage{i}", i),
            "    return rows.map((row) => ({ ...row, label: `${row.name ?? row.email}` }));",
            "  }",
            "",
        ]
        i += 1
    out += ["}", ""]
    return "\n".join(out)


def typical_service(lines: int = 2600, queries: int = 20) -> str:
    """The issue's shape: a 2,600-line service class with 20 queries, the rest
    the validation, mapping and bookkeeping that real services carry."""
    out = ["import { prisma } from '../lib/prisma';", "import { logger } from '../lib/logger';", "",
           "export class OrderService {"]
    per_query = (lines - 6) // queries
    for q in range(queries):
        start = len(out)
        out += [
            *_paged_query(f"listOrders{q}", q),
            f"    logger.info('listed', {{ count: rows.length, step: {q} }});",
            f"    return rows.map((row) => this.toDto{q}_0(row));",
            "  }",
            "",
        ]
        h = 0
        while len(out) - start < per_query:
            out += [
                f"  private toDto{q}_{h}(row: {{ id: string; email: string; name: string | null }}) {{",
                "    const label = row.name ? row.name.trim() : row.email.split('@')[0];",
                "    if (label.length > 80) {",
                f"      throw new Error(`label too long for ${{row.id}} in step {q}`);",
                "    }",
                "    const parts = label.split(' ').filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1));",
                "    return { id: row.id, email: row.email.toLowerCase(), label: parts.join(' '), initials: parts.map((p) => p[0]).join('') };",
                "  }",
                "",
            ]
            h += 1
    out += ["}", ""]
    return "\n".join(out)


class Client:
    def __init__(self, cmd: list[str], cwd: str):
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
        self.lock = threading.Lock()
        self.cond = threading.Condition()
        self.published: dict[tuple[str, int | None], float] = {}
        self.responses: dict[int, dict] = {}
        self.progress_ended = False
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def notify(self, method: str, params) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params, timeout: float = 60) -> dict:
        self.next_id += 1
        rid = self.next_id
        self.send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        with self.cond:
            self.cond.wait_for(lambda: rid in self.responses, timeout)
        return self.responses.get(rid, {})

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length"):
                    length = int(line.split(b":")[1])
            message = json.loads(stream.read(length))
            now = time.perf_counter()
            method = message.get("method")
            if method == "textDocument/publishDiagnostics":
                key = (message["params"]["uri"], message["params"].get("version"))
                with self.cond:
                    self.published.setdefault(key, now)
                    self.cond.notify_all()
            elif method == "window/logMessage" and message["params"]["message"].startswith("perfaudit.lsp: "):
                print("  server:", message["params"]["message"].removeprefix("perfaudit.lsp: "))
            elif method == "$/progress" and message["params"]["value"].get("kind") == "end":
                with self.cond:
                    self.progress_ended = True
                    self.cond.notify_all()
            elif "id" in message and method is not None:  # a request from the server
                # trace "messages": the server logs its scan's figures, printed below.
                result = [{"trace": "messages"} for _ in message["params"].get("items", [])] if method == "workspace/configuration" else None
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            elif "id" in message:
                with self.cond:
                    self.responses[message["id"]] = message
                    self.cond.notify_all()

    def wait_published(self, uri: str, version: int, timeout: float = 10) -> float | None:
        with self.cond:
            self.cond.wait_for(lambda: (uri, version) in self.published, timeout)
            return self.published.get((uri, version))

    def rss_mb(self) -> float:
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", help="an existing workspace (default: a synthetic one)")
    parser.add_argument("--files", type=int, default=4000)
    parser.add_argument("--mb", type=float, default=30.0)
    parser.add_argument("--shape", choices=("typical", "dense"), default="typical", help="the open file's shape")
    parser.add_argument("--keys", type=int, default=len(TYPED), help="keystrokes to type")
    parser.add_argument("--typing", choices=("editor", "raw"), default="editor",
                        help="editor: brackets and quotes close as they open, as VS Code types by default; "
                             "raw: one character per change")
    parser.add_argument("--pause-ms", type=float, default=30.0, help="pause between keystrokes")
    parser.add_argument("--profile", metavar="FILE", help="run the server under cProfile, stats to FILE")
    args = parser.parse_args()

    tmp = None
    if args.dir:
        root = Path(args.dir).resolve()
    else:
        from synthetic import generate

        tmp = tempfile.TemporaryDirectory(prefix="perfaudit-bench-")
        t = time.perf_counter()
        root = Path(generate(tmp.name, args.files, args.mb)).resolve()
        print(f"workspace: generated in {time.perf_counter() - t:.1f} s")
    big = root / BIG_FILE
    big.parent.mkdir(parents=True, exist_ok=True)
    if not (root / "src/lib/prisma.ts").exists():
        (root / "src/lib").mkdir(parents=True, exist_ok=True)
        (root / "src/lib/prisma.ts").write_text("import { PrismaClient } from '@prisma/client';\nexport const prisma = new PrismaClient();\n")
    text = typical_service() if args.shape == "typical" else big_service()
    big.write_text(text, encoding="utf-8")
    sources = [p for p in root.rglob("*") if p.suffix in {".ts", ".tsx", ".js"} and "node_modules" not in p.parts]
    size = sum(p.stat().st_size for p in sources)
    print(f"workspace: {len(sources):,} source files, {size / 1e6:.1f} MB; open file: {text.count(chr(10)):,} lines")

    profile = ["-m", "cProfile", "-o", os.path.abspath(args.profile)] if args.profile else []
    client = Client([sys.executable, *profile, "-m", "perfaudit.server.lsp"], str(root))
    uri = big.as_uri()
    client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": CAPABILITIES,
                                  "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]})
    client.notify("initialized", {})
    scan_start = time.perf_counter()
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "typescript", "version": 1, "text": text}})
    first = client.wait_published(uri, 1, 30)
    first_ms = (first - scan_start) * 1000 if first else float("nan")
    print(f"first diagnostics after didOpen: {first_ms:.0f} ms (scan still running: {not client.progress_ended})")

    with client.cond:
        client.cond.wait_for(lambda: client.progress_ended, 900)
    print(f"workspace scan: {time.perf_counter() - scan_start:.1f} s; server RSS after scan: {client.rss_mb():.0f} MB")

    # Open a line in the middle of the class (Enter), then type a query on
    # it, one didChange per keystroke.
    lines = text.split("\n")
    line = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith(("  async listPage", "  async listOrders"))) + 2
    latencies: list[float] = []
    version = 1
    typed = [(0, "\n"), *keystrokes(TYPED.rstrip("\n"), auto_close=args.typing == "editor")][: args.keys]
    for col, inserted in typed:
        version += 1
        at = {"line": line, "character": col}
        change = {"range": {"start": at, "end": at}, "text": inserted}
        sent = time.perf_counter()
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
        got = client.wait_published(uri, version, 5)
        if got is not None:
            latencies.append((got - sent) * 1000)
        time.sleep(args.pause_ms / 1000)
    if latencies:
        print(
            f"didChange -> publishDiagnostics over {len(latencies)} keystrokes: "
            f"p50 {percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
            f"p99 {percentile(latencies, 99):.1f} ms, max {max(latencies):.1f} ms "
            f"(keystroke {latencies.index(max(latencies)) + 1}); over 25 ms: {sum(t > 25 for t in latencies)}"
        )
    print(f"server RSS at the end: {client.rss_mb():.0f} MB")
    client.request("shutdown", None, 10)
    client.notify("exit", None)
    try:
        client.proc.wait(10)
    except subprocess.TimeoutExpired:
        client.proc.kill()
    err = client.proc.stderr.read().decode("utf-8", "replace").strip()
    if err:
        print("server stderr:\n" + err[-2000:])
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
