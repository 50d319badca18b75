"""The providers this plugin registers: one data row each.

Imported at discovery, so it holds plain data only. Compat keys are
documented in :mod:`aiwire_openai.compat`.
"""

from __future__ import annotations

from aiwire.plugin import ProviderSpec

__all__ = ["PROVIDERS"]

COMPLETIONS = "openai-completions"
RESPONSES = "openai-responses"

# What only OpenAI itself (and Azure's copy of it) accepts on the wire.
_OPENAI_WIRE = {
    "developer_role": True,
    "max_tokens_field": "max_completion_tokens",
    "store": True,
    "strict_tools": True,
    "prompt_cache_key": True,
    "structured_output": True,
    "embeddings_base64": True,
    # Flex costs half of standard, priority about twice (as pi-ai prices them).
    "service_tiers": {"flex": 0.5, "priority": 2.0},
}
# vLLM, llama.cpp, LM Studio and Ollama all take response_format json_schema.
_LOCAL = {"open_catalog": True, "structured_output": True}

PROVIDERS: tuple[ProviderSpec, ...] = (
    ProviderSpec(
        id="openai",
        name="OpenAI",
        api=RESPONSES,
        base_url="https://api.openai.com/v1",
        env=("OPENAI_API_KEY",),
        base_url_env={"OPENAI_BASE_URL": ""},
        compat=dict(_OPENAI_WIRE),
        default_model="gpt-5-mini",
        docs="Responses API by default; Chat Completions with api='openai-completions'.",
    ),
    ProviderSpec(
        id="azure",
        name="Azure OpenAI",
        api=RESPONSES,
        base_url="https://{resource}.openai.azure.com/openai/v1",
        env=("AZURE_OPENAI_API_KEY",),
        base_url_env={"AZURE_OPENAI_BASE_URL": ""},
        compat={**_OPENAI_WIRE, "azure": True, "prompt_cache_key": False},
        docs="Set AZURE_OPENAI_RESOURCE_NAME or AZURE_OPENAI_BASE_URL; deployments via "
        "AZURE_OPENAI_DEPLOYMENT_NAME_MAP or compat/provider_options.",
    ),
    ProviderSpec(
        id="groq",
        name="Groq",
        api=COMPLETIONS,
        base_url="https://api.groq.com/openai/v1",
        env=("GROQ_API_KEY",),
        compat={"max_tokens_field": "max_completion_tokens", "thinking_replay": "drop"},
    ),
    ProviderSpec(
        id="openrouter",
        name="OpenRouter",
        api=COMPLETIONS,
        base_url="https://openrouter.ai/api/v1",
        env=("OPENROUTER_API_KEY",),
        compat={"reasoning_format": "openrouter", "reported_cost": True, "structured_output": True},
    ),
    ProviderSpec(
        id="deepseek",
        name="DeepSeek",
        api=COMPLETIONS,
        base_url="https://api.deepseek.com",
        env=("DEEPSEEK_API_KEY",),
        compat={"reasoning_format": "thinking_type", "thinking_field": "reasoning_content"},
    ),
    ProviderSpec(
        id="xai",
        name="xAI",
        api=COMPLETIONS,
        base_url="https://api.x.ai/v1",
        env=("XAI_API_KEY",),
        compat={"reasoning_format": "none", "max_tokens_field": "max_completion_tokens"},
    ),
    ProviderSpec(
        id="mistral",
        name="Mistral",
        api=COMPLETIONS,
        base_url="https://api.mistral.ai/v1",
        env=("MISTRAL_API_KEY",),
        compat={
            "reasoning_format": "none",
            "tool_id_style": "mistral",
            "tool_result_name": True,
            "assistant_after_tool_result": True,
            "session_header": "x-affinity",
        },
    ),
    ProviderSpec(
        id="cerebras",
        name="Cerebras",
        api=COMPLETIONS,
        base_url="https://api.cerebras.ai/v1",
        env=("CEREBRAS_API_KEY",),
        compat={"max_tokens_field": "max_completion_tokens"},
    ),
    ProviderSpec(
        id="together",
        name="Together AI",
        api=COMPLETIONS,
        base_url="https://api.together.xyz/v1",
        env=("TOGETHER_API_KEY",),
    ),
    ProviderSpec(
        id="fireworks",
        name="Fireworks AI",
        api=COMPLETIONS,
        base_url="https://api.fireworks.ai/inference/v1",
        env=("FIREWORKS_API_KEY",),
    ),
    ProviderSpec(
        id="huggingface",
        name="Hugging Face Inference Providers",
        api=COMPLETIONS,
        base_url="https://router.huggingface.co/v1",
        env=("HF_TOKEN",),
        compat={"reasoning_format": "none"},
    ),
    ProviderSpec(
        id="ollama",
        name="Ollama (local)",
        api=COMPLETIONS,
        base_url="http://localhost:11434/v1",
        base_url_env={"OLLAMA_HOST": "/v1"},  # host[:port] or a URL, as Ollama itself reads it
        auth="none",
        compat=dict(_LOCAL),
    ),
    ProviderSpec(
        id="vllm",
        name="vLLM (local)",
        api=COMPLETIONS,
        base_url="http://localhost:8000/v1",
        auth="none",
        compat={**_LOCAL, "reasoning_format": "chat_template"},
    ),
    ProviderSpec(
        id="llamacpp",
        name="llama.cpp server (local)",
        api=COMPLETIONS,
        base_url="http://localhost:8080/v1",
        auth="none",
        compat={**_LOCAL, "reasoning_format": "chat_template"},
    ),
    ProviderSpec(
        id="lmstudio",
        name="LM Studio (local)",
        api=COMPLETIONS,
        base_url="http://localhost:1234/v1",
        auth="none",
        compat={**_LOCAL, "reasoning_format": "none"},
    ),
)

# pi-ai's other hosts, each on its OpenAI-compatible endpoint (their catalogs
# come from models.dev; see scripts/generate_catalog.py).
PROVIDERS += (
    ProviderSpec(
        id="vercel-ai-gateway",
        name="Vercel AI Gateway",
        api=COMPLETIONS,
        base_url="https://ai-gateway.vercel.sh/v1",
        env=("AI_GATEWAY_API_KEY",),
        docs="Models of every vendor as vendor/model (anthropic/claude-sonnet-4.5, openai/gpt-5...).",
    ),
    ProviderSpec(
        id="zai",
        name="Z.ai (GLM)",
        api=COMPLETIONS,
        base_url="https://api.z.ai/api/paas/v4",
        env=("ZAI_API_KEY", "ZHIPU_API_KEY"),
        compat={"reasoning_format": "thinking_type"},
    ),
    ProviderSpec(
        id="minimax",
        name="MiniMax",
        api=COMPLETIONS,
        base_url="https://api.minimax.io/v1",
        env=("MINIMAX_API_KEY",),
        compat={"reasoning_format": "none", "max_tokens_field": "max_completion_tokens"},
    ),
    ProviderSpec(
        id="minimax-cn",
        name="MiniMax (China)",
        api=COMPLETIONS,
        base_url="https://api.minimaxi.com/v1",
        env=("MINIMAX_CN_API_KEY", "MINIMAX_API_KEY"),
        compat={"reasoning_format": "none", "max_tokens_field": "max_completion_tokens"},
    ),
    ProviderSpec(
        id="moonshotai",
        name="Moonshot AI (Kimi)",
        api=COMPLETIONS,
        base_url="https://api.moonshot.ai/v1",
        env=("MOONSHOT_API_KEY", "KIMI_API_KEY"),
        compat={"reasoning_format": "none"},
    ),
    ProviderSpec(
        id="opencode",
        name="OpenCode Zen",
        api=COMPLETIONS,
        base_url="https://opencode.ai/zen/v1",
        env=("OPENCODE_API_KEY",),
        docs="OpenCode Zen's OpenAI-compatible models (GPT models through its Responses endpoint).",
    ),
)
