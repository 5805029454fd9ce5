"""The seven stages, in order, and their pending counts."""

from __future__ import annotations

from igny8.automation.stages.base import Stage
from igny8.automation.stages.s1_clusters import ClusterStage
from igny8.automation.stages.s2_ideas import IdeasStage
from igny8.automation.stages.s3_tasks import TasksStage
from igny8.automation.stages.s4_content import ContentStage
from igny8.automation.stages.s5_image_prompts import ImagePromptsStage
from igny8.automation.stages.s6_images import ImagesStage
from igny8.automation.stages.s7_review import ReviewStage

STAGES: dict[int, Stage] = {
    s.number: s for s in (ClusterStage(), IdeasStage(), TasksStage(), ContentStage(), ImagePromptsStage(),
                          ImagesStage(), ReviewStage())
}


def pending_count(number: int, site_id: int) -> int:
    """Items stage ``number`` would pick up for the site."""
    return STAGES[number].pending_count(site_id)
