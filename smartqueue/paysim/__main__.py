"""`python -m smartqueue.paysim --port 8765 [--setting NAME=VALUE ...]`: the simulator
as a process of its own (the tests start it so)."""

import argparse

from werkzeug.serving import run_simple

from . import create_simulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--setting", action="append", default=[])
    args = parser.parse_args()
    settings = dict(item.split("=", 1) for item in args.setting)
    run_simple("127.0.0.1", args.port, create_simulator(settings), threaded=True)


if __name__ == "__main__":
    main()
