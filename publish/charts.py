"""Charts for the reports (matplotlib, Agg), drawn with Noto Sans CJK so Chinese never shows as tofu.

Each chart function takes plain rows (dicts from `published_rows`) and returns PNG bytes;
`png_data_uri` turns them into an inline `<img src>` for the self-contained HTML.
"""

from __future__ import annotations

import base64
import functools
import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from publish.contract import LIGHT_CHART_COLOURS  # noqa: E402
from publish.labels import is_missing, wan_to_yi  # noqa: E402

CJK_FONT_FILE = "NotoSansCJK-Regular.ttc"
CJK_FAMILY = "Noto Sans CJK SC"  # the simplified-Chinese face of the collection
DPI = 110


class FontMissing(RuntimeError):
    pass


@functools.cache
def cjk_font_family() -> str:
    """Register Noto Sans CJK with matplotlib and return its simplified-Chinese family name."""
    for path in font_manager.findSystemFonts():
        if path.endswith(CJK_FONT_FILE):
            font_manager.fontManager.addfont(path)
            break
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in (CJK_FAMILY, "Noto Sans CJK JP"):
        if family in names:
            return family
    raise FontMissing(
        "未找到中文字体 Noto Sans CJK（请安装 fonts-noto-cjk）/ "
        "Noto Sans CJK not found (install fonts-noto-cjk); charts would show tofu"
    )


def _figure(width: float, height: float):
    family = cjk_font_family()
    plt.rcParams["font.family"] = [family]
    plt.rcParams["font.sans-serif"] = [family]
    plt.rcParams["axes.unicode_minus"] = False  # the CJK face lacks U+2212
    return plt.subplots(figsize=(width, height), dpi=DPI)


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_sample(text: str, size: int = 28) -> bytes:
    """One string drawn in the chart font (used to prove glyphs are real, not tofu)."""
    fig, ax = _figure(0.6 * len(text) + 0.4, 0.8)
    ax.axis("off")
    ax.text(0.5, 0.5, text, fontsize=size, ha="center", va="center")
    return _png(fig)


def lights_by_department(indicator_rows: list[dict]) -> dict[str, dict[str, int]]:
    """Per responsible department, how many of its indicators show each light (`—`: no light)."""
    counts: dict[str, dict[str, int]] = {}
    for row in indicator_rows:
        dept = row.get("owner_dept") or "—"
        light = row.get("light") if row.get("light") in LIGHT_CHART_COLOURS else "—"
        tally = counts.setdefault(dept, dict.fromkeys(LIGHT_CHART_COLOURS, 0))
        tally[light] += 1
    return counts


def lights_matrix(indicator_rows: list[dict]) -> bytes:
    """One stacked bar per responsible department: its indicators counted by light.

    Counts, not one cell per indicator: a department leading thirty indicators would otherwise
    squeeze every cell and label into an unreadable strip. Reds sort first.
    """
    counts = lights_by_department(indicator_rows)
    depts = sorted(counts, key=lambda d: (-counts[d]["红"], -counts[d]["黄"], -sum(counts[d].values()), d))
    fig, ax = _figure(7.5, 0.9 + 0.3 * max(len(depts), 1))
    left = [0] * len(depts)
    for light, colour in LIGHT_CHART_COLOURS.items():
        widths = [counts[d][light] for d in depts]
        ax.barh(depts, widths, left=left, color=colour, height=0.7, label=light if light != "—" else "不亮灯")
        for y, (x0, w) in enumerate(zip(left, widths, strict=True)):
            if w:
                ax.text(x0 + w / 2, y, str(w), ha="center", va="center", fontsize=7)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.invert_yaxis()
    ax.tick_params(axis="y", labelsize=8)
    ax.set_xlabel("指标数（项）", fontsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title("各责任单位指标亮灯情况", fontsize=11)
    ax.legend(loc="lower right", ncol=4, fontsize=8, frameon=False)
    return _png(fig)


def revenue_trend(series: dict[str, list[tuple[str, float | None]]], title: str = "分“352”类别营业收入（亿元）") -> bytes:
    """`series`: group name -> [(period label, revenue_ytd in 万元 or None if suppressed)]."""
    fig, ax = _figure(7.5, 3.0)
    for name, points in series.items():
        labels = [p for p, _ in points]
        values = [wan_to_yi(v) if not is_missing(v) else float("nan") for _, v in points]
        ax.plot(labels, values, marker="o", label=name)
    ax.set_title(title, fontsize=11)
    ax.set_ylabel("亿元")
    ax.grid(axis="y", alpha=0.3)
    if series:
        ax.legend(fontsize=8, frameon=False, ncol=min(len(series), 3))
    return _png(fig)


def project_completion(project_rows: list[dict], time_progress_pct: float | None) -> bytes:
    """Horizontal bars: each project's completion of its annual plan, coloured by its light."""
    rows = sorted(project_rows, key=lambda r: (r.get("completion_rate_pct") or 0))
    fig, ax = _figure(7.5, 0.9 + 0.32 * max(len(rows), 1))
    names = [_shorten(r["project_name"], 14) for r in rows]
    values = [0 if is_missing(r.get("completion_rate_pct")) else r["completion_rate_pct"] for r in rows]
    ax.barh(names, values, color=[LIGHT_CHART_COLOURS.get(r.get("light"), "#D9D9D9") for r in rows])
    if time_progress_pct is not None:
        ax.axvline(time_progress_pct, color="#333333", linestyle="--", linewidth=1)
        ax.text(time_progress_pct, len(rows) - 0.4, f" 时间进度{time_progress_pct:.0f}%", fontsize=8)
    ax.set_xlim(0, max([100.0, *values]) * 1.05)
    ax.set_xlabel("年度计划投资完成率（%）")
    ax.set_title("重大项目年度投资完成情况", fontsize=11)
    ax.tick_params(axis="y", labelsize=8)
    return _png(fig)


def progress_2027(indicator_rows: list[dict], plan_progress_pct: float | None) -> bytes:
    """Completion of each five-year goal, with the plan's time progress and the projected 2027 level."""
    rows = [r for r in indicator_rows if not is_missing(r.get("completion_2027_pct"))]
    rows.sort(key=lambda r: r["completion_2027_pct"])
    fig, ax = _figure(7.5, 0.9 + 0.32 * max(len(rows), 1))
    names = [_shorten(r["indicator_name"], 14) for r in rows]
    ax.barh(names, [r["completion_2027_pct"] for r in rows], color="#5B9BD5", label="已完成")
    projected = [
        (i, r["projected_2027"] / r["target_2027"] * 100)
        for i, r in enumerate(rows)
        if not is_missing(r.get("projected_2027")) and r.get("target_2027")
    ]
    if projected:
        ax.scatter([p for _, p in projected], [i for i, _ in projected], marker="D", color="#ED7D31",
                   zorder=3, label="按当前进度预计2027年")
    if plan_progress_pct is not None:
        ax.axvline(plan_progress_pct, color="#333333", linestyle="--", linewidth=1, label="规划时间进度")
    ax.axvline(100, color="#999999", linewidth=0.8)
    ax.set_xlabel("占2027年目标（%）")
    ax.set_title("五年目标完成进度", fontsize=11)
    ax.tick_params(axis="y", labelsize=8)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return _png(fig)
