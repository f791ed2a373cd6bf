"""Inbound mail parsing throughput over the .eml corpus in tests/mail/fixtures.

Parses every fixture ROUNDS times (refused ones too: quarantining is work as well) and
prints one JSON object to stdout. `python bench/bench_mail_parse.py 50` sets the rounds.
"""

import argparse
import contextlib
import json
import time
from pathlib import Path

from escalade.mail.parsing import UnparseableMail, parse_message

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "mail" / "fixtures"
ROUNDS = 20


def parse_all(mails: list[bytes]) -> None:
    for raw in mails:
        with contextlib.suppress(UnparseableMail):  # refusing is work too
            parse_message(raw)


def main(rounds: int) -> None:
    mails = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
    parse_all(mails)  # warm up imports and caches
    started = time.perf_counter()
    for _ in range(rounds):
        parse_all(mails)
    elapsed = time.perf_counter() - started
    result = {
        "mail_parsed_per_s": round(rounds * len(mails) / elapsed),
        "mail_corpus_files": len(mails),
        "mail_corpus_mean_bytes": round(sum(map(len, mails)) / len(mails)),
        "mail_rounds": rounds,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "rounds", nargs="?", type=int, default=ROUNDS, help="passes over the corpus"
    )
    main(parser.parse_args().rounds)
