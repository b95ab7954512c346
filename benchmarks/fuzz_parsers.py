"""Coverage-guided fuzzing of tncost's text parsers with atheris (not part of the test suite).

Each input is split into a parser choice and text. A parser may return a
value or raise a :class:`tncost.errors.TncostError`. atheris reports any
other exception as a crash and saves the input to a file. Inputs that
take longer than ``-timeout`` seconds are reported as hangs.

Usage (``pip install atheris`` first)::

    python benchmarks/fuzz_parsers.py -max_total_time=600 -timeout=10 -rss_limit_mb=4096

The hypothesis tests in ``tests/test_fuzz.py`` cover the same parsers within
the normal test run.
"""

from __future__ import annotations

import sys


def main() -> None:
    import atheris

    with atheris.instrument_imports():
        from tncost.errors import TncostError
        from tncost.io import load_network, parse_einsum, parse_index_sizes, parse_spec
        from tncost.structures import parse_builtin
        from tncost.symbolic.regime import Regime
        from tncost.symbolic.sizes import parse_size, parse_size_assignments

    parsers = [
        lambda text: parse_size(text),
        lambda text: parse_size_assignments(text),
        lambda text: parse_index_sizes(text),
        lambda text: parse_einsum(*text.split("|", 1)) if "|" in text else parse_einsum(text, "a=2,b=3"),
        lambda text: parse_builtin(text),
        lambda text: Regime.parse(text),
        lambda text: parse_spec(text, source="fuzz.yaml"),
        lambda text: parse_spec(text, source="fuzz.json"),
        lambda text: load_network(text, "a=2,b=3,c=4"),
    ]

    def one_input(data: bytes) -> None:
        provider = atheris.FuzzedDataProvider(data)
        parser = parsers[provider.ConsumeIntInRange(0, len(parsers) - 1)]
        text = provider.ConsumeUnicodeNoSurrogates(4096)
        try:
            parser(text)
        except TncostError:
            pass

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
