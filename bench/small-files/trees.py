"""Deterministic trees of many small files for bench/small-files (see README.md there).

Each tree is made from a fixed seed, so every run (and every machine) sends the same bytes:
  tiny20k   20,000 files of 0.1-8 KB in 200 folders (about 80 MiB): the issue's source-tree case
  empty100k 100,000 files of 0-1 KB in 1,000 folders (about 49 MiB): node_modules-like
  mixed     5,000 files of 0.1-8 KB in 50 folders plus 3 large files (16, 48 and 96 MiB)
Content is pseudo-random (incompressible), so compression neither helps nor hurts any tool.
Run directly to make one tree: trees.py NAME DEST.
"""
import hashlib
import os
import random
import sys

KiB, MiB = 1024, 1024 * 1024

# name: (small files, folders, min bytes, max bytes, large file sizes)
TREES = {
    "tiny20k": (20_000, 200, 100, 8 * KiB, ()),
    "empty100k": (100_000, 1_000, 0, KiB, ()),
    "mixed": (5_000, 50, 100, 8 * KiB, (16 * MiB, 48 * MiB, 96 * MiB)),
}


def make(name, dest, seed=18):
    """Writes tree NAME under DEST/NAME; returns {relative path: sha256 hex} of every file."""
    count, folders, low, high, large = TREES[name]
    rng = random.Random(f"{seed}-{name}")
    root = os.path.join(dest, name)
    manifest = {}
    per_top = 10 if folders >= 10 else 1
    for i in range(count):
        folder = i % folders
        rel_dir = os.path.join(f"d{folder // per_top:03}", f"s{folder % per_top:02}")
        os.makedirs(os.path.join(root, rel_dir), exist_ok=True)
        rel = os.path.join(rel_dir, f"f{i:06}.bin")
        data = rng.randbytes(rng.randint(low, high))
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)
        manifest[rel] = hashlib.sha256(data).hexdigest()
    for j, size in enumerate(large):
        rel = f"large-{j}.bin"
        h = hashlib.sha256()
        with open(os.path.join(root, rel), "wb") as f:
            left = size
            while left:
                block = rng.randbytes(min(left, 4 * MiB))
                f.write(block)
                h.update(block)
                left -= len(block)
        manifest[rel] = h.hexdigest()
    return manifest


def tree_bytes(manifest_root):
    total = 0
    for dirpath, _dirs, files in os.walk(manifest_root):
        for name in files:
            total += os.path.getsize(os.path.join(dirpath, name))
    return total


def verify(root, manifest):
    """(ok, detail): every file of MANIFEST under ROOT with its hash, and no file more."""
    seen = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, root)
            want = manifest.get(rel)
            if want is None:
                return False, f"unexpected file {rel}"
            h = hashlib.sha256()
            with open(path, "rb") as f:
                while block := f.read(4 * MiB):
                    h.update(block)
            if h.hexdigest() != want:
                return False, f"hash mismatch {rel}"
            seen += 1
    if seen != len(manifest):
        return False, f"{seen} of {len(manifest)} files received"
    return True, f"{seen} files verified"


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in TREES:
        sys.exit(f"usage: trees.py {{{','.join(TREES)}}} DEST")
    m = make(sys.argv[1], sys.argv[2])
    print(f"{len(m)} files, {tree_bytes(os.path.join(sys.argv[2], sys.argv[1])) / MiB:.1f} MiB")
