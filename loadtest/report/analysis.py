"""The report's analysis: sentences computed from the results, each with the numbers behind it."""

from __future__ import annotations

import itertools
import math
import statistics
from typing import Any

from loadtest.quiet import QUIET_CORES
from loadtest.report.data import Cell, best, busy, by_ocr, by_users, cpu, num, physical, x_of

NO_GAIN = 0.10  # adding an instance "stops helping" when it adds less than this to the best throughput
LIMIT_TARGET = 0.95  # issue 16: at saturation the mesh should reach this share of the raw-library limit


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _at(cell: Cell) -> str:
    return f"concurrency {x_of(cell):g}" if cell["mode"] == "closed" else f"{x_of(cell):g} req/s offered"


def _pct(a: float, b: float) -> str:
    return f"{100 * a / b:.0f}%" if b > 0 else "n/a"


def physical_lines(data: dict[str, Any]) -> list[str]:
    one, many = physical(data)
    if one is None or many is None:
        return ["The raw-library limit was not measured in this run (`--physical-seconds 0`)."]
    out = [
        f"The raw PaddleOCR library on the same image reached {one['images_per_second']:.2f} images/s in "
        f"1 process ({one['cpu_seconds_per_image']:.2f} CPU-s per image)"
    ]
    if many is not one:
        scale = many["images_per_second"] / one["images_per_second"] if one["images_per_second"] else math.nan
        out[0] += (
            f" and {many['images_per_second']:.2f} images/s in {many['processes']} processes "
            f"({scale:.2f}× the single process)"
        )
    out[0] += "; that is the physical limit the mesh is measured against."
    if many.get("measured", 1) > 1:
        out.append(
            f"That limit is the median of {many['measured']} measurements taken between the cells "
            f"(raw, cells, raw, …, raw), so it saw the same machine as the cells"
            + (
                f"; {_n(many['left_out'], 'measurement')} with other CPU use above "
                f"{100 * QUIET_CORES:.0f}% of a core left out."
                if many.get("left_out")
                else "."
            )
        )
    if not many.get("quiet", True):
        out.append(
            "Every raw-library measurement ran while other work used more than "
            f"{100 * QUIET_CORES:.0f}% of a core: the figure is not a trustworthy limit, and the ratios "
            "below are not either. Measure again on a quiet machine."
        )
    return out


def scaling_lines(cells: list[Cell], data: dict[str, Any], cores: int) -> list[str]:
    out = []
    _, many = physical(data)
    for users, group in by_users(cells).items():
        bests = {ocr: best(series) for ocr, series in by_ocr(group).items()}
        figures = ", ".join(
            f"{num(c['throughput']):.2f} img/s with {ocr} OCR (at {_at(c)})" for ocr, c in bests.items()
        )
        out.append(f"With {_n(users, 'user-service instance')}, the best throughput was {figures}.")
        ocrs = list(bests)
        for prev, nxt in itertools.pairwise(ocrs):
            a, b = num(bests[prev]["throughput"]), num(bests[nxt]["throughput"])
            if a > 0 and (b - a) / a < NO_GAIN:
                busy_cpu = busy(bests[nxt])
                out.append(
                    f"Going from {prev} to {nxt} OCR instances changed the best throughput by "
                    f"{100 * (b - a) / a:+.0f}% (less than {100 * NO_GAIN:.0f}%): adding instances stopped "
                    f"helping there; during that cell the machine's CPU was {busy_cpu:.0f}% of one core "
                    f"busy out of {100 * cores}% ({_pct(busy_cpu, 100 * cores)}), "
                    f"with {nxt} OCR instances on {cores} cores"
                    + (" (more OCR processes than cores)." if nxt > cores else ".")
                )
                break
        else:
            if len(ocrs) > 1:
                out.append(
                    f"Every added OCR instance raised the best throughput by at least {100 * NO_GAIN:.0f}% "
                    f"up to {ocrs[-1]} instances on {cores} cores."
                )
        top = max(bests.values(), key=lambda c: num(c["throughput"]))
        interleaved = many is not None and many.get("measured", 1) > 1
        if many is not None and interleaved and num(top["throughput"]) > many["images_per_second"]:
            out.append(
                "The mesh's best exceeded the limit: a best cell is the highest of many short windows, "
                "the limit a median, and the machine's speed drifts (see the raw measurements' range "
                "below), so the median of the saturated cells is the fairer comparison."
            )
        elif many is not None and num(top["throughput"]) > many["images_per_second"]:
            out.append(
                "The mesh's best exceeded the raw-library figure although it runs the same model: the "
                "two were measured at different times on a shared machine (compare 'other CPU%' in the "
                "physical-limit table with the cell's), so in this run the limit is only a lower bound."
            )
        if many is not None:
            best_line = (
                f"The mesh's best ({num(top['throughput']):.2f} img/s, {top['cell']}) is "
                f"{_pct(num(top['throughput']), many['images_per_second'])} of the raw library with "
                f"{many['processes']} processes ({many['images_per_second']:.2f} img/s)"
            )
            median_lines = saturated_lines(group, data, many) if interleaved else []
            if median_lines:  # the verdict goes on the fairer comparison
                out += [best_line + ".", *median_lines]
            else:
                out.append(best_line + "; " + _verdict(num(top["throughput"]), many) + ".")
    return out


def _verdict(throughput: float, many: dict[str, Any]) -> str:
    share = throughput / many["images_per_second"] if many["images_per_second"] else 0.0
    met = "met" if share >= LIMIT_TARGET else "not met"
    return f"the target of at least {100 * LIMIT_TARGET:.0f}% is {met}"


def saturated_lines(group: list[Cell], data: dict[str, Any], many: dict[str, Any]) -> list[str]:
    """Median against median: the closed-loop cells with one OCR instance per raw process and at
    least two clients per instance, against the limit and the range of its measurements."""
    n = int(many["processes"])
    cells = [c for c in group if int(c["ocr"]) == n and c["mode"] == "closed" and x_of(c) >= 2 * n]
    runs = [
        r["images_per_second"]
        for r in data.get("physical") or []
        if r["processes"] == n and r.get("quiet", True) == many.get("quiet", True)
    ]
    if not cells or not runs:
        return []
    median = statistics.median(num(c["throughput"]) for c in cells)
    out = [
        f"Median against median: the {len(cells)} saturated cells with {n} OCR instances (concurrency "
        f"{2 * n} and more) reached a median of {median:.2f} img/s, "
        f"{_pct(median, many['images_per_second'])} of the limit ({_verdict(median, many)}); the raw "
        f"measurements ranged {min(runs):.2f}–{max(runs):.2f} img/s."
    ]
    spans = [num(c.get("node_rate")) for c in cells]
    if all(not math.isnan(s) for s in spans):
        per_node = statistics.median(spans)
        out.append(
            f"Counted as the raw processes are (each instance from its first to its last completion "
            f"in the window, summed), those cells' median is {per_node:.2f} img/s, "
            f"{_pct(per_node, many['images_per_second'])} of the limit: a window's count moves by a "
            "whole image, which matters where a cell finishes few."
        )
    return out


def bottleneck_lines(cells: list[Cell], cores: int, cpu_raw: float | None) -> list[str]:
    top = best(cells)
    total = busy(top)
    cap = 100.0 * cores
    parts = ", ".join(
        f"{role} {cpu(top, role):.0f}%"
        for role in ("ocr-service", "gateway", "user-service", "nacos", "loadgen", "other")
        if not math.isnan(cpu(top, role))
    )
    out = [
        f"In the highest-throughput cell ({top['cell']}) the mean CPU use was: {parts} "
        f"(percent of one core; the machine has {cores} cores = {cap:.0f}%)."
    ]
    ocr_cpu, gw = cpu(top, "ocr-service"), cpu(top, "gateway")
    verdict = "saturated" if total >= 0.9 * cap else "not saturated"
    out.append(
        f"The machine's CPU was {verdict} there ({total:.0f}% of {cap:.0f}%); the OCR processes took "
        f"{_pct(ocr_cpu, total)} of the CPU in use and the gateway {_pct(gw, total)}."
    )
    if num(top["throughput"]) > 0:
        per_image = ocr_cpu / 100 / num(top["throughput"])
        line = f"The OCR processes spent {per_image:.2f} CPU-s per image served there"
        if cpu_raw is not None:
            line += f" (raw library: {cpu_raw:.2f} CPU-s per image)"
        out.append(line + ".")
    if ocr_cpu >= 0.8 * cap:
        out.append("The bottleneck is OCR compute: the OCR processes alone used at least 80% of all cores.")
    elif total >= 0.9 * cap:
        rest = max(("gateway", "user-service", "nacos", "loadgen", "other"), key=lambda r: cpu(top, r))
        out.append(
            f"The bottleneck is the machine's CPU as a whole: every core was busy, and after the OCR "
            f"processes the largest user was '{rest}' ({cpu(top, rest):.0f}% of one core), so adding OCR "
            f"instances could not add compute."
        )
    other = max(cells, key=lambda c: cpu(c, "other"))
    if cpu(other, "other") >= 20:
        out.append(
            f"Processes outside the mesh and the load generator used up to {cpu(other, 'other'):.0f}% of one "
            f"core (cell {other['cell']}): the machine was not quiet, and the figures are lower than a "
            "quiet machine would give."
        )
    return out


def latency_lines(cells: list[Cell]) -> list[str]:
    out = []
    for users, group in by_users(cells).items():
        for ocr, series in by_ocr(group).items():
            low, high = series[0], series[-1]
            if low is high or num(high["throughput"]) <= 0:
                continue
            little = x_of(high) / num(high["throughput"]) if high["mode"] == "closed" else math.nan
            line = (
                f"{ocr} OCR, {users} user-service: mean latency went from {num(low['mean']):.2f} s at "
                f"{_at(low)} to {num(high['mean']):.2f} s at {_at(high)} (p95 {num(high['p95']):.2f} s)"
            )
            mean_low, mean_high = num(low["mean"]), num(high["mean"])
            if not math.isnan(little) and mean_high > 0:
                line += (
                    f"; Little's law predicts clients/throughput = {little:.2f} s "
                    f"({100 * (mean_high - little) / little:+.0f}% off the measured mean), and "
                    f"{_pct(max(0.0, mean_high - mean_low), mean_high)} of that mean is time beyond the "
                    f"latency at {_at(low)}, i.e. waiting for a busy OCR instance or CPU"
                )
            out.append(line + ".")
    return out


def failure_lines(cells: list[Cell]) -> list[str]:
    failed = [c for c in cells if c["failures"]]
    if not failed:
        total = sum(int(c["requests"]) for c in cells)
        return [f"No OCR request failed in any cell ({total} measured requests)."]
    causes: dict[str, int] = {}
    for c in failed:
        for k, v in c["failures_by_cause"].items():
            causes[k] = causes.get(k, 0) + int(v)
    worst = max(failed, key=lambda c: num(c["failure_rate"]))
    listed = ", ".join(f"{k} ×{v}" for k, v in sorted(causes.items(), key=lambda kv: -kv[1]))
    return [
        f"{len(failed)} of {len(cells)} cells had failures; causes (status/code): {listed}. The worst "
        f"was {worst['cell']} with {100 * num(worst['failure_rate']):.1f}% failed."
    ]


def share_lines(cells: list[Cell]) -> list[str]:
    multi = [c for c in cells if int(c["ocr"]) > 1 and c["share_by_instance"]]
    if not multi:
        return []
    dev = max((abs(v - 1 / int(c["ocr"])), c["cell"]) for c in multi for v in c["share_by_instance"].values())
    missing = [c["cell"] for c in multi if len(c["share_by_instance"]) < int(c["ocr"])]
    line = (
        f"Load balancing: the largest gap between an instance's share and an even split was "
        f"{100 * dev[0]:.1f} points (cell {dev[1]})."
    )
    if missing:
        line += f" Some instances served nothing in: {', '.join(missing)}."
    return [line]


def locust_lines(data: dict[str, Any]) -> list[str]:
    cmp = data.get("locust")
    if not cmp:
        return []
    if not cmp.get("locust"):
        return [f"The Locust run on {cmp['cell']} produced no /api/ocr figures (exit {cmp['exit_code']})."]
    ours, theirs = cmp["ours"], cmp["locust"]
    diff = (theirs["throughput"] - num(ours["throughput"])) / num(ours["throughput"])
    return [
        f"Locust on the same cell ({cmp['cell']}, {cmp['users']} users, {cmp['seconds']} s) measured "
        f"{theirs['throughput']:.2f} img/s and p50 {theirs['p50']:.2f} s against our "
        f"{num(ours['throughput']):.2f} img/s and p50 {num(ours['p50']):.2f} s: throughput differs by "
        f"{100 * diff:+.1f}%."
    ]


def analysis(data: dict[str, Any]) -> list[str]:
    """Every sentence of the analysis section, derived from data."""
    cells: list[Cell] = data["cells"]
    cores = int(data["machine"].get("cores", 1))
    lines = physical_lines(data)
    if not cells:
        return [*lines, "No cell finished, so there is nothing else to analyse."]
    lines += scaling_lines(cells, data, cores)
    one, _ = physical(data)
    lines += bottleneck_lines(cells, cores, None if one is None else float(one["cpu_seconds_per_image"]))
    lines += latency_lines(cells)
    lines += failure_lines(cells)
    lines += share_lines(cells)
    lines += locust_lines(data)
    planned = len(data["config"].get("cells_planned", [])) or len(cells)
    if len(cells) < planned:
        lines.append(f"The sweep was stopped early: {len(cells)} of {planned} planned cells finished.")
    return lines
