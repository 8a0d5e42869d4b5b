"""`python -m perfaudit.server.lsp [--tcp HOST:PORT]`"""

import argparse

from perfaudit.server.lsp.server import run_server


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m perfaudit.server.lsp")
    parser.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (for debugging)")
    run_server(tcp=parser.parse_args().tcp)


if __name__ == "__main__":
    main()
