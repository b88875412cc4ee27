"""README.md holds the key reference exactly as kiln-gen --doc prints it."""
from conftest import env_path, run_gen


def test_readme_has_reference(kiln_gen):
    doc = run_gen(kiln_gen, "--doc")
    assert doc.returncode == 0
    readme = (env_path("KILN_SOURCE_DIR") / "README.md").read_text()
    assert doc.stdout in readme, "README.md is stale: paste `kiln-gen --doc` into it"
