# SPDX-License-Identifier: MIT
"""tools/kairos-soak, briefly: the storm runs on both VMs, the first VM is
checkpointed and restored along the way, and the summary counts what was
armed and finds nothing lost, doubled or spurious (make soak runs it for
an hour)."""
import os
import re
import subprocess

from kairos_qemu import ROOT


def test_short_soak_reports_clean_storm(tmp_path):
    p = subprocess.run([os.path.join(ROOT, "tools", "kairos-soak"),
                        "--minutes", "0.25", "--ckpt-every", "2",
                        "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    m = re.search(r"(\d+) checkpoints and (\d+) restores of VM a", out)
    assert m and int(m.group(1)) >= 1 and m.group(1) == m.group(2), out
    for vm in ("a", "b"):
        m = re.search(rf"soak: VM {vm}: rounds (\d+) \+ (\d+), armings "
                      rf"(\d+), spurious acknowledges 0", out)
        assert m, out
        assert int(m.group(1)) > 0 and int(m.group(2)) > 0, out
        assert int(m.group(3)) >= int(m.group(1)), out
    assert ("soak: lost 0, duplicate 0, spurious 0, early or bogus 0, "
            "counter 0, other 0") in out, out
