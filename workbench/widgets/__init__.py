"""ipywidgets for notebooks: the segment builder and the campaign preview."""

from .campaign_preview import CampaignPreviewWidget
from .segment_builder import SegmentBuilder

__all__ = ["CampaignPreviewWidget", "SegmentBuilder"]
