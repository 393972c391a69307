"""The verifiable lottery: the kit reproduces the draw from itself alone, any altered
part makes it fail, and each step can be redone with sha256sum and openssl."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess

import pytest

from participation.meetings import lottery

SECRET = "5f" * 32
PUBLIC = "中国福利彩票双色球 2027025期 03 07 12 19 25 31 + 09"
ELIGIBLE = {"citizen": (2, ["K7Q2M9", "P3X8R4", "A9B2C7", "Z4Y6W1", "M2N5Q8"]),
            "enterprise": (1, ["E5T7Y2", "H8J3K6"])}


def _flip(text: str) -> str:
    """The same hex text with its first digit changed."""
    return ("1" if text[0] == "0" else "0") + text[1:]


def _kit() -> dict:
    seed = lottery.seed(SECRET, PUBLIC, "17")
    results = lottery.draw(seed, ELIGIBLE)
    return json.loads(json.dumps(lottery.verification_kit(
        meeting="17", secret_hex=SECRET, commitment_hex=lottery.commitment(SECRET),
        public_value_source="中国福利彩票双色球第2027025期开奖号码（2027-03-05）",
        public_value=PUBLIC, categories=ELIGIBLE, results=results)))


def test_the_draw_selects_the_quota_and_orders_everyone_else_as_reserve():
    result = lottery.draw(lottery.seed(SECRET, PUBLIC, "17"), ELIGIBLE)
    citizens = result["citizen"]
    assert len(citizens.selected) == 2
    assert sorted(citizens.selected + citizens.reserve) == sorted(ELIGIBLE["citizen"][1])
    assert len(result["enterprise"].selected) == 1


def test_the_outcome_depends_on_the_public_value_and_on_the_secret():
    outcomes = {
        tuple(lottery.draw(lottery.seed(secret, value, "17"), ELIGIBLE)["citizen"].selected
              + lottery.draw(lottery.seed(secret, value, "17"), ELIGIBLE)["citizen"].reserve)
        for secret in (SECRET, "a0" * 32, "17" * 32) for value in (PUBLIC, PUBLIC + "0", "x")}
    assert len(outcomes) > 1


def test_the_kit_verifies():
    verification = lottery.verify_kit(_kit())
    assert verification.problems == []
    assert verification.ok


@pytest.mark.parametrize("alter", [
    lambda kit: kit.update(secret=_flip(kit["secret"])),
    lambda kit: kit.update(commitment=_flip(kit["commitment"])),
    lambda kit: kit["public_random_value"].update(value=PUBLIC.replace("09", "10")),
    lambda kit: kit.update(meeting="18"),
    lambda kit: kit["categories"][0]["eligible"].append("Q1W2E3"),
    lambda kit: kit["categories"][0]["eligible"].pop(),
    lambda kit: kit["categories"][0].update(quota=3),
    lambda kit: kit["result"]["citizen"]["selected"].reverse(),
    lambda kit: kit["result"]["citizen"]["reserve"].reverse(),
    lambda kit: kit["result"]["enterprise"].update(
        selected=kit["result"]["enterprise"]["reserve"],
        reserve=kit["result"]["enterprise"]["selected"]),
    lambda kit: kit.update(version=2),
    lambda kit: kit.pop("secret"),
])
def test_any_altered_part_fails_the_verification(alter):
    kit = _kit()
    altered = copy.deepcopy(kit)
    alter(altered)
    assert altered != kit
    assert not lottery.verify_kit(altered).ok


def test_a_commitment_is_the_sha256_of_the_secret_bytes():
    assert lottery.commitment(SECRET) == hashlib.sha256(bytes.fromhex(SECRET)).hexdigest()
    assert len(lottery.new_secret()) == 64
    assert lottery.new_secret() != lottery.new_secret()


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_the_written_procedure_reproduces_the_seed_and_scores_with_openssl():
    def hmac_hex(key_option: str, message: bytes) -> str:
        out = subprocess.run(["openssl", "dgst", "-sha256", "-mac", "HMAC", "-macopt",
                              key_option], input=message, capture_output=True, check=True)
        return out.stdout.decode().split()[-1]

    prk = hmac_hex(f"key:{PUBLIC}", bytes.fromhex(SECRET))
    seed = hmac_hex(f"hexkey:{prk}", b"participation-lottery-v1:17\x01")
    assert seed == lottery.seed(SECRET, PUBLIC, "17").hex()
    assert hmac_hex(f"hexkey:{seed}", b"citizen:K7Q2M9") == lottery.score(
        bytes.fromhex(seed), "citizen", "K7Q2M9")
    assert "openssl dgst -sha256 -mac HMAC" in lottery.PROCEDURE


def test_the_command_says_whether_the_kit_verifies(runner, tmp_path):
    path = tmp_path / "kit.json"
    path.write_text(json.dumps(_kit(), ensure_ascii=False), encoding="utf-8")
    good = runner.invoke(args=["meetings", "verify-draw", str(path)])
    assert good.exit_code == 0, good.output
    assert "The kit verifies" in good.output
    kit = _kit()
    kit["result"]["citizen"]["selected"].reverse()
    path.write_text(json.dumps(kit, ensure_ascii=False), encoding="utf-8")
    bad = runner.invoke(args=["meetings", "verify-draw", str(path)])
    assert bad.exit_code == 1
    assert "MISMATCH: citizen" in bad.output
    path.write_text("not json", encoding="utf-8")
    broken = runner.invoke(args=["meetings", "verify-draw", str(path)])
    assert broken.exit_code == 1
    assert "not a JSON verification kit" in broken.output
