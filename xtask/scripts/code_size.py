"""The largest non-test source files and the longest functions of the workspace.

Run: python3 xtask/scripts/code_size.py [REV]   (REV: a git revision; default the working tree)
A function is counted from its `fn` line to its closing brace; `#[cfg(test)]` modules, files
under tests/ and benches/, and generated tables are left out.
"""
import re
import subprocess
import sys

rev = sys.argv[1] if len(sys.argv) > 1 else None
if rev:
    files = subprocess.check_output(["git", "ls-tree", "-r", "--name-only", rev], text=True).split()
else:
    files = subprocess.check_output(["git", "ls-files", "--cached", "--others", "--exclude-standard"], text=True).split()
files = [f for f in files if f.endswith(".rs") and "/tests/" not in f and "/benches/" not in f
         and not f.startswith("crates/fuzz/") and not f.endswith("in_prefixes.rs") and not f.endswith("/tests.rs")]


def read(f):
    if rev:
        return subprocess.check_output(["git", "show", f"{rev}:{f}"], text=True)
    return open(f).read()


sizes, fns = [], []
for f in files:
    text = read(f)
    # Drop the test module at the end of a file.
    cut = text.find("#[cfg(test)]\nmod tests")
    if cut != -1:
        text = text[:cut]
    lines = text.split("\n")
    sizes.append((len(lines), f))
    for i, line in enumerate(lines):
        m = re.match(r"\s*(pub(\([a-z]+\))? )?(async )?fn (\w+)", line)
        if not m:
            continue
        depth, started = 0, False
        for j in range(i, len(lines)):
            code = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j].split("//")[0])
            depth += code.count("{") - code.count("}")
            if "{" in code:
                started = True
            if started and depth <= 0:
                fns.append((j - i + 1, f"{f}:{i + 1} {m.group(4)}"))
                break
            if not started and code.rstrip().endswith(";"):
                break
sizes.sort(reverse=True)
fns.sort(reverse=True)
print("largest files:")
for n, f in sizes[:5]:
    print(f"  {n:5} {f}")
print("longest functions:")
for n, f in fns[:5]:
    print(f"  {n:5} {f}")
