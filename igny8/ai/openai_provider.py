"""The OpenAI provider: the four text functions and images through the official ``openai`` SDK.

Works against OpenAI and any OpenAI-compatible server (vLLM, llama.cpp, Ollama, OpenRouter):
answers are requested with structured outputs (``json_schema``, strict), falling back to
``json_object`` and then to JSON extracted from plain text for servers that know less. Every
answer is untrusted input: it is validated, and an invalid one is retried once with the
validation error fed back before the item fails.
"""

from __future__ import annotations

import base64
import json
import re
import time
import urllib.request
import uuid
from importlib import resources
from string import Template

import openai

from igny8.ai import schemas
from igny8.ai.base import (
    AIError,
    AIFatalError,
    AIUsage,
    ArticleOut,
    ArticleResult,
    ClusterInfo,
    ClusterOut,
    ClusterResult,
    ContentInfo,
    IdeaOut,
    IdeasResult,
    ImageOut,
    ImagePromptOut,
    ImagePromptsResult,
    ImageResult,
    KeywordInfo,
    OutlineSection,
    SiteInfo,
    TaskInfo,
)
from igny8.ai.schemas import Invalid

# Our own retries on top of the SDK's: a transient failure of one item is tried again later.
ITEM_RETRIES = 1
MAX_RETRY_AFTER = 60
DOWNGRADE = {"json_schema": "json_object", "json_object": "text"}
_JSON_BLOCK = re.compile(r"```(?:json)?\s*(\{.*?\})\s*```", re.S)


def load_prompt(function: str, overrides: dict | None = None) -> Template:
    """The prompt template of ``function`` (an account override wins)."""
    text = (overrides or {}).get(function) or resources.files("igny8.ai.prompts").joinpath(
        f"{function}.md").read_text(encoding="utf-8")
    return Template(text)


def extract_json(text: str):
    """JSON from an answer: the whole text, a fenced block, or the outermost braces."""
    text = (text or "").strip()
    for candidate in (text, *(m.group(1) for m in _JSON_BLOCK.finditer(text))):
        try:
            return json.loads(candidate)
        except (json.JSONDecodeError, TypeError):
            continue
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        try:
            return json.loads(text[start:end + 1])
        except json.JSONDecodeError:
            pass
    raise Invalid("the answer is not valid JSON")


def _retry_after(exc: openai.APIStatusError | None) -> float:
    try:
        return min(float(exc.response.headers.get("retry-after", 1)), MAX_RETRY_AFTER)
    except (AttributeError, TypeError, ValueError):
        return 1.0


def _error_code(exc: openai.APIStatusError) -> str | None:
    body = exc.body if isinstance(exc.body, dict) else {}
    inner = body.get("error", body) if isinstance(body, dict) else {}
    return getattr(exc, "code", None) or (inner.get("code") if isinstance(inner, dict) else None)


class OpenAIProvider:
    """Text and image functions over the OpenAI API (or a compatible server)."""

    name = "openai"

    def __init__(self, settings, on_capability=None):
        self.settings = settings
        # One client per job, built after the worker forked: sockets are never shared.
        self.client = openai.OpenAI(api_key=settings.api_key or "missing", base_url=settings.base_url,
                                    timeout=settings.timeout, max_retries=settings.max_retries)
        self.mode = settings.response_format or "json_schema"
        self.on_capability = on_capability

    # -- the SDK call, fault mapping and format fallback ------------------------------------

    def _request(self, model: str, messages: list[dict], schema_name: str, schema: dict):
        """One chat completion in the current response-format mode, downgrading on refusal."""
        while True:
            kwargs = {}
            if self.mode == "json_schema":
                kwargs["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": schema_name, "schema": schema, "strict": True}}
            elif self.mode == "json_object":
                kwargs["response_format"] = {"type": "json_object"}
            try:
                raw = self.client.chat.completions.with_raw_response.create(model=model, messages=messages, **kwargs)
                return raw.parse(), raw.headers.get("x-request-id")
            except (openai.BadRequestError, openai.InternalServerError, openai.UnprocessableEntityError):
                # Servers that do not know a response_format answer 400/422 or even 500.
                if self.mode in DOWNGRADE:
                    self.mode = DOWNGRADE[self.mode]
                    if self.on_capability:
                        self.on_capability(self.mode)
                    continue
                raise

    def _call(self, function: str, messages: list[dict], schema_name: str, schema: dict):
        """A completion with our retry policy; returns (content, usage)."""
        model = self.settings.models[function]
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                completion, request_id = self._request(model, messages, schema_name, schema)
            except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
                raise AIFatalError(f"the AI provider refused the API key ({exc.status_code}): check the key "
                                   "in Settings → Integration") from None
            except openai.NotFoundError:
                raise AIFatalError(f"model '{model}' was not found on the AI server") from None
            except openai.RateLimitError as exc:
                if _error_code(exc) == "insufficient_quota":
                    raise AIFatalError("the AI account has no quota left (insufficient_quota): add billing "
                                       "credit with the provider, then resume") from None
                if attempt >= ITEM_RETRIES:
                    raise AIError("rate limited by the AI provider", retryable=True) from None
                time.sleep(_retry_after(exc))
            except openai.APITimeoutError:
                if attempt >= ITEM_RETRIES:
                    raise AIError(f"the AI call timed out after {self.settings.timeout} s", retryable=True) from None
            except (openai.APIConnectionError, openai.InternalServerError) as exc:
                if attempt >= ITEM_RETRIES:
                    raise AIError(f"the AI server failed: {exc.__class__.__name__}", retryable=True) from None
                time.sleep(_retry_after(exc if isinstance(exc, openai.APIStatusError) else None))
            except (openai.APIResponseValidationError, json.JSONDecodeError, ValueError) as exc:
                raise AIError(f"the AI server sent an unreadable response: {exc}") from None
            except openai.APIStatusError as exc:
                raise AIError(f"the AI server answered {exc.status_code}") from None
            else:
                if not hasattr(completion, "choices"):
                    # The SDK hands back a bare string when a server answers 200 with non-JSON.
                    raise AIError("the AI server sent a response that is not a chat completion")
                choice = completion.choices[0] if completion.choices else None
                content = (choice.message.content if choice and choice.message else None) or ""
                usage = AIUsage(
                    provider="openai", model=completion.model or model,
                    tokens_in=getattr(completion.usage, "prompt_tokens", None),
                    tokens_out=getattr(completion.usage, "completion_tokens", None),
                    request_id=request_id or getattr(completion, "_request_id", None),
                    latency_ms=int((time.monotonic() - started) * 1000),
                )
                return content, usage
            attempt += 1

    def _structured(self, function: str, prompt: str, schema_name: str, schema: dict, check):
        """Ask, parse, validate; one retry with the validation error fed back to the model."""
        messages = [
            {"role": "system", "content": "You answer with JSON only, exactly in the requested shape."},
            {"role": "user", "content": prompt + "\n\nJSON schema of the answer:\n" + json.dumps(schema)},
        ]
        total = None
        problem = None
        for _ in range(2):
            content, usage = self._call(function, messages, schema_name, schema)
            total = usage if total is None else _add(total, usage)
            try:
                return check(extract_json(content)), total
            except (Invalid, ValueError, KeyError, TypeError) as exc:
                problem = str(exc) or exc.__class__.__name__
                messages += [{"role": "assistant", "content": content[:20000]},
                             {"role": "user", "content": f"That answer is invalid: {problem}. "
                                                          "Answer again with corrected JSON only."}]
        raise AIError(f"invalid AI answer after one retry: {problem}")

    def probe(self) -> str:
        """Find the best response format the server supports (for "test connection")."""
        self.mode = "json_schema"
        # Each refused format would otherwise cost the SDK's retries and back-off.
        self.client = self.client.with_options(max_retries=0)
        schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"],
                  "additionalProperties": False}
        content, _ = self._call("clustering", [{"role": "user", "content": 'Answer with JSON: {"ok": true}'}],
                                "probe", schema)
        extract_json(content)
        return self.mode

    # -- the four functions ---------------------------------------------------------------------

    def _prompt(self, function: str, **values) -> str:
        return load_prompt(function, self.settings.prompt_overrides).safe_substitute(**values)

    def cluster_keywords(self, keywords: list[KeywordInfo], site: SiteInfo) -> ClusterResult:
        """Clusters of the given keywords (unknown keywords are dropped later by the engine)."""
        lines = "\n".join(f"{k.keyword} | {k.volume if k.volume is not None else '-'} | {k.intent or '-'}"
                          for k in keywords)
        prompt = self._prompt("clustering", site_name=site.name, site_domain=site.domain or "", keywords=lines)
        data, usage = self._structured("clustering", prompt, "clusters", schemas.CLUSTERS, schemas.check_clusters)
        return ClusterResult([ClusterOut(c["name"], list(c["keywords"]), c.get("description", ""))
                              for c in data["clusters"]], usage)

    def generate_ideas(self, cluster: ClusterInfo, site: SiteInfo) -> IdeasResult:
        """Ideas with outlines; an idea without sections is invalid."""
        lines = "\n".join(f"{k.keyword} | {k.volume if k.volume is not None else '-'} | {k.intent or '-'}"
                          for k in cluster.keywords)
        count = 1 if len(cluster.keywords) <= 5 else 2
        prompt = self._prompt("ideas", site_name=site.name, site_domain=site.domain or "",
                              cluster_name=cluster.name, keywords=lines, idea_count=count)
        data, usage = self._structured("ideas", prompt, "ideas", schemas.IDEAS, schemas.check_ideas)
        ideas = [IdeaOut(i["title"], i.get("description", ""), i["content_structure"], i["primary_keyword"],
                         [OutlineSection(s["heading"], list(s["keywords"]), int(s["word_budget"]))
                          for s in i["outline"]], int(i["target_words"])) for i in data["ideas"]]
        return IdeasResult(ideas, usage)

    def generate_content(self, task: TaskInfo, site: SiteInfo) -> ArticleResult:
        """An article from the outline; far too short, or missing meta fields, is invalid."""
        outline = "\n".join(f"{n}. {s.heading} — keywords: {', '.join(s.keywords) or '-'} — about "
                            f"{s.word_budget} words" for n, s in enumerate(task.outline, 1))
        prompt = self._prompt("content", site_name=site.name, site_domain=site.domain or "", title=task.title,
                              content_structure=task.content_structure.replace("_", " "),
                              target_words=task.target_words, primary_keyword=task.primary_keyword,
                              keywords=", ".join(task.keywords) or "-", outline=outline)
        data, usage = self._structured("content", prompt, "article", schemas.ARTICLE,
                                       lambda d: schemas.check_article(d, task.target_words))
        return ArticleResult(ArticleOut(data["title"], data["meta_title"], data["meta_description"], data["html"],
                                        data["primary_keyword"], list(data.get("secondary_keywords", []))), usage)

    def generate_image_prompts(self, content: ContentInfo, in_article: int, site: SiteInfo) -> ImagePromptsResult:
        """One featured prompt and up to ``in_article`` in-article prompts."""
        prompt = self._prompt("image_prompts", site_name=site.name, title=content.title,
                              primary_keyword=content.primary_keyword, headings="\n".join(
                                  f"- {h}" for h in content.headings) or "-", summary=content.summary,
                              in_article=in_article)
        data, usage = self._structured("image_prompts", prompt, "image_prompts", schemas.IMAGE_PROMPTS,
                                       schemas.check_image_prompts)
        prompts = [ImagePromptOut("featured", 0, data["featured"]["prompt"], data["featured"]["alt_text"][:125])]
        prompts += [ImagePromptOut("in_article", n, p["prompt"], p["alt_text"][:125])
                    for n, p in enumerate(data["in_article"][:in_article], 1)]
        return ImagePromptsResult(prompts, usage)

    # -- images -----------------------------------------------------------------------------------

    def generate_image(self, prompt: str, size: str) -> ImageResult:
        """gpt-image models answer base64; DALL·E answers a URL, downloaded at once."""
        model = self.settings.image_model
        started = time.monotonic()
        try:
            raw = self.client.images.with_raw_response.generate(model=model, prompt=prompt[:4000], size=size, n=1)
            answer = raw.parse()
        except (openai.AuthenticationError, openai.PermissionDeniedError):
            raise AIFatalError("the image provider refused the API key") from None
        except openai.RateLimitError as exc:
            if _error_code(exc) == "insufficient_quota":
                raise AIFatalError("the AI account has no quota left (insufficient_quota)") from None
            raise AIError("rate limited by the image provider", retryable=True) from None
        except openai.APIError as exc:
            raise AIError(f"image generation failed: {exc.__class__.__name__}") from None
        item = answer.data[0] if answer.data else None
        if item is None:
            raise AIError("the image provider returned no image")
        data = base64.b64decode(item.b64_json) if item.b64_json else _download(item.url)
        width, height = _png_size(data, size)
        usage = AIUsage("openai", model, request_id=raw.headers.get("x-request-id"),
                        latency_ms=int((time.monotonic() - started) * 1000))
        return ImageResult(ImageOut(data, _mime(data), width, height), usage)


class RunwareImages:
    """Images through Runware's HTTP API (a JSON array of tasks, Bearer key)."""

    name = "runware"

    def __init__(self, settings):
        self.settings = settings

    def generate_image(self, prompt: str, size: str) -> ImageResult:
        """One ``imageInference`` task; base64 output, or a URL downloaded at once."""
        width, height = (int(x) for x in size.lower().split("x"))
        task = {"taskType": "imageInference", "taskUUID": str(uuid.uuid4()), "positivePrompt": prompt[:2000],
                "model": self.settings.image_model, "width": width, "height": height, "numberResults": 1,
                "outputType": "base64Data", "outputFormat": "PNG"}
        request = urllib.request.Request(
            self.settings.runware_base_url, data=json.dumps([task]).encode(), method="POST",
            headers={"Authorization": f"Bearer {self.settings.runware_api_key}", "Content-Type": "application/json"})
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code in (401, 403):
                raise AIFatalError("Runware refused the API key") from None
            raise AIError(f"Runware answered {exc.code}", retryable=exc.code >= 500 or exc.code == 429) from None
        except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
            raise AIError(f"Runware call failed: {exc}") from None
        results = body.get("data") or []
        if not results:
            errors = body.get("errors") or [{}]
            raise AIError(f"Runware returned no image: {errors[0].get('message', 'unknown error')}")
        item = results[0]
        data = base64.b64decode(item["imageBase64Data"]) if item.get("imageBase64Data") else _download(
            item.get("imageURL"))
        w, h = _png_size(data, size)
        usage = AIUsage("runware", self.settings.image_model, request_id=item.get("taskUUID"),
                        latency_ms=int((time.monotonic() - started) * 1000))
        return ImageResult(ImageOut(data, _mime(data), w, h), usage)


def _add(a: AIUsage, b: AIUsage) -> AIUsage:
    return AIUsage(a.provider, b.model, (a.tokens_in or 0) + (b.tokens_in or 0) if a.tokens_in is not None else None,
                   (a.tokens_out or 0) + (b.tokens_out or 0) if a.tokens_out is not None else None,
                   b.request_id, (a.latency_ms or 0) + (b.latency_ms or 0))


def _download(url: str | None) -> bytes:
    """Fetch a generated image now (DALL·E URLs expire after an hour)."""
    if not url:
        raise AIError("the image provider returned neither data nor a URL")
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.read()
    except (urllib.error.URLError, TimeoutError) as exc:
        raise AIError(f"could not download the generated image: {exc}") from None


def _mime(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise AIError("the image provider returned data that is not an image")


def _png_size(data: bytes, size: str) -> tuple[int, int]:
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as img:
            return img.size
    except (UnidentifiedImageError, OSError):
        raise AIError("the image provider returned an unreadable image") from None
