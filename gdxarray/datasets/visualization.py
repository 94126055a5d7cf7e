"""Genome-browser views of datasets (Janggu's ``janggu.data.visualization``).

Owns :func:`plotGenomeTrack` and the track kinds :class:`LineTrack`,
:class:`HeatTrack` and :class:`SeqTrack`.  A track reads the values of an
interval from its Cover with :meth:`Cover.interval_values` (windows put back on
genome coordinates, as :meth:`Cover.export_to_bigwig` does), so signal,
predictions (``Cover.create_from_array``) and labels plot alike.  matplotlib is
imported when a figure is drawn (the ``[ml]`` extra).
"""

from __future__ import annotations

import warnings
from itertools import product

import numpy as np

from ..errors import GenomedataError

__all__ = ["HeatTrack", "LineTrack", "SeqTrack", "Track", "plotGenomeTrack"]

_DNA = {"A": 0, "C": 1, "G": 2, "T": 3}


class Track:
    """A dataset drawn over *height* grid rows."""

    def __init__(self, data, height: int) -> None:
        self.data = data
        self.height = int(height)

    @property
    def name(self) -> str:
        return self.data.name

    def add_side_bar(self, fig, grid, offset: int) -> None:
        ax = fig.add_subplot(grid[offset:offset + self.height, 0])
        ax.set_xticks(())
        for side in ("right", "top", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_yticks([0.5])
        ax.set_yticklabels([self.name])

    def get_track_axis(self, fig, grid, offset: int, height: int):
        return fig.add_subplot(grid[offset:offset + height, 1:])

    def get_data(self, chrom: str, start: int, end: int) -> np.ndarray:
        """``(end - start, strand, condition)`` per base, NaN where no window lies."""
        return self.data.interval_values(chrom, start, end)


class LineTrack(Track):
    """Each condition as a line (both strands: two lines, ``+`` and ``-``)."""

    def __init__(self, data, height: int = 3, linestyle: str = "-", marker: str = "o",
                 color: str = "b", linewidth: float = 2) -> None:
        super().__init__(data, height)
        self.height = int(height) * len(data.conditions)
        self.linestyle, self.marker, self.color, self.linewidth = \
            linestyle, marker, color, linewidth

    def plot(self, fig, grid, offset: int, chrom: str, start: int, end: int) -> None:
        coverage = self.get_data(chrom, start, end)
        per = self.height // len(self.data.conditions)
        for i, condition in enumerate(self.data.conditions):
            ax = self.get_track_axis(fig, grid, offset, per)
            offset += per
            strands = [("+", "+"), ("-", 1)] if coverage.shape[1] == 2 else [(None, None)]
            for s, (label, marker) in enumerate(strands):
                cov = coverage[:, s, i]
                x = np.flatnonzero(np.isfinite(cov))
                ax.plot(x, cov[x], linewidth=self.linewidth, linestyle=self.linestyle,
                        color=self.color, marker=self.marker if marker is None else marker,
                        label=label)
            if coverage.shape[1] == 2:
                ax.legend()
            ax.set_yticks(())
            ax.set_xticks(())
            ax.set_xlim([0, end - start])
            if len(self.data.conditions) > 1:
                ax.set_ylabel(condition, labelpad=12)
            ax.spines["right"].set_visible(False)
            ax.spines["top"].set_visible(False)


class HeatTrack(Track):
    """All strands and conditions as one heatmap (rows ``condition`` or ``condition:strand``)."""

    def __init__(self, data, height: int = 3) -> None:
        super().__init__(data, height)

    def plot(self, fig, grid, offset: int, chrom: str, start: int, end: int) -> None:
        ax = self.get_track_axis(fig, grid, offset, self.height)
        coverage = self.get_data(chrom, start, end)
        # rows: strand-major within condition, as Janggu's reshape of (pos, strand, cond)
        ax.pcolormesh(np.ma.masked_invalid(coverage.reshape(coverage.shape[0], -1).T))
        if coverage.shape[1] == 2:
            ticks = [f"{c}:{s}" for s, c in product(["+", "-"], self.data.conditions)]
        else:
            ticks = list(self.data.conditions)
        ax.set_yticks(np.arange(len(ticks)) + 0.5)
        ax.set_yticklabels(ticks)
        ax.set_xticks(())
        ax.set_xlim([0, end - start])


class SeqTrack(Track):
    """Stacked bars of per-letter scores (e.g. input attributions over A, C, G, T).

    The data's conditions must be named by letters (``A``, ``C``, ``G``, ``T``, or
    order-k names such as ``AC``): each condition's score counts for its first letter.
    """

    def __init__(self, data, height: int = 3) -> None:
        super().__init__(data, height)

    def plot(self, fig, grid, offset: int, chrom: str, start: int, end: int) -> None:
        import matplotlib

        conds = list(self.data.conditions)
        bad = [c for c in conds if not c or c[0].upper() not in _DNA]
        if bad:
            raise GenomedataError(f"{self.name}: SeqTrack needs conditions named by DNA "
                                  f"letters, not {bad[:3]}")
        coverage = np.nan_to_num(self.get_data(chrom, start, end).sum(axis=1))
        letters = np.zeros((coverage.shape[0], 4))
        for j, c in enumerate(conds):
            letters[:, _DNA[c[0].upper()]] += coverage[:, j]
        ax = self.get_track_axis(fig, grid, offset, self.height)
        x = np.arange(coverage.shape[0])
        bottom = np.zeros(coverage.shape[0])
        colors = matplotlib.colormaps["tab10"].colors
        handles = []
        for letter, k in _DNA.items():
            handles.append(ax.bar(x, letters[:, k], bottom=bottom, color=colors[k],
                                  label=letter))
            bottom += letters[:, k]
        ax.legend(handles=handles)
        ax.set_yticks(())
        ax.set_xticks(())
        ax.set_xlim([0, end - start])


_KINDS = {"line": LineTrack, "heatmap": HeatTrack, "seqplot": SeqTrack}


def plotGenomeTrack(tracks, chrom: str, start: int, end: int, figsize=(10, 5),
                    plottypes=None):
    """A genome-browser figure of ``chrom:start-end`` for one or more tracks.

    Parameters
    ----------
    tracks : a Cover, a :class:`Track`, or a list of them.  A Cover becomes a
        :class:`LineTrack`, or the kind named in *plottypes*.
    chrom, start, end : the interval (x axis: bases from *start*).
    figsize : passed to matplotlib.
    plottypes : one of ``"line"``, ``"heatmap"``, ``"seqplot"`` per track
        (default: ``"line"``).

    Returns
    -------
    matplotlib.figure.Figure
        Title axis first, then per track a side bar and its axes.
    """
    from matplotlib.figure import Figure
    from matplotlib.gridspec import GridSpec

    tracks = list(tracks) if isinstance(tracks, (list, tuple)) else [tracks]
    if plottypes is None:
        plottypes = ["line"] * len(tracks)
    if len(plottypes) != len(tracks):
        raise GenomedataError(f"{len(plottypes)} plottypes for {len(tracks)} tracks")
    start, end = int(start), int(end)
    if end <= start:
        raise GenomedataError(f"empty interval {chrom}:{start}-{end}")
    built = []
    for track, kind in zip(tracks, plottypes):
        if isinstance(track, Track):
            built.append(track)
        elif kind in _KINDS:
            built.append(_KINDS[kind](track))
        else:
            raise GenomedataError(f"unknown plottype {kind!r} (use {', '.join(_KINDS)})")
    rows = 2 + sum(t.height for t in built) + len(built) - 1
    fig = Figure(figsize=figsize)  # not pyplot: no global state, any backend
    grid = GridSpec(rows, 10, figure=fig, wspace=0.4, hspace=0.3)
    title = fig.add_subplot(grid[0, 1:])
    title.set_title(chrom)
    title.set_xlim([0, end - start])
    for side in ("right", "top", "left"):
        title.spines[side].set_visible(False)
    title.set_xticks([0, end - start], [str(start), str(end)])
    title.set_yticks(())
    offset = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # tight tick labels on small figures
        for track in built:
            offset += 1
            track.add_side_bar(fig, grid, offset)
            track.plot(fig, grid, offset, chrom, start, end)
            offset += track.height
    return fig
