"""One validation pass: a config with three problems of different kinds (an unknown
condition, an unknown accountable role, a misspelt layer in an override) gets all three in
one run, each on its own line number, from `validate` and from `build` alike."""

from __future__ import annotations

import re
import shutil

import pytest
from conftest import SAMPLE_CONFIG, SAMPLE_INVENTORY
from packhelpers import run

MISTAKES = {  # sample text -> (text with the mistake, what the message says, the bad word)
    "      multi-tenant-service-provider: false\n": (
        "      multi-tenant-service-provider: false\n      multi-tenant-cloud: true\n",
        "framework_options.pci-dss.conditions.multi-tenant-cloud: unknown condition",
        "multi-tenant-cloud",
    ),
    "  accountable: Security\n": (
        "  accountable: Securty\n",
        "raci.accountable: 'Securty' is not one of the roles",
        "Securty",
    ),
    "  - service: ec2\n    layer: operating-system\n": (
        "  - service: ec2\n    layer: operating-sytem\n",
        "overrides[0].layer: unknown layer 'operating-sytem'",
        "operating-sytem",
    ),
}


@pytest.mark.parametrize("command", ["validate", "build"])
def test_three_problems_of_three_kinds_in_one_run(tmp_path, command):
    text = SAMPLE_CONFIG.read_text()
    for sample, (wrong, _said, _word) in MISTAKES.items():
        assert text.count(sample) == 1
        text = text.replace(sample, wrong)
    lines = text.splitlines()
    config = tmp_path / "reportgen.yaml"
    config.write_text(text.replace("dir: ../output/harbourline", "dir: out"))
    shutil.copy(SAMPLE_INVENTORY, tmp_path / "inventory.xlsx")
    printed = run(command, "--config", "reportgen.yaml", cwd=tmp_path, check=2, pdf=False).stderr
    assert "config is not valid (3 problems)" in printed, printed
    for _wrong, said, word in MISTAKES.values():
        reported = [line for line in printed.splitlines() if said in line]
        assert len(reported) == 1, (said, printed)
        number = int(re.search(r"line (\d+):", reported[0]).group(1))
        assert word in lines[number - 1], (number, lines[number - 1])  # the line it names
    assert not (tmp_path / "out").exists()  # nothing written
