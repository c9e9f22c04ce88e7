#!/usr/bin/python3
"""End-to-end test of bench/report on real `recur bench --json` output.

usage: test_bench_report.py RECUR_EXECUTABLE TMPDIR

Runs `recur bench --json --quick` on a tiny LSTM and GRU once per kernel table that
`recur info` lists, merges the files with bench/report and checks the markdown (a section per
table whose rows and numbers are the JSON's), the plots (valid PNG files, each one the report
links to, nothing else left in the folder), a bf16 run's own section, the tuned-vs-default speed-up and the CPU, ISA and
tune fields of newer files (on copies given those fields), and the errors (a file that is not
JSON, JSON that is not bench output, a missing file: exit 1, one line on stderr, no output).
Exit status 0 if every check passed, 1 if one failed (a missing python3-matplotlib fails:
tools/setup.sh installs it).
"""
import copy
import json
import os
import re
import struct
import subprocess
import sys
import zlib

REPORT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "report")
CELLS, SHAPE = "lstm,gru", "5,2,16,16"


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=240)


def report(out, *files):
    """Runs bench/report; returns the markdown's sections {heading: [lines]}."""
    r = run(REPORT, "-o", out, *files)
    assert r.returncode == 0, f"exit {r.returncode}: {r.stderr.strip()}"
    sections, lines = {}, []
    with open(os.path.join(out, "report.md"), encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("## "):
                lines = sections.setdefault(line[3:], [])
            else:
                lines.append(line)
    return sections


def table(lines):
    """A section's table as a list of {column: text}."""
    rows = [[c.strip() for c in line.strip("|").split("|")] for line in lines
            if line.startswith("| ")]
    assert rows, "no table"
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def close(text, want, digits):
    """text is want printed to `digits` significant digits (to -digits decimals if < 0)."""
    got = float(text)
    tol = 0.55 * 10 ** digits if digits < 0 else abs(want) * 0.6 * 10 ** (1 - digits)
    assert abs(got - want) <= tol, f"{text} is not {want}"


def says(text, *words):
    for w in words:
        assert w in text, f"{text!r} does not say {w!r}"


def check_section(sections, heading, results, speedup=None):
    """The section's table has exactly the rows of `results` (JSON rows), numbers included."""
    assert heading in sections, f"no section {heading!r} in {list(sections)}"
    rows = table(sections[heading])
    assert len(rows) == len(results), f"{len(rows)} rows, expected {len(results)}"
    for got, want in zip(rows, results):
        shape = [str(want[k]) for k in "TBIH"] + [str(want["P"] or "-"), str(want["threads"])]
        assert [got[k] for k in ("cell", "T", "B", "I", "H", "P", "threads")] == \
            [want["cell"]] + shape, f"row {got} is not {want['cell']} {shape}"
        close(got["median ms"], want["recur"]["median_ms"], 4)
        close(got["GFLOP/s"], want["gflops"], 4)
        if want["pct_peak"] is None:
            assert got["% of peak"] == "-", f"% of peak {got['% of peak']} for no peak"
        else:
            close(got["% of peak"], want["pct_peak"], -1)
        if speedup:
            assert got["speed-up"] == speedup, f"speed-up {got['speed-up']}, expected {speedup}"


def check_png(path):
    """path is a whole PNG: signature, IHDR first, every chunk's CRC, image data, IEND last."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: no PNG signature"
    pos, names, idat = 8, [], b""
    while pos < len(data):
        length, name = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(name + body), f"{path}: bad CRC in {name}"
        names.append(name)
        idat += body if name == b"IDAT" else b""
        pos += 12 + length
    assert names[0] == b"IHDR" and names[-1] == b"IEND", f"{path}: chunks {names}"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 100 and height > 100, f"{path}: {width}x{height}"
    assert zlib.decompress(idat), f"{path}: no image data"


def check_outputs(out, sections, threads, peaks):
    """The plots for each thread count (% of peak only with a peak), each a valid PNG that the
    report shows, and nothing else in the folder."""
    want = {f"gflops-t{t}.png" for t in threads} | {f"peak-t{t}.png" for t in threads if peaks}
    linked = {m for lines in sections.values() for line in lines
              for m in re.findall(r"!\[[^]]*\]\(([^)]+)\)", line)}
    assert linked == want, f"report links {sorted(linked)}, expected {sorted(want)}"
    assert set(os.listdir(out)) == want | {"report.md"}, f"{out} holds {os.listdir(out)}"
    for name in want:
        check_png(os.path.join(out, name))


def check_error(tmp, name, content, *message):
    """bench/report on a good file plus this one: exit 1, one line naming it, no output."""
    path = os.path.join(tmp, name)
    if content is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(content)
    out = os.path.join(tmp, "out-" + name)
    r = run(REPORT, "-o", out, os.path.join(tmp, "good.json"), path)
    assert r.returncode == 1, f"exit {r.returncode}"
    assert r.stdout == "", f"stdout {r.stdout!r}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bench/report: {path}: "), f"stderr {lines}"
    says(lines[0], *message)
    assert not os.path.exists(out), "an output was written"


def check_locked_folder(tmp):
    """-o a folder it may not write to (root too: without the capabilities that override
    permissions): exit 1 and one line naming it, before any plot is made."""
    out = os.path.join(tmp, "locked")
    os.mkdir(out, 0o500)
    unprivileged = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    r = run(*(unprivileged if os.geteuid() == 0 else []), REPORT, "-o", out,
            os.path.join(tmp, "good.json"))
    assert r.returncode == 1, f"exit {r.returncode}: {r.stderr.strip()}"
    assert r.stderr == f"bench/report: {out}: not writable\n", f"stderr {r.stderr!r}"


def with_new_fields(bench, tuned, factor):
    """A copy of a bench file with the CPU, ISA and tune fields of newer recur versions; when
    tuned, every row ran with a tune file and took `factor` times as long."""
    new = copy.deepcopy(bench)
    new["cpu"] = {"vendor": "GenuineTest", "family": 6, "model": 85, "stepping": 7,
                  "brand": "Test CPU"}
    new["isa"] = bench["results"][0]["isa"]
    new["tune"] = {"file": "/tmp/tune.conf" if tuned else None,
                   "state": "loaded" if tuned else "none", "reason": None,
                   "entries": 3 if tuned else 0, "applicable": 2 if tuned else 0}
    for row in new["results"]:
        row["tuned"] = tuned
        if tuned:
            row["recur"]["median_ms"] *= factor
            row["gflops"] /= factor
            if row["pct_peak"] is not None:
                row["pct_peak"] /= factor
    return new


class Checker:
    def __init__(self):
        self.count = self.failures = 0

    def check(self, what, fn, *args):
        self.count += 1
        try:
            fn(*args)
            print(f"ok {what}")
        except (AssertionError, OSError, ValueError, KeyError, subprocess.SubprocessError) as e:
            self.failures += 1
            print(f"FAIL {what}: {type(e).__name__}: {e}")


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    recur, tmp = os.path.abspath(sys.argv[1]), sys.argv[2]
    subprocess.run(["rm", "-rf", tmp], check=True)
    os.makedirs(tmp)
    info = run(recur, "info").stdout
    isas = re.search(r"^kernels: \S+ \(available: ([^)]*)\)$", info, re.M).group(1).split()
    print(f"kernel tables: {' '.join(isas)}")

    benches, files = {}, []
    for isa in isas:
        r = run(recur, "bench", "--json", "--quick", "--cells", CELLS, "--shapes", SHAPE,
                "--isa", isa)
        if r.returncode != 0:
            print(f"FAIL recur bench --isa {isa}: exit {r.returncode}: {r.stderr.strip()}")
            return 1
        benches[isa] = json.loads(r.stdout)
        files.append(os.path.join(tmp, f"{isa}.json"))
        with open(files[-1], "w", encoding="utf-8") as f:
            f.write(r.stdout)
    first = benches[isas[0]]
    threads = {row["threads"] for row in first["results"]}
    t = Checker()

    out = os.path.join(tmp, "out")
    sections = {}
    t.check("bench/report on every table", lambda: sections.update(report(out, *files)))
    cpu = first["cpu"]["brand"] if "cpu" in first else first["cpu_model"]
    for isa in isas:
        heading = next((h for h in sections if f" · {isa} · fp32 · default" in h),
                       f"{isa} · fp32 · default")
        t.check(f"{isa}: a section with the JSON's rows and numbers", check_section, sections,
                heading, benches[isa]["results"])
        t.check(f"{isa}: the section names the CPU", says, heading, cpu)
    t.check("plots", check_outputs, out, sections, threads, isas != ["scalar"])

    # Precisions: a bf16 run of the same cases is a section of its own, never merged into the
    # fp32 one; a file from before the precision field reads as fp32.
    r = run(recur, "bench", "--json", "--quick", "--cells", CELLS, "--shapes", SHAPE,
            "--isa", isas[0], "--precision", "bf16")
    if r.returncode != 0:
        print(f"FAIL recur bench --precision bf16: exit {r.returncode}: {r.stderr.strip()}")
        return 1
    bf16 = json.loads(r.stdout)
    mixed = [files[0], os.path.join(tmp, "bf16.json"), os.path.join(tmp, "no-precision.json")]
    old = copy.deepcopy(first)
    for row in old["results"]:
        del row["precision"]
    for path, data in zip(mixed[1:], (bf16, old)):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f)
    out = os.path.join(tmp, "out-precisions")
    by_precision = {}
    t.check("bench/report on fp32, bf16 and precision-less files",
            lambda: by_precision.update(report(out, *mixed)))
    for precision, results in (("fp32", first["results"]), ("bf16", bf16["results"])):
        heading = next((h for h in by_precision if f" · {isas[0]} · {precision} · default" in h),
                       f"{isas[0]} · {precision} · default")
        t.check(f"{precision}: a section of its own rows", check_section, by_precision, heading,
                results)
    t.check("a precision-less file repeats the fp32 rows", lambda: says(
        open(os.path.join(out, "report.md"), encoding="utf-8").read(),
        f"{len(first['results'])} rows repeated a case"))

    # Newer files: CPU identity, ISA and tune state at the root, `tuned` on each row.
    pair = []
    for name, tuned in (("default", False), ("tuned", True)):
        pair.append(os.path.join(tmp, f"new-{name}.json"))
        with open(pair[-1], "w", encoding="utf-8") as f:
            json.dump(with_new_fields(first, tuned, 0.5), f)
    out = os.path.join(tmp, "out-tuned")
    new = {}
    t.check("bench/report on a tuned and a default file", lambda: new.update(report(out, *pair)))
    label = f"Test CPU (GenuineTest family 6 model 85 stepping 7) · {isas[0]} · fp32"
    tuned = with_new_fields(first, True, 0.5)["results"]
    t.check("tuned: rows, numbers and a 2.00x speed-up", check_section, new, label + " · tuned",
            tuned, "2.00x")
    t.check("default: rows and numbers", check_section, new, label + " · default",
            first["results"])
    t.check("tuned: the geometric mean and the tune file", says,
            "\n".join(new.get(label + " · tuned", [])), "Tuned over default: geometric mean 2.00x",
            "tune file `/tmp/tune.conf` loaded (3 entries, 2 applicable)")
    t.check("tuned: plots", check_outputs, out, new, threads, isas[0] != "scalar")

    # Errors: one line on stderr naming the file, exit 1, nothing written.
    with open(os.path.join(tmp, "good.json"), "w", encoding="utf-8") as f:
        json.dump(first, f)
    t.check("error: not JSON", check_error, tmp, "text.json", "recur bench\n", "not JSON")
    t.check("error: JSON, not bench output", check_error, tmp, "other.json", '{"a": [1]}',
            "not `recur bench --json` output")
    t.check("error: a JSON list", check_error, tmp, "list.json", "[1, 2]",
            "not `recur bench --json` output")
    broken = copy.deepcopy(first)
    broken["results"][0]["threads"] = "two"
    t.check("error: a row's field", check_error, tmp, "field.json", json.dumps(broken),
            "results[0].threads: expected an integer")
    t.check("error: a missing file", check_error, tmp, "missing.json", None,
            "No such file or directory")
    t.check("error: an output folder it may not write to", check_locked_folder, tmp)
    print(f"{t.count - t.failures} of {t.count} checks passed")
    return 1 if t.failures else 0


if __name__ == "__main__":
    sys.exit(main())
