"""A snapshot's cells masked of every key and token the pull signed with (cellmask.py)."""

from __future__ import annotations

import random
import string

import pytest

from reportgen.inventory.pull.cellmask import CellMask
from reportgen.inventory.pull.secrets import RENEWALS_KEPT, Secrets


def test_a_token_renewed_long_before_the_end_is_masked_in_a_cell():
    """Pass 71c F1: credentials renewed before every page, an endpoint then echoing the
    session tokens of pages 1 and 2 as tag values on page 12: both were written in the
    snapshot, as the renewals past the latest 8 were left out of the cells' masking."""
    known = Secrets(["lasting-secret-key-0001"])
    tokens = [f"FakeSessTok{n:08d}RenewedBatchZZZZ" for n in range(RENEWALS_KEPT + 7)]
    for n, token in enumerate(tokens):
        known.add(f"ASIAFAKE{n:012d}", f"secret/{n:033d}", token, renewed=True)
    mask = known.cell_mask()
    for token in tokens:
        assert mask(f"echo {token} end") == "echo *** end"
    assert mask("tag lasting-secret-key-0001") == "tag ***"
    assert mask("FakeSessTok0000") == "FakeSessTok0000"  # a piece of one is no secret


@pytest.mark.parametrize("seed", range(20))
def test_an_older_secret_is_masked_wherever_it_starts(seed):
    """The older renewals are found through 8-character pieces looked up at every 8th
    character: one of 15 characters or more, at any offset, twice, beside another or
    overlapping it, is masked."""
    rng = random.Random(seed)
    letters = string.ascii_letters + string.digits + "/+="
    older = ["".join(rng.choices(letters, k=rng.randint(8, 60))) for _ in range(30)]
    mask = CellMask(["latest-token-value"], older)
    for _ in range(50):
        chosen = rng.sample(older, rng.randint(1, 3))
        parts = ["".join(rng.choices(" -:,.", k=rng.randint(0, 20))) for _ in range(4)]
        cell = parts[0] + parts[1].join(chosen) + parts[2] + "latest-token-value" + parts[3]
        masked = mask(cell)
        assert not any(secret in masked for secret in older), (cell, masked)
        assert "latest-token-value" not in masked
        assert masked.startswith(parts[0]) and masked.endswith(parts[3])


def test_overlapping_older_secrets_give_one_mask():
    first, second = "ABCDEFGHIJKLMNOPQRST", "KLMNOPQRSTUVWXYZ0123"
    mask = CellMask([], [first, second])
    assert mask("x ABCDEFGHIJKLMNOPQRSTUVWXYZ0123 y") == "x *** y"
    assert mask("short") == "short"
    assert not CellMask([], ["short"])  # under 8 characters: nothing to mask


def test_renewed_batches_are_kept_in_every_form_within_a_size_bound(monkeypatch):
    """Pass 71d F1: container credentials of 60 KB (within every bound of an answer),
    renewed before each request: the 8 batches kept in every form took 1.46 GB. Now
    the latest within 64 KB of secrets; each older one is still masked as it is written."""
    import gc
    import weakref

    from reportgen.inventory.pull import secrets

    made: list[weakref.ref] = []

    class Counted(secrets.Redactor):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(secrets, "Redactor", Counted)
    rng = random.Random(7)
    batches = [
        ["".join(rng.choices(string.ascii_letters, k=17_000)) for _ in range(2)] for _ in range(3)
    ]
    known = Secrets()
    for batch in batches:
        known.add(*batch, renewed=True)
    gc.collect()
    assert sum(ref() is not None for ref in made) == 1  # 34 KB each: the latest only
    for batch in batches:
        assert known(f"echo {batch[0]} and {batch[1]}") == "echo *** and ***"


def test_overlapping_secrets_are_masked_whole_in_a_cell():
    """Pass 72c C1/C2: a secret key followed by a session token that starts with its last 8
    characters, and an old renewal's token overlapped by a newer one: the one masked first
    cut the other, no longer found whole, and 44 of a token's 52 characters were written."""
    secret = "secretKEYaaaaaaaaaaaaaaaaaaaaaaaaaaaOVERLAP1"
    token = "OVERLAP1tokenTAILbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbZZ"
    old = "HEADHEAD0123456789abcdef0123456789abcdHEADHEAD"
    newer = "HEADHEAD" + "fedcba9876543210fedcba9876543210fedc" + "HEADHEAD"
    mask = CellMask([secret, token, newer], [old])
    assert mask(secret + token[8:]) == "***"
    assert mask(f"a {old}{newer[8:]} b") == "a *** b"
    assert mask(f"a {newer}{old[8:]} b") == "a *** b"


def test_overlapping_old_renewals_are_masked_whole_in_a_message():
    """Pass 72c C3: two tokens renewed past the latest batches, one overlapping the other,
    in a refusal: replaced one after another, the second was cut by the first and 35 of
    its 36 random characters were printed (as the set's order fell)."""
    known = Secrets()
    rng = random.Random(3)
    tokens = [
        "HEADHEAD" + "".join(rng.choices("0123456789abcdef", k=36)) + "HEADHEAD"
        for _ in range(RENEWALS_KEPT + 4)
    ]
    for n, token in enumerate(tokens):
        known.add(f"sk{n:038d}", token, renewed=True)
    for first, second in ((tokens[0], tokens[1]), (tokens[1], tokens[0])):
        said = known(f"echo {first}{second[8:]} end")
        shown = [t[8:-8][at : at + 8] for t in (first, second) for at in range(29)]
        assert said.startswith("echo ***") and not any(p in said for p in shown), said


def test_tokens_sharing_their_start_are_told_apart_by_the_index():
    """Pass 72d D2: AWS's session tokens share their first 55 characters; indexed by their
    first pieces, every older token was compared at each place of a cell repeating one of
    them (2.5 s a 32 KB cell against 4,000 tokens): a pull's masking grew with renewals
    times cells. Each token's pieces are now ones the others do not share."""
    rng = random.Random(11)
    prefix = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ"
    suffix = "AAAAbbbbCCCCddddEEEEffffGGGGhhhhIIIIjjjjKKKKllll"  # 73d: their ends shared too
    body = string.ascii_letters
    tokens = [prefix + "".join(rng.choices(body, k=600)) + suffix for _ in range(2000)]
    mask = CellMask([], tokens)
    assert mask.most_compared == 1
    for cell in ("IQoJb3Jp" * 4000, suffix * 600):
        assert mask(cell) == cell
    for token in rng.sample(tokens, 20):
        shift = "x" * rng.randint(0, 9)
        assert mask(f"{shift}{token}|{prefix}{suffix}") == f"{shift}***|{prefix}{suffix}"


@pytest.mark.parametrize(("count", "size"), [(20, 60_000), (3_000, 600)])
def test_the_index_of_older_renewals_takes_memory_of_its_own_bounded(count, size):
    """Pass 74d D1: the index counted every 8-character piece of every older renewal: 200
    renewals of 60 KB tokens took 1.4 GB to index. 75d D3: it then held 256 offsets of
    each, some 9 KB a secret: 64,000 of 600 characters, 506 MB."""
    import tracemalloc

    rng = random.Random(2)
    older = ["".join(rng.choices(string.ascii_letters, k=size)) for _ in range(count)]
    tracemalloc.start()
    try:
        mask = CellMask([], older)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak:,} bytes"
    assert mask.most_compared == 1
    assert mask(f"x{older[3]}y") == "x***y" and mask(older[4][:-1]) == older[4][:-1]


def test_tokens_alike_but_for_their_ends_are_each_indexed_by_a_piece_of_their_own():
    """Pass 74d D2: 3,844 tokens of 800 characters differing only in their first two and
    last two: indexed by a piece for each of 8 offsets, most were shared, and a 32 KB cell
    was compared with thousands of tokens at each place (3 s)."""
    rng = random.Random(4)
    middle = "".join(rng.choices(string.ascii_letters, k=796))
    ends = string.ascii_letters[:40]
    tokens = [a + b + middle + rng.choice(ends) + rng.choice(ends) for a in ends for b in ends]
    mask = CellMask([], tokens)
    assert mask.most_compared == 1
    cell = (middle * 40)[:32_000]
    assert mask(cell) == cell
    for token in rng.sample(tokens, 20):
        assert mask(f"{middle[:50]} {token}{token[:5]}") == f"{middle[:50]} ***{token[:5]}"


def test_short_older_renewals_are_indexed_not_alternated():
    """Pass 74d D3: older renewals of 8 to 14 characters each went into the alternation,
    searched branch by branch: 1.5 s a 32 KB cell against 8,000 of them."""
    rng = random.Random(6)
    older = {"".join(rng.choices(string.ascii_letters, k=rng.randint(8, 14))) for _ in range(8000)}
    mask = CellMask(["latest-secret-1"], older)
    assert mask.alternated == 1 and mask.most_compared <= 2
    for value in rng.sample(sorted(older), 50):
        assert mask(f"-{value}-latest-secret-1") == "-***-***"


@pytest.mark.parametrize("family", ["bits", "runs", "undivided"])
def test_secrets_a_server_made_alike_are_told_apart_and_masked_whole(family):
    """Secrets sharing their rarest piece with many others (a server's, never AWS's
    random keys: bit by bit, 60,000 of them share each piece by halves) are told apart
    where they differ, so a place of a cell is compared with at most 16 of them; ones
    alike at every offset weighed are searched for whole, once for a cell."""
    rng = random.Random(8)
    if family == "bits":
        parts = ["".join(rng.choices(string.ascii_letters, k=9)) for _ in range(9)]
        older = ["".join("xy"[n >> i & 1] + parts[i] for i in range(8)) for n in range(256)]
    elif family == "runs":
        older = ["q" * size for size in range(15, 300)]
    else:  # differing only at a place no weighed piece covers
        older = ["P" * 72 + letter + "Q" * 3927 for letter in string.ascii_letters[:40]]
    mask = CellMask([], older)
    assert mask.most_compared <= 16 or family == "undivided"
    for _ in range(30):
        chosen = rng.sample(older, 3)
        cell = "-".join(chosen) + "-" + chosen[0][:-1]
        masked = mask(cell)
        assert masked.startswith("***-***-***-") and not any(s in masked for s in chosen), masked
        if family != "runs":
            assert masked == "***-***-***-" + chosen[0][:-1]


@pytest.mark.parametrize("family", ["two-letters", "one-letter-off", "long-alike"])
def test_a_place_of_a_cell_is_compared_with_few_secrets_made_alike(family):
    """Pass 75d D1: 60,000 keys of the letters a and b, each searched for whole in a cell
    of those letters, 8 s a cell; D2: 16 secrets of 16,000 characters alike but for one,
    compared character by character at each place, 2 s. Long ones are now compared by a
    hash of the cell's stretch, and alike ones told apart where they differ."""
    rng = random.Random(9)
    if family == "two-letters":
        older = {"".join(rng.choices("ab", k=24)) for _ in range(6000)}
        cell = "".join(rng.choices("ab", k=2000))
    elif family == "one-letter-off":
        older = {"a" * i + "b" + "a" * (999 - i) for i in range(1000)}
        cell = "a" * 2000
    else:
        older = {"a" * 15_980 + chr(0x100 + i) + "a" * 20 for i in range(16)}
        cell = "a" * 20_000
    mask = CellMask([], older)
    assert mask.most_compared <= (1 if family == "long-alike" else 16)  # one hash a size
    expected = cell if family != "two-letters" else None
    masked = mask(cell)
    assert expected is None or masked == expected
    for value in rng.sample(sorted(older), 5):
        assert mask(f"|{value}|") == "|***|"
        assert mask(f"|{value[:-1]}|") == f"|{value[:-1]}|" or family == "two-letters"


def test_a_cell_too_costly_to_look_through_is_masked_whole():
    """Pass 76d D1: secrets of one letter repeated at every length and ending in another
    made each place of a cell of that letter walk every one of them (27 s a 32 KB cell
    against 1,000). A cell's walks are held to a budget; one past it is masked whole."""
    older = ["a" * (size - 1) + "b" for size in range(65, 1065)]
    mask = CellMask([], older)
    assert mask("a" * 20_000) == "***" and mask.masked_whole == 1
    cell = "a" * 300 + "b" + "xy" * 5_000
    assert mask(cell) == "***" + "xy" * 5_000 and mask.masked_whole == 1


def test_a_stretch_with_a_secrets_hash_is_compared_with_it(monkeypatch):
    """Pass 76d D2: hashed in base 2**32 modulo 2**61 - 1, a position's weight came back
    every 61 characters, and a cell with two letters 61 apart swapped was masked as the
    secret. The modulus is now drawn for the run, and a hash found is checked."""
    from reportgen.inventory.pull import alike

    monkeypatch.setattr(alike, "_MODULUS", (1 << 61) - 1)  # the weak one, collisions and all
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYZq9vT2mLpA8sXc4NbR7yHu1JkW6eOi3GdF5tYh0U"
    swapped = list(secret)
    swapped[10], swapped[71] = swapped[71], swapped[10]
    swapped = "".join(swapped)
    assert alike.text_hash(swapped) == alike.text_hash(secret)
    mask = CellMask([], [secret])
    assert mask(f"<{swapped}>") == f"<{swapped}>" and mask(f"<{secret}>") == "<***>"


def test_the_latest_renewals_alternation_holds_a_few_short_secrets():
    """Pass 77d D1: 256 values learnt from the latest 8 renewals (32 an answer, within 64
    KB), each matching a long run of a letter before failing, went in the alternation, which
    no budget holds: 4 s a 32 KB cell of that letter. The alternation now holds 24 secrets of
    40 characters at most; the others are looked for through the index, within its budget."""
    known = Secrets()
    values = ["a" * size + "b" for size in range(120, 376)]
    for first in range(0, 256, 32):
        known.add(*values[first : first + 32], renewed=True)
    known.add("AKIASHORTKEY00000001", "shortSecretKey/0123456789abcdefghij", renewed=True)
    mask = known.cell_mask()
    assert mask.alternated <= 24
    assert mask("a" * 8000) == "***" and mask.masked_whole == 1  # past the budget: whole
    assert mask(f"x {values[40]} y") == "x *** y"
    assert mask("key AKIASHORTKEY00000001 shortSecretKey/0123456789abcdefghij") == "key *** ***"
