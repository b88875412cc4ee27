"""The same config and toolchain give a byte-identical binary, whatever the
paths of the source and build trees."""
import os
import shutil
import subprocess

from conftest import HERE, env_path

CONFIG = "tests/configs/valid/full.json"


def copy_tree(src, dst):
    # The work tree as it is (uncommitted files included), without build
    # directories or git metadata.
    def ignore(directory, names):
        top = os.path.samefile(directory, src)
        return [n for n in names if n == ".git" or (top and n.startswith("build"))
                or n == "__pycache__"]
    shutil.copytree(src, dst, ignore=ignore, symlinks=True)


def build(tree, build_dir):
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    subprocess.run(["cmake", "-S", str(tree), "-B", str(build_dir), "-DKILN_TESTS=OFF",
                    f"-DKILN_CONFIG={tree / CONFIG}"], check=True, env=env,
                   capture_output=True)
    subprocess.run(["cmake", "--build", str(build_dir), "--target", "site_full", "-j2"],
                   check=True, env=env, capture_output=True)
    return (build_dir / "full" / "kiln").read_bytes()


def test_two_trees_same_binary(tmp_path):
    source = env_path("KILN_SOURCE_DIR")
    trees = [tmp_path / "one" / "kiln", tmp_path / "second-tree" / "src"]
    # Copy once from the work tree, then copy the copy: other people edit
    # the work tree while this runs, and both builds must see one snapshot.
    copy_tree(source, trees[0])
    copy_tree(trees[0], trees[1])
    binaries = [build(tree, tmp_path / f"build-{i}-{'x' * i}")
                for i, tree in enumerate(trees)]
    assert binaries[0] == binaries[1], "site binaries differ between trees"
