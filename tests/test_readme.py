"""The README's quick start runs as printed (the issue: "the README's commands work as typed")."""

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_quick_start_code_runs_as_printed(capsys):
    """Executes the first Python block of the README; it must simulate and print a positive rate,
    synaptic events and plasticity updates."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python block"
    namespace: dict = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)  # noqa: S102 - our own README
    result = namespace["result"]
    assert result.counts.mean_rate_hz("exc") > 0
    assert sum(result.counts.synaptic_events.values()) > 0
    assert sum(result.counts.plasticity_updates.values()) > 0
    assert capsys.readouterr().out.strip()
