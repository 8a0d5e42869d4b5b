"""`perfaudit serve`: the language server as a subcommand of the command line."""

from __future__ import annotations

import argparse

from perfaudit.server.commands import EXIT_OK, Command, UsageError


def _serve_arguments(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    group.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port (for debugging)")


def _run_serve(args: argparse.Namespace) -> int:
    tcp = None
    if args.tcp:
        host, sep, port = args.tcp.rpartition(":")
        if not sep or not port.isdigit():
            raise UsageError(f"--tcp: expected HOST:PORT, got '{args.tcp}'")
        tcp = (host or "127.0.0.1", int(port))
    from perfaudit.server.lsp.server import run_server

    run_server(tcp=tcp)
    return EXIT_OK


SERVE = Command("serve", "run the language server", _serve_arguments, _run_serve)
