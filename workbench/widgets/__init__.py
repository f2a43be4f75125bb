"""ipywidgets for notebooks: the segment builder (more widgets join here)."""

from .segment_builder import SegmentBuilder

__all__ = ["SegmentBuilder"]
