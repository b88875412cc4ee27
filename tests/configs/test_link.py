"""kiln-gen links jansson; no site binary does."""
import subprocess

from conftest import env_path


def needed(binary):
    out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True,
                         check=True).stdout
    return [line.split("[")[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


def test_kiln_gen_links_jansson(kiln_gen):
    assert any(lib.startswith("libjansson") for lib in needed(kiln_gen))


def test_sites_do_not_link_jansson():
    sites = env_path("KILN_BUILD_DIR")
    names = [n for n in __import__("os").environ["KILN_VALID_SITES"].split(";") if n]
    assert names
    for name in names:
        libs = needed(sites / name / "kiln")
        assert libs, name
        assert not any("jansson" in lib for lib in libs), (name, libs)
