"""Command line: python -m nnexplore train | data.

Every RunConfig field is a `train` flag (generated from the settings table).
Bad flags or values print one line and exit with code 2, never a traceback.
Torch is imported only inside a command, so ``--help`` answers at once. The
benchmarks and the load test are developer tools: ``python -m devtools.bench``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from nnexplore.config import FIELDS, RunConfig, _check, allowed_text, parse_value, with_recipe
from nnexplore.problems import RECIPES, REGRESSION, is_regression


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _field_type(f):
    def convert(text: str) -> Any:
        try:
            return _check(f, parse_value(f, text))
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    convert.__name__ = f.name
    return convert


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m nnexplore", description="Watch neural networks learn.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = commands.add_parser("train", help="train one configuration and print its records")
    for f in FIELDS:
        train.add_argument(
            "--" + f.name.replace("_", "-"),
            dest=f.name,
            type=_field_type(f),
            default=argparse.SUPPRESS,
            metavar=f.name.upper(),
            # argparse formats help with %, so a literal "80%" must be written "80%%".
            help=f"{f.metadata['help']} ({allowed_text(f)}; default {f.default!r}{_recipe_note(f.name)})".replace(
                "%", "%%"
            ),
        )
    train.add_argument(
        "--jsonl", metavar="PATH", help="write one JSON record per line to PATH ('-' for stdout)"
    )

    data = commands.add_parser("data", help="download and verify a dataset into the cache")
    data.add_argument("name", choices=["mnist"])
    data.add_argument("--test-only", action="store_true", help="only the 10,000 test images")

    return parser


def _recipe_note(name: str) -> str:
    """What a flag's default becomes for a regression (config.with_recipe), or ''."""
    recipe = dict(zip(("output_activation", "loss"), RECIPES[REGRESSION], strict=True))
    return f", {recipe[name]!r} for a regression" if name in recipe else ""


#: The columns a run prints, by whether it is a regression: (their two titles, the record fields
#: they show, whether those are shares printed as percentages). A classification's accuracies, or a
#: regression's error and R².
COLUMNS = {
    False: ("train acc", "test acc", "train_acc", "test_acc", True),
    True: ("test mse", "test R²", "test_mse", "test_r2", False),
}


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.1%}" if pct else f"{value:.4g}"


def run_train(args: argparse.Namespace) -> int:
    from nnexplore.training import train

    settings = {f.name: getattr(args, f.name) for f in FIELDS if hasattr(args, f.name)}
    cfg = RunConfig(**with_recipe(settings))  # a regression without --loss: raw outputs, squared error
    first, second, first_key, second_key, pct = COLUMNS[is_regression(cfg.dataset)]
    out = None
    if args.jsonl:
        out = sys.stdout if args.jsonl == "-" else open(args.jsonl, "w", encoding="utf-8")
    else:
        print(f"{'step':>7} {'epoch':>6} {'loss':>9} {first:>9} {second:>8} {'outside':>8}  status")
    try:
        for record in train(cfg):
            if out is not None:
                out.write(json.dumps(record) + "\n")
                out.flush()
                continue
            outside = (record["out_below"] + record["out_above"]) / max(1, record["out_total"])
            print(
                f"{record['step']:>7} {record['epoch']:>6.2f} {_fmt(record['loss']):>9} "
                f"{_fmt(record[first_key], pct):>9} {_fmt(record[second_key], pct):>8} "
                f"{outside:>8.1%}  {record['status']}"
            )
        if record["reason"]:
            print(record["reason"], file=sys.stderr)
    finally:
        if out is not None and out is not sys.stdout:
            out.close()
    return 0


def run_data(args: argparse.Namespace) -> int:
    from nnexplore.data.mnist import ALL_FILES, TEST_FILES, fetch_mnist

    def progress(fraction: float, message: str) -> None:
        bar = "#" * int(fraction * 30)
        print(f"\r[{bar:<30}] {fraction:6.1%} {message[:40]:<40}", end="", file=sys.stderr, flush=True)

    files = TEST_FILES if args.test_only else ALL_FILES
    paths = fetch_mnist(files=files, progress=progress)
    print(file=sys.stderr)
    for name, path in paths.items():
        print(f"{name}: verified, {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return run_train(args)
        return run_data(args)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as err:  # user-facing: one line, no traceback
        from nnexplore.data import MnistUnavailable

        if isinstance(err, (ValueError, MnistUnavailable)):
            print(f"python -m nnexplore: error: {err}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
