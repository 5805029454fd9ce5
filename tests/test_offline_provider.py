"""Unit tests of the offline AI provider: clustering, ideas, articles, image prompts and images.

Pure unit tests: no Flask app, database or Redis. The real keyword exports in ../shared/data are
used where present and the tests that need them are skipped otherwise.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from igny8.ai.base import (
    AIError,
    ClusterInfo,
    ContentInfo,
    IdeaOut,
    KeywordInfo,
    OutlineSection,
    SiteInfo,
    TaskInfo,
)
from igny8.ai.offline import OfflineProvider
from igny8.ai.text import cluster_tokens, significant_tokens, title_case, truncate_words
from igny8.services.keyword_import import parse_keyword_file

# shared/ sits next to the project clone (for developers and CI, not users).
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
SITE = SiteInfo(name="Pump Pros", domain="pumppros.example")
STRUCTURES = {"guide", "how_to", "listicle", "comparison", "faq", "review"}

needs_data = pytest.mark.skipif(not DATA_DIR.is_dir(), reason=f"real keyword exports not found at {DATA_DIR}")


@pytest.fixture(scope="module")
def provider() -> OfflineProvider:
    """One provider for the module (it holds no state)."""
    return OfflineProvider()


def keywords(*texts: str, volumes: list[int | None] | None = None, intent: str | None = None) -> list[KeywordInfo]:
    """KeywordInfo rows for ``texts`` with ids 1..n."""
    volumes = volumes or [None] * len(texts)
    pairs = enumerate(zip(texts, volumes, strict=True))
    return [KeywordInfo(id=i + 1, keyword=t, volume=v, intent=intent) for i, (t, v) in pairs]


def export_rows(name: str, limit: int) -> list[KeywordInfo]:
    """The first ``limit`` keywords of a real export, parsed the way the import does."""
    parsed = parse_keyword_file((DATA_DIR / name).read_bytes(), max_rows=100_000, max_keyword_length=200)
    return [KeywordInfo(id=i + 1, keyword=r.keyword, volume=r.volume, intent=r.intent)
            for i, r in enumerate(parsed.rows[:limit])]


def cluster_info(rows: list[KeywordInfo]) -> ClusterInfo:
    """A cluster of ``rows``, highest volume first as the app passes them."""
    ordered = sorted(rows, key=lambda k: (-(k.volume or 0), len(k.keyword), k.keyword))
    return ClusterInfo(id=1, name=ordered[0].keyword, description="", keywords=ordered)


def task_for(idea: IdeaOut, keyword_texts: list[str]) -> TaskInfo:
    """The task the app would make from ``idea``."""
    return TaskInfo(id=7, title=idea.title, primary_keyword=idea.primary_keyword, keywords=keyword_texts,
                    outline=idea.outline, target_words=idea.target_words, content_structure=idea.content_structure)


class ArticleParser(HTMLParser):
    """Collects tags, H2 texts and the text of the intro and of each H2 section."""

    def __init__(self):
        """An empty parse: no tags, no headings, one (intro) section."""
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[dict] = []
        self.h2: list[str] = []
        self.sections: list[list[str]] = [[]]
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        """Record the tag; an H2 opens a new section."""
        self.tags.append(tag)
        self.attrs.append(dict(attrs))
        if tag == "h2":
            self._in_h2 = True
            self.h2.append("")
            self.sections.append([])

    def handle_endtag(self, tag):
        """Close an H2."""
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data):
        """Text goes to the current heading or section."""
        if self._in_h2:
            self.h2[-1] += data
        else:
            self.sections[-1].append(data)

    @property
    def text(self) -> str:
        """All text (headings included), tags stripped."""
        return " ".join([*self.h2, *(" ".join(s) for s in self.sections)])


def parse_article(markup: str) -> ArticleParser:
    """``markup`` parsed with the standard library's HTML parser."""
    parser = ArticleParser()
    parser.feed(markup)
    parser.close()
    return parser


SUMP_CLUSTER = keywords(
    "sump pump battery backup", "battery backup sump pump", "best battery backup sump pump",
    "how to install battery backup sump pump", "sump pump battery backup cost", "wayne battery backup sump pump",
    "do i need a battery backup for my sump pump",
    volumes=[2400, 1900, 880, 320, 210, 170, 90], intent="commercial",
)


# ---------------------------------------------------------------------------------------------------
# Text helpers


def test_tokens_drop_stop_words_and_punctuation_and_stem_english():
    """Stop words and punctuation go; "installation" and "install" share a stem."""
    assert significant_tokens("How to install a Sump-Pump?") == ["instal", "sump", "pump"]
    assert significant_tokens("sump pump installation") == ["sump", "pump", "instal"]


def test_tokens_keep_non_ascii_words_intact():
    """Vietnamese syllables are neither stemmed nor split."""
    assert significant_tokens("gia sư toán lớp 9") == ["gia", "sư", "toán", "lớp", "9"]


def test_cluster_tokens_bind_numbers_to_their_neighbours():
    """"1/3 hp" becomes shared tokens; a lone number stays as it is."""
    assert cluster_tokens("zoeller 1/3 hp sump pump") == ["zoeller", "zoeller 1 3", "1 3 hp", "hp", "sump", "pump"]
    assert cluster_tokens("2024") == ["2024"]


def test_title_case_keeps_acronyms_and_lowercases_joining_words():
    """Acronyms keep their capitals; "for" stays lower case mid-title."""
    assert title_case("ai code review tools for github") == "AI Code Review Tools for Github"


def test_truncate_words_cuts_on_a_word_boundary():
    """Cuts never split a word, and the ellipsis counts toward the limit."""
    assert truncate_words("one two three four", 13) == "one two three"
    assert truncate_words("one two three four", 12, "…") == "one two…"


# ---------------------------------------------------------------------------------------------------
# Clustering


def test_cluster_keywords_is_deterministic(provider):
    """The same keywords twice give the same clusters."""
    rows = SUMP_CLUSTER + keywords("wayne sump pump", "wayne sump pump reviews", "wayne sump pump parts")
    first = provider.cluster_keywords(rows, SITE)
    second = provider.cluster_keywords(list(rows), SITE)
    assert first.clusters == second.clusters
    assert first.clusters


def test_word_order_variants_land_in_the_same_cluster(provider):
    """"sump pump battery backup" and "battery backup sump pump" end up together."""
    rows = keywords(
        "sump pump battery backup", "battery backup sump pump", "best battery backup sump pump",
        "wayne sump pump", "wayne sump pump reviews", "wayne sump pump parts", "zoeller sump pump",
        "zoeller sump pump parts", "sump pump alarm", "pedestal sump pump",
    )
    clusters = provider.cluster_keywords(rows, SITE).clusters
    home = {k: c.name for c in clusters for k in c.keywords}
    assert home["sump pump battery backup"] == home["battery backup sump pump"]


def test_brand_keywords_cluster_together_when_there_are_three(provider):
    """Three Wayne keywords form one cluster; two Zoeller ones are not mixed into it."""
    rows = keywords(
        "wayne sump pump", "wayne sump pump reviews", "wayne sump pump parts", "zoeller sump pump",
        "zoeller sump pump parts", "sump pump battery backup", "battery backup sump pump",
        "best battery backup sump pump", "how to install a sump pump", "sump pump installation",
        "sump pump installation cost", "sump pump alarm", "pedestal sump pump",
    )
    clusters = provider.cluster_keywords(rows, SITE).clusters
    wayne = [c for c in clusters if "wayne sump pump" in c.keywords]
    assert len(wayne) == 1
    assert {"wayne sump pump", "wayne sump pump reviews", "wayne sump pump parts"} <= set(wayne[0].keywords)
    assert not {"zoeller sump pump", "zoeller sump pump parts"} & set(wayne[0].keywords)


def test_cluster_is_named_after_its_highest_volume_keyword(provider):
    """The name and first keyword are the highest-volume member."""
    rows = keywords("wayne sump pump parts", "wayne sump pump", "wayne sump pump reviews", volumes=[10, 50, 90])
    [cluster] = provider.cluster_keywords(rows, SITE).clusters
    assert cluster.name == "wayne sump pump reviews"
    assert cluster.keywords[0] == "wayne sump pump reviews"


def test_cluster_name_ties_go_to_the_shortest_then_alphabetical_keyword(provider):
    """Equal volumes (None counting as 0) go to the shortest, then alphabetical, keyword."""
    rows = keywords("wayne sump pump reviews", "wayne sump pump parts", "wayne sump pumps", "wayne sump pump b")
    [cluster] = provider.cluster_keywords(rows, SITE).clusters
    assert cluster.name == "wayne sump pumps"
    # None counts as 0, so these three tie on volume; two tie on length too.
    rows = keywords("wayne sump pump zz", "wayne sump pump aa", "wayne sump pump reviews", volumes=[None, 0, None])
    [cluster] = provider.cluster_keywords(rows, SITE).clusters
    assert cluster.name == "wayne sump pump aa"


def test_cluster_description_gives_count_and_total_volume(provider):
    """The description names the size, the lead keyword and the summed volume."""
    rows = keywords("wayne sump pump", "wayne sump pump parts", "wayne sump pump reviews", volumes=[1000, 200, None])
    [cluster] = provider.cluster_keywords(rows, SITE).clusters
    assert cluster.description == "3 keywords around 'wayne sump pump', total volume 1,200"


def test_keywords_come_back_exactly_as_given_and_never_twice(provider):
    """Case and punctuation survive, duplicates count once, stop-word-only keywords are skipped."""
    rows = keywords("Wayne Sump Pump", "wayne sump-pump parts", "wayne sump pump reviews!", "Wayne Sump Pump",
                    "the", "???")
    clusters = provider.cluster_keywords(rows, SITE).clusters
    returned = [k for c in clusters for k in c.keywords]
    assert sorted(returned) == sorted(["Wayne Sump Pump", "wayne sump-pump parts", "wayne sump pump reviews!"])


def test_non_ascii_keywords_are_clustered_intact(provider):
    """Vietnamese keywords cluster and come back unchanged."""
    rows = keywords("toán lớp 5", "học toán lớp 5", "giải toán lớp 5", "ôn luyện toán lớp 5")
    [cluster] = provider.cluster_keywords(rows, SITE).clusters
    assert set(cluster.keywords) == {"toán lớp 5", "học toán lớp 5", "giải toán lớp 5", "ôn luyện toán lớp 5"}


def test_keywords_that_fit_no_cluster_of_three_are_left_out(provider):
    """Pairs are not clusters: the caller keeps them pending."""
    rows = keywords("wayne sump pump", "wayne sump pump parts", "nike socks", "fluffy socks")
    assert provider.cluster_keywords(rows, SITE).clusters == []


def test_cluster_keywords_rejects_an_empty_list(provider):
    """An empty batch is an AIError, not an empty answer."""
    with pytest.raises(AIError):
        provider.cluster_keywords([], SITE)


def check_clusters(rows: list[KeywordInfo], clusters) -> float:
    """Assert the clustering contract on ``rows``; return the share of distinct keywords clustered."""
    given = {k.keyword for k in rows}
    volume = {}
    for k in rows:
        volume.setdefault(k.keyword, k.volume or 0)
    returned = [k for c in clusters for k in c.keywords]
    assert len(returned) == len(set(returned)), "a keyword is in two clusters"
    assert set(returned) <= given, "a keyword was invented"
    for cluster in clusters:
        assert 3 <= len(cluster.keywords) <= 10, cluster
        best = min(cluster.keywords, key=lambda t: (-volume[t], len(t), t))
        assert cluster.name == best
    return len(returned) / len(given)


@needs_data
@pytest.mark.parametrize(("name", "limit", "floor"), [
    ("semrush_kmt_ai-code-review_broad-match_us_2026-04-14.csv", 1000, 0.8),
    ("ahrefs_socks_gb_2022.csv", 1000, 0.5),
    ("gkp_vi_toan_utf16.csv", 1500, 0.8),
    ("semrush_positions_health_us_2023.csv", 1000, 0.5),
])
def test_clusters_of_real_exports_keep_the_contract(provider, name, limit, floor):
    """Sizes 3-10, no duplicates, no invented keywords, correct names, and a coverage floor."""
    rows = export_rows(name, limit)
    clusters = provider.cluster_keywords(rows, SITE).clusters
    assert check_clusters(rows, clusters) >= floor


@needs_data
def test_word_order_variants_of_a_real_export_share_a_cluster(provider):
    """Reordered phrasings in the Semrush export share a cluster."""
    rows = export_rows("semrush_kmt_ai-code-review_broad-match_us_2026-04-14.csv", 1000)
    home = {k: c.name for c in provider.cluster_keywords(rows, SITE).clusters for k in c.keywords}
    assert home["ai code review"] == home["code review ai"]
    assert home["gitlab ai code review"] == home["ai code review gitlab"]


@needs_data
def test_a_batch_of_2000_real_keywords_clusters_most_of_them(provider):
    """A large batch keeps the contract and clusters most keywords."""
    # Observed: 79% of the first 2,000 sump pump keywords land in a cluster.
    rows = export_rows("sump_pump_keywords_27665.csv", 2000)
    result = provider.cluster_keywords(rows, SITE)
    assert check_clusters(rows, result.clusters) >= 0.7
    home = {k: c.name for c in result.clusters for k in c.keywords}
    assert home["how to clean a sump pump"] == home["how to clean your sump pump"]


@needs_data
def test_a_batch_of_100_real_keywords_is_clustered(provider):
    """A batch the size the engine sends keeps the contract."""
    rows = export_rows("semrush_kmt_ai-code-review_broad-match_us_2026-04-14.csv", 100)
    clusters = provider.cluster_keywords(rows, SITE).clusters
    assert check_clusters(rows, clusters) >= 0.5


# ---------------------------------------------------------------------------------------------------
# Ideas


def test_generate_ideas_is_deterministic(provider):
    """The same cluster twice gives the same ideas."""
    info = cluster_info(SUMP_CLUSTER)
    assert provider.generate_ideas(info, SITE).ideas == provider.generate_ideas(info, SITE).ideas


def test_a_small_cluster_gets_one_idea_and_a_large_one_two_with_different_structures(provider):
    """Up to 5 keywords: one idea; more: two ideas with different structures."""
    small = provider.generate_ideas(cluster_info(SUMP_CLUSTER[:5]), SITE).ideas
    large = provider.generate_ideas(cluster_info(SUMP_CLUSTER), SITE).ideas
    assert len(small) == 1
    assert len(large) == 2
    assert large[0].content_structure != large[1].content_structure
    assert {i.content_structure for i in small + large} <= STRUCTURES


def test_idea_outline_covers_every_keyword_with_budgets_summing_to_the_target(provider):
    """4-7 distinct sections, every keyword placed, budgets summing to target_words."""
    info = cluster_info(SUMP_CLUSTER)
    for idea in provider.generate_ideas(info, SITE).ideas:
        assert 4 <= len(idea.outline) <= 7
        assert 900 <= idea.target_words <= 1800
        assert sum(s.word_budget for s in idea.outline) == idea.target_words
        covered = {k for s in idea.outline for k in s.keywords}
        assert {k.keyword for k in info.keywords} <= covered
        assert len({s.heading for s in idea.outline}) == len(idea.outline)
        assert all(s.heading.strip() and s.word_budget > 0 for s in idea.outline)


def test_idea_primary_keyword_is_the_highest_volume_keyword_and_title_reads_like_one(provider):
    """The primary keyword leads; the title is title case and at most 70 characters."""
    for idea in provider.generate_ideas(cluster_info(SUMP_CLUSTER), SITE).ideas:
        assert idea.primary_keyword == "sump pump battery backup"
        assert len(idea.title) <= 70
        assert "Sump Pump Battery Backup" in idea.title


def test_larger_clusters_get_longer_articles(provider):
    """A bigger, higher-volume cluster gets a longer target."""
    small = provider.generate_ideas(cluster_info(SUMP_CLUSTER[:3]), SITE).ideas[0]
    large = provider.generate_ideas(cluster_info(SUMP_CLUSTER), SITE).ideas[0]
    assert small.target_words < large.target_words


@pytest.mark.parametrize(("texts", "structure"), [
    (("how to install a sump pump", "how to replace a sump pump", "sump pump installation"), "how_to"),
    (("best sump pump", "best sump pump for basement", "top rated sump pump"), "listicle"),
    (("zoeller vs wayne sump pump", "wayne vs zoeller", "zoeller or wayne sump pump"), "comparison"),
    (("what size sump pump do i need", "why is my sump pump running", "sump pump sizing"), "faq"),
    (("wayne sump pump reviews", "wayne sump pump review", "wayne sump pump rating"), "review"),
])
def test_structure_follows_the_keywords_wording(provider, texts, structure):
    """How to, best, vs, questions and reviews pick their matching structures."""
    idea = provider.generate_ideas(cluster_info(keywords(*texts, volumes=[300, 200, 100])), SITE).ideas[0]
    assert idea.content_structure == structure


def test_commercial_intent_leans_to_listicle_or_review(provider):
    """Without telling words, commercial intent picks a buyer-oriented structure."""
    rows = keywords("wayne sump pump", "wayne sump pump parts", "wayne pedestal pump", intent="commercial")
    assert provider.generate_ideas(cluster_info(rows), SITE).ideas[0].content_structure in {"listicle", "review"}


def test_how_to_outline_turns_how_to_keywords_into_steps(provider):
    """"how to replace a sump pump" becomes a numbered step heading."""
    rows = keywords("how to install a sump pump", "how to replace a sump pump", "sump pump installation",
                    volumes=[300, 200, 100])
    headings = [s.heading for s in provider.generate_ideas(cluster_info(rows), SITE).ideas[0].outline]
    assert "Step 1: Replace a Sump Pump" in headings


def test_generate_ideas_rejects_an_empty_cluster(provider):
    """A cluster without keywords is an AIError."""
    with pytest.raises(AIError):
        provider.generate_ideas(ClusterInfo(id=1, name="x", description="", keywords=[]), SITE)


# ---------------------------------------------------------------------------------------------------
# Content


def article_for(provider, rows: list[KeywordInfo], which: int = 0):
    """The idea ``which`` for a cluster of ``rows`` and the article written from it."""
    info = cluster_info(rows)
    idea = provider.generate_ideas(info, SITE).ideas[which]
    return idea, provider.generate_content(task_for(idea, [k.keyword for k in info.keywords]), SITE).article


def test_generate_content_is_deterministic(provider):
    """The same task twice gives the same article."""
    info = cluster_info(SUMP_CLUSTER)
    idea = provider.generate_ideas(info, SITE).ideas[0]
    task = task_for(idea, [k.keyword for k in info.keywords])
    assert provider.generate_content(task, SITE).article == provider.generate_content(task, SITE).article


@pytest.mark.parametrize("rows", [
    SUMP_CLUSTER,
    keywords("how to install a sump pump", "how to replace a sump pump", "sump pump installation",
             "install sump pump in basement", volumes=[300, 200, 100, 50]),
    keywords("what size sump pump do i need", "why is my sump pump running", "sump pump sizing"),
    keywords("zoeller vs wayne sump pump", "wayne vs zoeller", "zoeller or wayne sump pump", "zoeller sump pump",
             "wayne sump pump", "sump pump brands", "zoeller m53", "wayne cdu980e", "best sump pump brand",
             "sump pump comparison", volumes=[5000, 4000, 3000, 2000, 1000, 900, 800, 700, 600, 500]),
], ids=["listicle", "how_to", "faq", "comparison"])
def test_article_follows_the_outline_and_the_word_budget(provider, rows):
    """Word count within 15%, H2s in outline order, a list, primary keyword in the intro, section keywords used."""
    for which in range(len(provider.generate_ideas(cluster_info(rows), SITE).ideas)):
        idea, article = article_for(provider, rows, which)
        parsed = parse_article(article.html)
        words = len(parsed.text.split())
        assert abs(words - idea.target_words) <= 0.15 * idea.target_words, (words, idea.target_words)
        assert parsed.h2 == [s.heading for s in idea.outline]
        assert {"ul", "ol"} & set(parsed.tags)
        assert parsed.tags[0] == "p", "the article opens with an intro paragraph"
        assert idea.primary_keyword.lower() in " ".join(parsed.sections[0]).lower()
        for section, texts in zip(idea.outline, parsed.sections[1:], strict=True):
            for keyword in section.keywords:
                assert keyword.lower() in " ".join(texts).lower(), (keyword, section.heading)


def test_article_has_no_script_h1_or_inline_style(provider):
    """Only paragraphs, H2s and lists: no script, H1 or style attributes."""
    _, article = article_for(provider, SUMP_CLUSTER)
    parsed = parse_article(article.html)
    assert "script" not in parsed.tags
    assert "h1" not in parsed.tags
    assert not any("style" in attrs for attrs in parsed.attrs)
    assert set(parsed.tags) <= {"p", "h2", "ul", "ol", "li"}


def test_article_does_not_repeat_a_sentence(provider):
    """No sentence of more than four words appears twice."""
    _, article = article_for(provider, SUMP_CLUSTER)
    text = " ".join(" ".join(s) for s in parse_article(article.html).sections)
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 4]
    assert [s for s, n in Counter(sentences).items() if n > 1] == []


def test_article_meta_fields_fit_their_limits_and_name_the_primary_keyword(provider):
    """Meta title <= 60 and description <= 160, both with the primary keyword; secondaries exclude it."""
    idea, article = article_for(provider, SUMP_CLUSTER)
    assert len(article.meta_title) <= 60
    assert len(article.meta_description) <= 160
    assert "sump pump battery backup" in article.meta_title.lower()
    assert "sump pump battery backup" in article.meta_description.lower()
    assert article.title == idea.title
    assert article.primary_keyword == "sump pump battery backup"
    assert "sump pump battery backup" not in article.secondary_keywords
    assert article.secondary_keywords[0] == "battery backup sump pump"


def test_meta_title_of_a_long_primary_keyword_is_cut_on_a_word_boundary(provider):
    """A primary keyword longer than 60 characters is cut at a word; an empty title is filled in."""
    primary = "extra quiet submersible cast iron sump pump with vertical float switch for deep basements"
    outline = [OutlineSection(heading=f"Part {i}", keywords=[primary], word_budget=250) for i in range(4)]
    task = TaskInfo(id=1, title="", primary_keyword=primary, keywords=[primary], outline=outline, target_words=1000)
    article = provider.generate_content(task, SITE).article
    assert 0 < len(article.meta_title) <= 60
    assert primary.lower().startswith(article.meta_title.lower())
    assert len(article.meta_description) <= 160
    assert article.title


def test_secondary_keywords_are_capped_at_ten(provider):
    """Secondary keywords are the other keywords, in order, at most ten."""
    texts = [f"wayne sump pump model {n}" for n in range(14)]
    outline = [OutlineSection(heading="One", keywords=texts[:7], word_budget=500),
               OutlineSection(heading="Two", keywords=texts[7:], word_budget=500)]
    task = TaskInfo(id=1, title="Wayne Sump Pumps", primary_keyword=texts[0], keywords=texts, outline=outline,
                    target_words=1000)
    assert provider.generate_content(task, SITE).article.secondary_keywords == texts[1:11]


def test_special_characters_in_keywords_are_escaped(provider):
    """Markup in keywords, headings and the site name is escaped, never rendered."""
    odd = 'sump <b>pump</b> & "backup"'
    outline = [OutlineSection(heading=f"About {odd} {i}", keywords=[odd], word_budget=250) for i in range(4)]
    task = TaskInfo(id=1, title=f"All About {odd}", primary_keyword=odd, keywords=[odd], outline=outline,
                    target_words=1000)
    article = provider.generate_content(task, SiteInfo(name="<Site> & Co")).article
    assert "<b>" not in article.html
    assert "&lt;b&gt;pump&lt;/b&gt; &amp; &quot;backup&quot;" in article.html
    parsed = parse_article(article.html)
    assert "b" not in parsed.tags
    assert odd in " ".join(parsed.sections[0])
    assert parsed.h2[0] == f"About {odd} 0"


def test_generate_content_rejects_an_empty_outline(provider):
    """A task without an outline is an AIError."""
    task = TaskInfo(id=1, title="T", primary_keyword="sump pump", keywords=["sump pump"], outline=[],
                    target_words=1000)
    with pytest.raises(AIError):
        provider.generate_content(task, SITE)


# ---------------------------------------------------------------------------------------------------
# Image prompts

CONTENT = ContentInfo(
    id=3, title="Sump Pump Battery Backup: Our Top 5 Picks", primary_keyword="sump pump battery backup",
    headings=["Sump Pump Battery Backup at a Glance", "1. Best Battery Backup Sump Pump",
              "2. Sump Pump Battery Backup Cost", "Choosing the Right Sump Pump Battery Backup"],
)


def test_image_prompts_are_one_featured_then_numbered_in_article_slots(provider):
    """Featured at 0, in-article at 1..n from the headings, short alt text, no text in images."""
    prompts = provider.generate_image_prompts(CONTENT, 3, SITE).prompts
    assert [(p.kind, p.position) for p in prompts] == [
        ("featured", 0), ("in_article", 1), ("in_article", 2), ("in_article", 3)]
    for prompt in prompts:
        assert 0 < len(prompt.alt_text) <= 125
        assert "no text" in prompt.prompt.lower()
    assert "sump pump battery backup" in prompts[0].prompt
    assert "best battery backup sump pump" in prompts[1].prompt.lower()
    assert len({p.prompt for p in prompts}) == len(prompts)


def test_image_prompts_without_in_article_slots_or_headings(provider):
    """Zero slots gives only the featured prompt; no headings still gives distinct prompts."""
    assert len(provider.generate_image_prompts(CONTENT, 0, SITE).prompts) == 1
    bare = ContentInfo(id=1, title="Sump Pumps", primary_keyword="sump pump", headings=[])
    prompts = provider.generate_image_prompts(bare, 2, SITE).prompts
    assert [p.position for p in prompts] == [0, 1, 2]
    assert len({p.prompt for p in prompts}) == 3


def test_image_prompt_alt_text_is_cut_to_125_characters(provider):
    """Long titles and headings still give alt text of at most 125 characters."""
    long = ContentInfo(id=1, title="A " * 90 + "title", primary_keyword="sump pump " * 12, headings=["x " * 80])
    for prompt in provider.generate_image_prompts(long, 2, SITE).prompts:
        assert len(prompt.alt_text) <= 125


def test_generate_image_prompts_is_deterministic_and_rejects_a_negative_count(provider):
    """Same content, same prompts; a negative count is an AIError."""
    assert (provider.generate_image_prompts(CONTENT, 2, SITE).prompts
            == provider.generate_image_prompts(CONTENT, 2, SITE).prompts)
    with pytest.raises(AIError):
        provider.generate_image_prompts(CONTENT, -1, SITE)


# ---------------------------------------------------------------------------------------------------
# Images


@pytest.mark.parametrize(("size", "expected"), [("640x360", (640, 360)), ("256x2048", (256, 2048))])
def test_generate_image_returns_a_png_of_the_requested_size(provider, size, expected):
    """The bytes are a PNG of exactly the requested size."""
    result = provider.generate_image("Isometric illustration of a sump pump in a basement", size)
    assert result.image.mime == "image/png"
    assert (result.image.width, result.image.height) == expected
    with Image.open(io.BytesIO(result.image.data)) as image:
        assert image.format == "PNG"
        assert image.size == expected


def test_generate_image_is_deterministic_and_differs_by_prompt(provider):
    """The same prompt gives the same bytes; another prompt gives other bytes."""
    one = provider.generate_image("a sump pump", "256x256").image.data
    assert one == provider.generate_image("a sump pump", "256x256").image.data
    assert one != provider.generate_image("a battery backup", "256x256").image.data


@pytest.mark.parametrize("size", ["100x100", "4096x1024", "1024x255", "big", "", "1024", "-512x512"])
def test_generate_image_rejects_a_bad_size(provider, size):
    """Sizes outside 256-2048 or not written WIDTHxHEIGHT are an AIError."""
    with pytest.raises(AIError):
        provider.generate_image("a sump pump", size)


# ---------------------------------------------------------------------------------------------------
# Usage


def test_every_result_names_the_offline_provider_and_a_model(provider):
    """Each function reports provider "offline", its own model name and a measured latency."""
    info = cluster_info(SUMP_CLUSTER)
    idea = provider.generate_ideas(info, SITE).ideas[0]
    usages = {
        "cluster": provider.cluster_keywords(SUMP_CLUSTER, SITE).usage,
        "ideas": provider.generate_ideas(info, SITE).usage,
        "content": provider.generate_content(task_for(idea, [k.keyword for k in info.keywords]), SITE).usage,
        "prompts": provider.generate_image_prompts(CONTENT, 1, SITE).usage,
        "image": provider.generate_image("a sump pump", "256x256").usage,
    }
    assert provider.name == "offline"
    assert {k: u.model for k, u in usages.items()} == {
        "cluster": "offline-lexical-cluster-v1", "ideas": "offline-outline-v1", "content": "offline-writer-v1",
        "prompts": "offline-image-prompts-v1", "image": "offline-pillow-v1",
    }
    for usage in usages.values():
        assert usage.provider == "offline"
        assert usage.latency_ms is not None and usage.latency_ms >= 0
